/*
 * arrow_schema.c
 *		PostgreSQL types to Arrow fields, and the SQL-callable functions
 *		lance_arrow_schema(text) and lance_arrow_schema(regclass).  The bytes
 *		are made by arrow_ipc_write.c; output_schema checking and
 *		lance_arrow_schema_describe(text) are in arrow_describe.c.
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
 * Work never grows quadratically: duplicate names are found by sorting
 * (arrow_first_duplicate), the fields made (nested ones included) are
 * counted against ARROW_MAX_FIELDS as they are made (a composite of
 * composites could otherwise multiply them), and every loop checks for
 * interrupts (the encoder, which has no PostgreSQL code, runs on a schema
 * of at most ARROW_MAX_FIELDS fields).  Field names are copied (to_utf8):
 * they must not point into a tuple descriptor or relation released before
 * the schema is encoded.  Messages quote input through validate_quote.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
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
#include "functions/validate.h"

PG_FUNCTION_INFO_V1(lance_arrow_schema_text);
PG_FUNCTION_INFO_V1(lance_arrow_schema_rel);

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

/* Memory for the Arrow code (also used by arrow_describe.c) */
const ArrowAllocator pg_arrow_mem = {pg_arrow_alloc, pg_arrow_realloc, NULL};

/* Fields made by the current call (map_type), against ARROW_MAX_FIELDS */
static int	fields_made = 0;

/*
 * A string from the server encoding to UTF-8, always a copy of its own
 * (pg_server_to_any returns s itself when nothing needs converting, and s may
 * be an attribute name in a tuple descriptor released before encoding).
 */
static const char *
to_utf8(const char *s)
{
	char	   *utf8 = pg_server_to_any(s, strlen(s), PG_UTF8);

	return utf8 == s ? pstrdup(s) : utf8;
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
			 errmsg("column \"%s\" has type %s, which %s", validate_quote(col),
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

/*
 * Make f a Struct of the composite type's attributes.  The child names are
 * copies (to_utf8): desc is released here, and mapping the children (or
 * any later column) may read catalogs, so process invalidations that free
 * it, long before the schema is encoded.
 */
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
		child->name = to_utf8(NameStr(att->attname));	/* a copy, see above */
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
				 errmsg("column \"%s\" is numeric without a precision, which Arrow cannot hold",
						validate_quote(col)),
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
	CHECK_FOR_INTERRUPTS();
	if (++fields_made > ARROW_MAX_FIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the Arrow schema would have more than %d fields (at column \"%s\")",
						ARROW_MAX_FIELDS, validate_quote(col)),
				 errhint("Nested fields count too: a composite column makes one field per attribute, and each array one more.")));
	if (bounds != NIL)
	{
		int			size = intVal(linitial(bounds));
		List	   *rest = list_copy_tail(bounds, 1);

		if (size == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("column \"%s\" has an array size of 0", validate_quote(col))));
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

/* ------------------------------------------------------------- encoding */

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

/* ----------------------------------------------------------- column list */

/* Error context while parsing a column list: no misleading cursor */
static void
column_list_error_callback(void *arg)
{
	errposition(0);
	errcontext("column list: %s", validate_quote((const char *) arg));
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

/* Longest message of PostgreSQL's own errors on a column list (parser, types) */
#define COLUMN_LIST_MESSAGE_MAX 256

/*
 * Re-raise the error being handled with its message escaped and cut
 * (validate_message_text): PostgreSQL's parser quotes the column list's
 * tokens, a string constant of any length or a name holding a newline.
 */
static void
rethrow_clean(MemoryContext mcxt)
pg_attribute_noreturn();

static void
rethrow_clean(MemoryContext mcxt)
{
	ErrorData  *edata;
	char	   *clean;

	MemoryContextSwitchTo(mcxt);
	edata = CopyErrorData();
	clean = edata->message ?
		validate_message_text(edata->message, COLUMN_LIST_MESSAGE_MAX) : NULL;
	if (clean == NULL || strcmp(clean, edata->message) == 0)
		PG_RE_THROW();
	FlushErrorState();
	edata->message = clean;
	ReThrowError(edata);
}

/* The fields of a column list */
static ArrowField *
column_list_fields(const char *columns, int *nfields)
{
	CreateStmt *cs = parse_column_list(columns);
	int			n = list_length(cs->tableElts);
	ArrowField *fields;
	const char **names;
	int			dup;
	int			i = 0;
	ListCell   *lc;

	if (n > ARROW_MAX_FIELDS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the column list has %d columns, more than the %d fields an Arrow schema may have",
						n, ARROW_MAX_FIELDS)));

	/*
	 * The first repeated name, found by sorting; it is reported when the
	 * loop reaches it, so that an earlier column's error comes first.  An
	 * element that is not a column (raised at its turn) gets "", which no
	 * column's name is.
	 */
	names = palloc(sizeof(char *) * n);
	foreach(lc, cs->tableElts)
		names[i++] = IsA(lfirst(lc), ColumnDef) ? ((ColumnDef *) lfirst(lc))->colname : "";
	dup = arrow_first_duplicate(names, n);

	fields = palloc0(sizeof(ArrowField) * n);
	fields_made = 0;
	i = 0;
	foreach(lc, cs->tableElts)
	{
		ColumnDef  *cd = (ColumnDef *) lfirst(lc);

		CHECK_FOR_INTERRUPTS();
		if (!IsA(cd, ColumnDef))
			bad_column_list("table constraints and LIKE are not allowed");
		column_to_field(cd, &fields[i]);
		if (i == dup)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("column \"%s\" specified more than once",
							validate_quote(cd->colname))));
		i++;
	}
	*nfields = n;
	return fields;
}

/* SQL: lance_arrow_schema(columns text) RETURNS text */
Datum
lance_arrow_schema_text(PG_FUNCTION_ARGS)
{
	char	   *columns = text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext mcxt = CurrentMemoryContext;
	ArrowField *fields = NULL;
	int			n = 0;

	PG_TRY();
	{
		fields = column_list_fields(columns, &n);
	}
	PG_CATCH();
	{
		rethrow_clean(mcxt);
	}
	PG_END_TRY();
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
	fields_made = 0;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		ArrowField *f = &fields[n];

		CHECK_FOR_INTERRUPTS();
		if (att->attisdropped)
			continue;
		n++;
		/* a copy: the relation is closed before the schema is encoded */
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
