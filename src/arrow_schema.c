/*
 * arrow_schema.c
 *		PostgreSQL types to Arrow fields, and the SQL-callable functions
 *		lance_arrow_schema(text), lance_arrow_schema(regclass) and
 *		lance_arrow_schema_describe(text).  The bytes are made and read by
 *		arrow_ipc_write.c and arrow_ipc.c.
 *
 * Type mapping (domains map as their base type):
 *
 *	PostgreSQL				Arrow
 *	----------------------	--------------------------------------------------
 *	smallint (int2)			Int(16, signed)				int16
 *	integer (int4)			Int(32, signed)				int32
 *	bigint (int8)			Int(64, signed)				int64
 *	real (float4)			FloatingPoint(SINGLE)		float32
 *	double precision		FloatingPoint(DOUBLE)		float64
 *	boolean					Bool						bool
 *	text, varchar(n),		Utf8						utf8
 *	  char(n), name
 *	json, jsonb				Utf8 (the JSON text)		utf8
 *	bytea					Binary						binary
 *	uuid					FixedSizeBinary(16)			fixed_size_binary[16]
 *	date					Date(DAY)					date32[day]
 *	time [(p)]				Time(MICROSECOND, 64)		time64[us]
 *	timestamp [(p)]			Timestamp(MICROSECOND)		timestamp[us]
 *	timestamptz [(p)]		Timestamp(MICROSECOND, "UTC")	timestamp[us, tz=UTC]
 *	numeric(p, s), p <= 38	Decimal(p, s, 128)			decimal128(p, s)
 *	numeric(p, s), p <= 76	Decimal(p, s, 256)			decimal256(p, s)
 *	T[N] (column list only)	FixedSizeList(N) of T, child "item" (nullable)
 *	T[] (or T[N] of a table)	List of T, child "item" (nullable)
 *	T[N][M], T[][] ...		nested lists, the first dimension outermost
 *	composite type			Struct, one nullable child per attribute
 *
 * numeric without a precision, numeric with a negative scale or a scale
 * above the precision, and every other type (interval, timetz, money, inet,
 * oid, enums, ranges, record...) are refused with SQLSTATE 0A000 naming the
 * column and the type.  PostgreSQL keeps no array sizes for table columns,
 * so lance_arrow_schema(regclass) makes List (nested attndims deep); use the
 * column-list form (e.g. 'embedding real[768]') for FixedSizeList.  Time
 * precision typmods are ignored: Arrow always gets microseconds.
 *
 * A column list is parsed by PostgreSQL's own grammar as the element list of
 * CREATE TABLE (never executed): names follow SQL rules (unquoted ones fold
 * to lower case, keywords need quotes), each column may only add NULL or NOT
 * NULL (NOT NULL: non-nullable field; otherwise nullable).  A table's column
 * is non-nullable when it has attnotnull.
 *
 * An output_schema is accepted (lance_check_output_schema, describe) when it
 * is canonical standard base64 of exactly one encapsulated Schema message
 * that arrow_ipc.c decodes, with at least one field and distinct, non-empty
 * top-level names.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parse_type.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "arrow_ipc.h"
#include "arrow_schema.h"

PG_FUNCTION_INFO_V1(lance_arrow_schema_text);
PG_FUNCTION_INFO_V1(lance_arrow_schema_rel);
PG_FUNCTION_INFO_V1(lance_arrow_schema_describe);

#define WRAP_TABLE "dune_mv_arrow_column_list"

/* palloc0 for the Arrow code (never returns NULL: palloc raises instead) */
static void *
pg_arrow_alloc(void *ctx, size_t size)
{
	return palloc0(size);
}

/* repalloc for the Arrow code */
static void *
pg_arrow_realloc(void *ctx, void *ptr, size_t size)
{
	return ptr ? repalloc(ptr, size) : palloc(size);
}

static const ArrowAllocator pg_arrow_mem = {pg_arrow_alloc, pg_arrow_realloc, NULL};

