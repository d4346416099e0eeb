/*
 * arrow_describe.c
 *		Checking an output_schema (lance_check_output_schema) and the
 *		SQL-callable lance_arrow_schema_describe(text), which lists its
 *		top-level fields with a readable rendering of their Arrow types.
 *		The bytes are read by arrow_ipc.c.
 *
 * An output_schema is accepted (lance_check_output_schema, describe) when it
 * is canonical standard base64 of exactly one encapsulated Schema message
 * that arrow_ipc.c decodes, with at least one field and distinct, non-empty
 * top-level names.  Duplicates are found by sorting (arrow_first_duplicate,
 * also used by lance_arrow_schema), and messages quote names through
 * validate_quote (escaped, cut after a few dozen characters).
 */
#include "postgres.h"

#include "common/base64.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "arrow_ipc.h"
#include "arrow_schema.h"
#include "functions/validate.h"

PG_FUNCTION_INFO_V1(lance_arrow_schema_describe);

/* A UTF-8 string to the server encoding */
static char *
from_utf8(const char *s)
{
	return pg_any_to_server(s, strlen(s), PG_UTF8);
}

/* ------------------------------------------------------------- checking */

/* Raise the 22023 error for a bad output_schema (detail in the server encoding) */
static void
bad_schema(const char *detail)
pg_attribute_noreturn();

static void
bad_schema(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid output_schema: %s",
					validate_message_text(detail, sizeof(((ArrowError *) NULL)->message)))));
	pg_unreachable();
}

/* A name and where it is, for arrow_first_duplicate */
typedef struct NameAt
{
	const char *name;
	int			index;
} NameAt;

/* qsort order of NameAt: by name, then by index */
static int
name_at_cmp(const void *a, const void *b)
{
	const NameAt *x = (const NameAt *) a;
	const NameAt *y = (const NameAt *) b;
	int			c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * Exported: the smallest index i such that names[i] equals some names[j],
 * j < i; -1 when all n names are distinct.  O(n log n): the names are
 * sorted (copies of the pointers), never compared pairwise.
 */
int
arrow_first_duplicate(const char *const *names, int n)
{
	NameAt	   *sorted;
	int			first = -1;

	if (n < 2)
		return -1;
	sorted = palloc(sizeof(NameAt) * n);
	for (int i = 0; i < n; i++)
	{
		sorted[i].name = names[i];
		sorted[i].index = i;
	}
	CHECK_FOR_INTERRUPTS();
	qsort(sorted, n, sizeof(NameAt), name_at_cmp);
	for (int i = 1; i < n; i++)
		if (strcmp(sorted[i - 1].name, sorted[i].name) == 0 &&
			(first < 0 || sorted[i].index < first))
			first = sorted[i].index;
	pfree(sorted);
	return first;
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

	const char **names;
	int			dup;

	if (len == 0)
		bad_schema("it is empty");
	bytes = decode_base64(b64, len, &n);
	if (bytes == NULL)
		bad_schema("it is not base64 (standard alphabet, padded with =)");
	if (!arrow_decode_schema((const uint8_t *) bytes, (size_t) n,
							 &pg_arrow_mem, schema, &err))
		bad_schema(from_utf8(err.message));
	if (schema->n_fields == 0)
		bad_schema("the schema has no fields");

	/* the first problem in field order: an empty name, or a repeated one */
	names = palloc(sizeof(char *) * schema->n_fields);
	for (int i = 0; i < schema->n_fields; i++)
		names[i] = schema->fields[i].name;
	dup = arrow_first_duplicate(names, schema->n_fields);
	for (int i = 0; i < schema->n_fields && i != dup; i++)
		if (schema->fields[i].name[0] == '\0')
			bad_schema(psprintf("field #%d has an empty name", i + 1));
	if (dup >= 0)
		bad_schema(psprintf("field \"%s\" appears more than once",
							validate_quote(from_utf8(schema->fields[dup].name))));
	pfree(names);
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

		CHECK_FOR_INTERRUPTS();

		initStringInfo(&type);
		render_type(&type, f);
		values[0] = CStringGetTextDatum(from_utf8(f->name));
		values[1] = CStringGetTextDatum(from_utf8(type.data));
		values[2] = BoolGetDatum(f->nullable);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