/* A string from the server encoding to UTF-8 */
static const char *
to_utf8(const char *s)
{
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* A UTF-8 string to the server encoding */
static char *
from_utf8(const char *s)
{
	return pg_any_to_server(s, strlen(s), PG_UTF8);
}

/* ---------------------------------------------------------- type mapping */

static void map_type(ArrowField *f, const char *col, Oid typid, int32 typmod,
					 List *bounds, int ndims);

#define NUMERIC_HINT "Declare numeric(p, s) with 1 <= p <= 76 and 0 <= s <= p, e.g. numeric(38, 9)."

/* Refuse a type that has no Arrow mapping (hint NULL: list what works) */
static void
unsupported(const char *col, Oid typid, int32 typmod, const char *why,
			const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("column \"%s\" has type %s, which %s", col,
					format_type_with_typemod(typid, typmod), why),
			 errhint("%s", hint ? hint : "Supported: smallint, integer, bigint, real, double precision, boolean, text, varchar, char, name, json, jsonb, bytea, uuid, date, time, timestamp, timestamptz, numeric(p, s), arrays of these, composite types.")));
}

/* Make f a list (size < 0) or fixed-size list whose "item" has the element */
static void
map_list(ArrowField *f, const char *col, int size, Oid elem, int32 typmod,
		 List *bounds, int ndims)
{
	f->type = size < 0 ? ARROW_TYPE_LIST : ARROW_TYPE_FIXED_SIZE_LIST;
	f->size = size < 0 ? 0 : size;
	f->n_children = 1;
	f->children = palloc0(sizeof(ArrowField));
	f->children[0].name = "item";
	f->children[0].nullable = true;
	map_type(&f->children[0], col, elem, typmod, bounds, ndims);
}

/* Make f a Struct of the composite type's attributes */
static void
map_struct(ArrowField *f, const char *col, Oid typid)
{
	TupleDesc	desc = lookup_rowtype_tupdesc(typid, -1);
	int			n = 0;

	f->type = ARROW_TYPE_STRUCT;
	f->children = palloc0(sizeof(ArrowField) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ArrowField *child = &f->children[n];

		if (att->attisdropped)
			continue;
		n++;
		child->name = to_utf8(NameStr(att->attname));
		child->nullable = !att->attnotnull;
		map_type(child, col, att->atttypid, att->atttypmod, NIL, att->attndims);
	}
	f->n_children = n;
	ReleaseTupleDesc(desc);
	if (n == 0)
		unsupported(col, typid, -1, "has no attributes", NULL);
}

/* Make f a Decimal from numeric's typmod */
static void
map_numeric(ArrowField *f, const char *col, int32 typmod)
{
	int32		precision,
				scale;

	if (typmod < (int32) VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("column \"%s\" is numeric without a precision, which Arrow cannot hold", col),
				 errhint(NUMERIC_HINT)));
	precision = ((typmod - VARHDRSZ) >> 16) & 0xffff;
	scale = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;
	if (precision > 76)
		unsupported(col, NUMERICOID, typmod,
					"is wider than Arrow's decimal256 (76 digits)", NUMERIC_HINT);
	if (scale < 0 || scale > precision)
		unsupported(col, NUMERICOID, typmod,
					"has a scale outside 0 .. precision", NUMERIC_HINT);
	f->type = ARROW_TYPE_DECIMAL;
	f->precision = precision;
	f->scale = scale;
	f->bit_width = precision <= 38 ? 128 : 256;
}

/* Map a base (non-domain, non-array) scalar type; false when unknown */
static bool
map_scalar(ArrowField *f, Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
			f->type = ARROW_TYPE_INT;
			f->bit_width = typid == INT2OID ? 16 : typid == INT4OID ? 32 : 64;
			f->is_signed = true;
			return true;
		case FLOAT4OID:
		case FLOAT8OID:
			f->type = ARROW_TYPE_FLOATING_POINT;
			f->unit = typid == FLOAT4OID ? ARROW_PRECISION_SINGLE : ARROW_PRECISION_DOUBLE;
			return true;
		case BOOLOID:
			f->type = ARROW_TYPE_BOOL;
			return true;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case JSONOID:
		case JSONBOID:
			f->type = ARROW_TYPE_UTF8;
			return true;
		case BYTEAOID:
			f->type = ARROW_TYPE_BINARY;
			return true;
		case UUIDOID:
			f->type = ARROW_TYPE_FIXED_SIZE_BINARY;
			f->size = 16;
			return true;
		case DATEOID:
			f->type = ARROW_TYPE_DATE;
			f->unit = ARROW_DATE_DAY;
			return true;
		case TIMEOID:
			f->type = ARROW_TYPE_TIME;
			f->unit = ARROW_TIME_MICROSECOND;
			f->bit_width = 64;
			return true;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			f->type = ARROW_TYPE_TIMESTAMP;
			f->unit = ARROW_TIME_MICROSECOND;
			f->timezone = typid == TIMESTAMPTZOID ? "UTC" : NULL;
			return true;
		default:
			return false;
	}
}

/*
 * Fill in f's type from a PostgreSQL type.  "bounds" are the array bounds
 * written in a column list (-1 for []), outermost first; without them an
 * array becomes Max(ndims, 1) nested Lists.
 */
static void
map_type(ArrowField *f, const char *col, Oid typid, int32 typmod,
		 List *bounds, int ndims)
{
	Oid			elem;

	check_stack_depth();
	if (bounds != NIL)
	{
		int			size = intVal(linitial(bounds));
		List	   *rest = list_copy_tail(bounds, 1);

		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" has an array size of 0", col)));
		/* typid is the array type; inner bounds apply to it again */
		map_list(f, col, size, rest ? typid : get_element_type(typid),
				 typmod, rest, 0);
		return;
	}
	typid = getBaseTypeAndTypmod(typid, &typmod);
	elem = get_element_type(typid);
	if (OidIsValid(elem))
	{
		if (ndims > 1)
			map_list(f, col, -1, typid, typmod, NIL, ndims - 1);
		else
			map_list(f, col, -1, elem, typmod, NIL, 0);
	}
	else if (typid == NUMERICOID)
		map_numeric(f, col, typmod);
	else if (map_scalar(f, typid))
		return;
	else if (typid != RECORDOID && type_is_rowtype(typid))
		map_struct(f, col, typid);
	else
		unsupported(col, typid, typmod, "has no Arrow mapping", NULL);
}

/* --------------------------------------------------- encoding, checking */

/* Encode fields and return the base64 text; re-checks the result */
static text *
schema_to_base64(ArrowField *fields, int n)
{
	ArrowSchema schema = {n, fields};
	ArrowError	err;
	uint8_t    *bytes;
	size_t		len;
	char	   *b64;
	int			b64len;

	if (!arrow_encode_schema(&schema, &pg_arrow_mem, &bytes, &len, &err))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("could not encode the Arrow schema: %s", err.message)));
	b64 = palloc(pg_b64_enc_len((int) len) + 1);
	b64len = pg_b64_encode((const char *) bytes, (int) len, b64,
						   pg_b64_enc_len((int) len));
	if (b64len < 0)
		elog(ERROR, "could not encode the Arrow schema as base64");
	b64[b64len] = '\0';
	lance_check_output_schema(b64);
	return cstring_to_text_with_len(b64, b64len);
}

/* Raise the 22023 error for a bad output_schema */
static void
bad_schema(const char *detail)
pg_attribute_noreturn();

static void
bad_schema(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid output_schema: %s", from_utf8(detail))));
	pg_unreachable();
}

/* Decode canonical standard base64 (as the encoder would write it) */
static char *
decode_base64(const char *b64, size_t len, int *n)
{
	int			max;
	char	   *bytes;
	char	   *check;

	if (len == 0 || len > MaxAllocSize / 2 || len % 4 != 0)
		return NULL;
	max = pg_b64_dec_len((int) len);
	bytes = palloc(max + 1);
	*n = pg_b64_decode(b64, (int) len, bytes, max);
	if (*n < 0 || (size_t) (*n + 2) / 3 * 4 != len)
		return NULL;
	/* pg_b64_decode lets some oddities through: compare with re-encoding */
	check = palloc(pg_b64_enc_len(*n) + 1);
	if (pg_b64_encode(bytes, *n, check, pg_b64_enc_len(*n)) != (int) len ||
		memcmp(check, b64, len) != 0)
		return NULL;
	return bytes;
}

/* Decode and check an output_schema (base64 text of len bytes) */
static void
decode_output_schema(const char *b64, size_t len, ArrowSchema *schema)
{
	char	   *bytes;
	int			n;
	ArrowError	err;

	if (len == 0)
		bad_schema("it is empty");
	bytes = decode_base64(b64, len, &n);
	if (bytes == NULL)
		bad_schema("it is not base64 (standard alphabet, padded with =)");
	if (!arrow_decode_schema((const uint8_t *) bytes, (size_t) n,
							 &pg_arrow_mem, schema, &err))
		bad_schema(err.message);
	if (schema->n_fields == 0)
		bad_schema("the schema has no fields");
	for (int i = 0; i < schema->n_fields; i++)
	{
		if (schema->fields[i].name[0] == '\0')
			bad_schema(psprintf("field #%d has an empty name", i + 1));
		for (int j = 0; j < i; j++)
			if (strcmp(schema->fields[i].name, schema->fields[j].name) == 0)
				bad_schema(psprintf("field \"%s\" appears more than once",
									schema->fields[i].name));
	}
}

/* Exported: raise 22023 unless b64 is a well-formed output_schema */
void
lance_check_output_schema(const char *b64)
{
	ArrowSchema schema;

	if (b64 == NULL)
		bad_schema("it is NULL");
	decode_output_schema(b64, strlen(b64), &schema);
}

/* ----------------------------------------------------------- column list */

/* Error context while parsing a column list: no misleading cursor */
static void
column_list_error_callback(void *arg)
{
	errposition(0);
	errcontext("column list: %s", (const char *) arg);
}

/* Refuse a column list that is not one */
static void
bad_column_list(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("invalid column list: %s", why),
			 errhint("Write columns as in CREATE TABLE, e.g. 'id bigint NOT NULL, body text, embedding real[768]'.")));
}

/* Parse "columns" as the element list of a CREATE TABLE statement */
static CreateStmt *
parse_column_list(const char *columns)
{
	ErrorContextCallback cb;
	List	   *stmts;
	CreateStmt *cs;

	cb.callback = column_list_error_callback;
	cb.arg = (void *) columns;
	cb.previous = error_context_stack;
	error_context_stack = &cb;
	stmts = raw_parser(psprintf("CREATE TABLE " WRAP_TABLE " (\n%s\n)", columns),
					   RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;
	if (list_length(stmts) != 1 ||
		!IsA(linitial_node(RawStmt, stmts)->stmt, CreateStmt))
		bad_column_list("it must be a list of column definitions");
	cs = (CreateStmt *) linitial_node(RawStmt, stmts)->stmt;
	if (strcmp(cs->relation->relname, WRAP_TABLE) != 0 ||
		cs->relation->schemaname != NULL || cs->inhRelations != NIL ||
		cs->partbound != NULL || cs->partspec != NULL ||
		cs->ofTypename != NULL || cs->constraints != NIL ||
		cs->options != NIL || cs->oncommit != ONCOMMIT_NOOP ||
		cs->tablespacename != NULL || cs->accessMethod != NULL)
		bad_column_list("it must be a list of column definitions");
	if (cs->tableElts == NIL)
		bad_column_list("it has no columns");
	return cs;
}

/* Nullability of one column definition (only NULL / NOT NULL allowed) */
static bool
column_nullable(ColumnDef *cd)
{
	bool		nullable = true;
	bool		seen = false;
	ListCell   *lc;

	if (cd->collClause != NULL || cd->compression != NULL ||
		cd->fdwoptions != NIL)
		bad_column_list(psprintf("column \"%s\" may only have a type and NULL or NOT NULL",
								 cd->colname));
	foreach(lc, cd->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);
		bool		this_nullable = c->contype == CONSTR_NULL;

		if (c->contype != CONSTR_NULL && c->contype != CONSTR_NOTNULL)
			bad_column_list(psprintf("column \"%s\" may only have a type and NULL or NOT NULL",
									 cd->colname));
		if (seen && this_nullable != nullable)
			bad_column_list(psprintf("conflicting NULL/NOT NULL declarations for column \"%s\"",
									 cd->colname));
		nullable = this_nullable;
		seen = true;
	}
	return nullable;
}

/* Map one column definition of a column list to a field */
static void
column_to_field(ColumnDef *cd, ArrowField *f)
{
	Oid			typid;
	int32		typmod;

	if (cd->typeName->setof || cd->typeName->pct_type)
		bad_column_list(psprintf("column \"%s\": SETOF and %%TYPE are not allowed",
								 cd->colname));
	typenameTypeIdAndMod(NULL, cd->typeName, &typid, &typmod);
	f->name = to_utf8(cd->colname);
	f->nullable = column_nullable(cd);
	map_type(f, cd->colname, typid, typmod, cd->typeName->arrayBounds, 0);
}

/* SQL: lance_arrow_schema(columns text) RETURNS text */
Datum
lance_arrow_schema_text(PG_FUNCTION_ARGS)
{
	CreateStmt *cs = parse_column_list(text_to_cstring(PG_GETARG_TEXT_PP(0)));
	int			n = list_length(cs->tableElts);
	ArrowField *fields = palloc0(sizeof(ArrowField) * n);
	int			i = 0;
	ListCell   *lc;

	foreach(lc, cs->tableElts)
	{
		ColumnDef  *cd = (ColumnDef *) lfirst(lc);

		if (!IsA(cd, ColumnDef))
			bad_column_list("table constraints and LIKE are not allowed");
		column_to_field(cd, &fields[i]);
		for (int j = 0; j < i; j++)
			if (strcmp(fields[j].name, fields[i].name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" specified more than once", cd->colname)));
		i++;
	}
	PG_RETURN_TEXT_P(schema_to_base64(fields, n));
}

/* SQL: lance_arrow_schema(rel regclass) RETURNS text */
Datum
lance_arrow_schema_rel(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	AclResult	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	Relation	rel;
	TupleDesc	desc;
	ArrowField *fields;
	int			n = 0;

	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, get_relkind_objtype(get_rel_relkind(relid)),
					   get_rel_name(relid));
	rel = relation_open(relid, AccessShareLock);
	if (strchr("rpvmf", rel->rd_rel->relkind) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table, view, materialized view or foreign table",
						RelationGetRelationName(rel))));
	desc = RelationGetDescr(rel);
	fields = palloc0(sizeof(ArrowField) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ArrowField *f = &fields[n];

		if (att->attisdropped)
			continue;
		n++;
		f->name = to_utf8(NameStr(att->attname));
		f->nullable = !att->attnotnull;
		map_type(f, NameStr(att->attname), att->atttypid, att->atttypmod,
				 NIL, att->attndims);
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"%s\" has no columns", RelationGetRelationName(rel))));
	relation_close(rel, AccessShareLock);
	PG_RETURN_TEXT_P(schema_to_base64(fields, n));
}

/* ------------------------------------------------------------- describe */

static void render_type(StringInfo buf, const ArrowField *f);

/* "name: type", with " not null" for a non-nullable child */
static void
render_child(StringInfo buf, const ArrowField *f)
{
	appendStringInfo(buf, "%s: ", f->name);
	render_type(buf, f);
	if (!f->nullable)
		appendStringInfoString(buf, " not null");
}

/* Render children as "<a: t, b: u>" */
static void
render_children(StringInfo buf, const ArrowField *f, int from)
{
	appendStringInfoChar(buf, '<');
	for (int i = from; i < f->n_children; i++)
	{
		if (i > from)
			appendStringInfoString(buf, ", ");
		render_child(buf, &f->children[i]);
		if (f->type == ARROW_TYPE_UNION)
			appendStringInfo(buf, "=%d", f->n_type_ids ? f->type_ids[i] : i);
	}
	appendStringInfoChar(buf, '>');
}

/* Render an Int as int8 .. uint64 */
static void
render_int(StringInfo buf, int bits, bool is_signed)
{
	appendStringInfo(buf, "%sint%d", is_signed ? "" : "u", bits);
}

/* A readable rendering of f's type, close to Arrow C++'s ToString */
static void
render_type(StringInfo buf, const ArrowField *f)
{
	static const char *const time_units[] = {"s", "ms", "us", "ns"};
	static const char *const simple[] = {
		[ARROW_TYPE_NULL] = "null", [ARROW_TYPE_BINARY] = "binary",
		[ARROW_TYPE_UTF8] = "utf8", [ARROW_TYPE_BOOL] = "bool",
		[ARROW_TYPE_LARGE_BINARY] = "large_binary",
		[ARROW_TYPE_LARGE_UTF8] = "large_utf8",
		[ARROW_TYPE_BINARY_VIEW] = "binary_view",
		[ARROW_TYPE_UTF8_VIEW] = "utf8_view",
		[ARROW_TYPE_STRUCT] = "struct", [ARROW_TYPE_LIST] = "list",
		[ARROW_TYPE_LARGE_LIST] = "large_list",
		[ARROW_TYPE_FIXED_SIZE_LIST] = "fixed_size_list",
		[ARROW_TYPE_LIST_VIEW] = "list_view",
		[ARROW_TYPE_LARGE_LIST_VIEW] = "large_list_view",
	[ARROW_TYPE_RUN_END_ENCODED] = "run_end_encoded"};

	if (f->dict)
		appendStringInfoString(buf, "dictionary<values=");
	switch (f->type)
	{
		case ARROW_TYPE_INT:
			render_int(buf, f->bit_width, f->is_signed);
			break;
		case ARROW_TYPE_FLOATING_POINT:
			appendStringInfo(buf, "float%d", 16 << f->unit);
			break;
		case ARROW_TYPE_DECIMAL:
			appendStringInfo(buf, "decimal%d(%d, %d)", f->bit_width,
							 f->precision, f->scale);
			break;
		case ARROW_TYPE_DATE:
			appendStringInfoString(buf, f->unit == ARROW_DATE_DAY ?
								   "date32[day]" : "date64[ms]");
			break;
		case ARROW_TYPE_TIME:
			appendStringInfo(buf, "time%d[%s]", f->bit_width, time_units[f->unit]);
			break;
		case ARROW_TYPE_TIMESTAMP:
			appendStringInfo(buf, "timestamp[%s", time_units[f->unit]);
			if (f->timezone)
				appendStringInfo(buf, ", tz=%s", f->timezone);
			appendStringInfoChar(buf, ']');
			break;
		case ARROW_TYPE_DURATION:
			appendStringInfo(buf, "duration[%s]", time_units[f->unit]);
			break;
		case ARROW_TYPE_INTERVAL:
			appendStringInfoString(buf, f->unit == ARROW_INTERVAL_YEAR_MONTH ?
								   "month_interval" : f->unit == ARROW_INTERVAL_DAY_TIME ?
								   "day_time_interval" : "month_day_nano_interval");
			break;
		case ARROW_TYPE_FIXED_SIZE_BINARY:
			appendStringInfo(buf, "fixed_size_binary[%d]", f->size);
			break;
		case ARROW_TYPE_UNION:
			appendStringInfoString(buf, f->unit == ARROW_UNION_DENSE ?
								   "dense_union" : "sparse_union");
			render_children(buf, f, 0);
			break;
		case ARROW_TYPE_MAP:
			appendStringInfoString(buf, "map<");
			render_type(buf, &f->children[0].children[0]);
			appendStringInfoString(buf, ", ");
			render_type(buf, &f->children[0].children[1]);
			appendStringInfoString(buf, f->keys_sorted ? ", keys_sorted>" : ">");
			break;
		default:
			appendStringInfoString(buf, simple[f->type]);
			if (f->type == ARROW_TYPE_STRUCT || arrow_type_child_count(f->type) > 0)
				render_children(buf, f, 0);
			if (f->type == ARROW_TYPE_FIXED_SIZE_LIST)
				appendStringInfo(buf, "[%d]", f->size);
			break;
	}
	if (f->dict)
	{
		appendStringInfoString(buf, ", indices=");
		render_int(buf, f->dict_index_bit_width, f->dict_index_signed);
		appendStringInfoString(buf, f->dict_ordered ? ", ordered>" : ">");
	}
}

/* SQL: lance_arrow_schema_describe(output_schema text)
 *		RETURNS TABLE(name text, arrow_type text, nullable boolean) */
Datum
lance_arrow_schema_describe(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ArrowSchema schema;

	decode_output_schema(VARDATA_ANY(arg), VARSIZE_ANY_EXHDR(arg), &schema);
	InitMaterializedSRF(fcinfo, 0);
	for (int i = 0; i < schema.n_fields; i++)
	{
		const ArrowField *f = &schema.fields[i];
		StringInfoData type;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		initStringInfo(&type);
		render_type(&type, f);
		values[0] = CStringGetTextDatum(from_utf8(f->name));
		values[1] = CStringGetTextDatum(from_utf8(type.data));
		values[2] = BoolGetDatum(f->nullable);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
