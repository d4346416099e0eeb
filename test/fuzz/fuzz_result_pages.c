/*-------------------------------------------------------------------------
 * fuzz_result_pages.c
 *	  libFuzzer target for results pages (GET /v1/execution/{id}/results):
 *	  read_page and the span scanner (src/functions/results.c, json_scan.c),
 *	  the columns and the next_offset paging, rows split into columns
 *	  (results_split_row), the column types (dune_type_to_pg) and each value
 *	  written as a field of COPY's text format (dune_copy_value in
 *	  src/functions/dune_types.c), as dune_mv_results and dune_mv_load read
 *	  a result.
 *
 * Input: a first line, the row limit ("-" or empty: all rows; else a
 * number), then the pages separated by a line "--8<--"; a page is
 * "NNN body" (status NNN) or just a body (200).
 *
 * Checks besides memory errors:
 *	- no more rows than the limit, value spans inside their row;
 *	- every type dune_type_to_pg makes is a PostgreSQL type name;
 *	- a COPY field has no raw tab, newline or carriage return, no dangling
 *	  backslash and no "\." (COPY's end-of-data marker), and is "\N" exactly
 *	  for a JSON null;
 *	- decoded as COPY decodes it, a text column's field is the value: a
 *	  string decoded by an independent JSON decoder (a lone surrogate is
 *	  U+FFFD, as json_scan.c documents), a number or literal as written; a
 *	  json column's field is the value's JSON text; a bytea column's
 *	  "0x..." string is "\x...".
 *-------------------------------------------------------------------------
 */
#include "fuzz_shim.h"

#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "functions/dune_types.h"
#include "functions/json_scan.h"
#include "functions/results.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SEPARATOR "\n--8<--\n"
#define EXECUTION_ID "01HZ065JVE23C23FM2HKWQP2RT"

static int64 limit;

/* The OID of a type name as dune_type_to_pg writes it; InvalidOid if it is none. */
static Oid
type_oid(const char *name)
{
	static const struct
	{
		const char *name;
		Oid			oid;
		Oid			array;
	}			types[] = {
		{"text", TEXTOID, TEXTARRAYOID}, {"bigint", INT8OID, INT8ARRAYOID},
		{"integer", INT4OID, INT4ARRAYOID}, {"smallint", INT2OID, INT2ARRAYOID},
		{"double precision", FLOAT8OID, FLOAT8ARRAYOID}, {"real", FLOAT4OID, FLOAT4ARRAYOID},
		{"boolean", BOOLOID, BOOLARRAYOID}, {"date", DATEOID, DATEARRAYOID},
		{"numeric", NUMERICOID, NUMERICARRAYOID}, {"bytea", BYTEAOID, BYTEAARRAYOID},
		{"jsonb", JSONBOID, JSONBARRAYOID}, {"timestamp", TIMESTAMPOID, TIMESTAMPARRAYOID},
		{"timestamp with time zone", TIMESTAMPTZOID, TIMESTAMPTZARRAYOID},
	};
	size_t		len = strlen(name);
	bool		array = len > 2 && strcmp(name + len - 2, "[]") == 0;
	char	   *base = pnstrdup(name, array ? len - 2 : len);
	int			p,
				s,
				n = 0;

	/* numeric(p,s), timestamp(p)[ with time zone] */
	if (sscanf(base, "numeric(%d,%d)%n", &p, &s, &n) == 2 && base[n] == '\0' &&
		p >= 1 && p <= 1000 && s >= 0 && s <= p)
		base = "numeric";
	else if (sscanf(base, "timestamp(%d)%n", &p, &n) == 1 && p >= 0 && p <= 6)
		base = psprintf("timestamp%s", base + n);
	for (size_t i = 0; i < lengthof(types); i++)
		if (strcmp(base, types[i].name) == 0)
			return array ? types[i].array : types[i].oid;
	return InvalidOid;
}

static int
hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
		c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void
put_utf8(StringInfo out, unsigned int cp)
{
	if (cp < 0x80)
		appendStringInfoChar(out, (char) cp);
	else if (cp < 0x800)
	{
		appendStringInfoChar(out, (char) (0xC0 | (cp >> 6)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
	else if (cp < 0x10000)
	{
		appendStringInfoChar(out, (char) (0xE0 | (cp >> 12)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
	else
	{
		appendStringInfoChar(out, (char) (0xF0 | (cp >> 18)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 12) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
}

static unsigned int
hex4(const char *p)
{
	return (hex(p[0]) << 12) | (hex(p[1]) << 8) | (hex(p[2]) << 4) | hex(p[3]);
}

/* An independent decoder of a checked JSON string span (quotes included). */
static void
decode_json_string(const char *s, const char *end, StringInfo out)
{
	const char *p = s + 1;

	end--;
	while (p < end)
	{
		unsigned int cp;

		if (*p != '\\')
		{
			appendStringInfoChar(out, *p++);
			continue;
		}
		switch (p[1])
		{
			case 'b':
				appendStringInfoChar(out, '\b');
				p += 2;
				continue;
			case 'f':
				appendStringInfoChar(out, '\f');
				p += 2;
				continue;
			case 'n':
				appendStringInfoChar(out, '\n');
				p += 2;
				continue;
			case 'r':
				appendStringInfoChar(out, '\r');
				p += 2;
				continue;
			case 't':
				appendStringInfoChar(out, '\t');
				p += 2;
				continue;
			case 'u':
				break;
			default:
				appendStringInfoChar(out, p[1]);
				p += 2;
				continue;
		}
		cp = hex4(p + 2);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF && end - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
			hex4(p + 2) >= 0xDC00 && hex4(p + 2) <= 0xDFFF)
		{
			cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(p + 2) - 0xDC00);
			p += 6;
		}
		else if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD;
		put_utf8(out, cp);		/* U+0000 is a NUL byte, as COPY's "\0" decodes */
	}
}

/*
 * Decode a COPY text field as COPY FROM does (copyfromparse.c), failing on
 * what would break the row: a raw tab, newline or carriage return, a
 * dangling backslash, and "\." (the end-of-data marker).
 */
static void
decode_copy_field(const char *f, int len, StringInfo out)
{
	for (int i = 0; i < len; i++)
	{
		char		c = f[i];

		if (c == '\t' || c == '\n' || c == '\r')
			shim_fail("COPY field holds a raw 0x%02x: \"%.*s\"", c, len, f);
		if (c != '\\')
		{
			appendStringInfoChar(out, c);
			continue;
		}
		if (++i >= len)
			shim_fail("COPY field ends with a dangling backslash: \"%.*s\"", len, f);
		c = f[i];
		if (c >= '0' && c <= '7')
		{
			int			v = c - '0';

			for (int k = 0; k < 2 && i + 1 < len && f[i + 1] >= '0' && f[i + 1] <= '7'; k++)
				v = v * 8 + (f[++i] - '0');
			appendStringInfoChar(out, (char) (v & 0xFF));
		}
		else if (c == 'x' && i + 1 < len && hex(f[i + 1]) >= 0)
		{
			int			v = hex(f[++i]);

			if (i + 1 < len && hex(f[i + 1]) >= 0)
				v = v * 16 + hex(f[++i]);
			appendStringInfoChar(out, (char) v);
		}
		else if (c == '.')
			shim_fail("COPY field holds \"\\.\", COPY's end-of-data marker: \"%.*s\"", len, f);
		else
			appendStringInfoChar(out, c == 'b' ? '\b' : c == 'f' ? '\f' : c == 'n' ? '\n' :
								 c == 'r' ? '\r' : c == 't' ? '\t' : c == 'v' ? '\v' : c);
	}
}

/* len bytes at s, control characters and backslashes written as \xHH (for messages). */
static char *
show(const char *s, int len)
{
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7f || c == '\\')
			appendStringInfo(&out, "\\x%02x", c);
		else
			appendStringInfoChar(&out, (char) c);
	}
	return out.data;
}

/* One value of a column, written for COPY: the checks of the file's header. */
static void
check_value(const LoadColumn *col, const JsonSpan *v, StringInfo field, StringInfo scratch)
{
	StringInfoData decoded;
	StringInfoData expected;
	size_t		vlen = v->end - v->start;

	resetStringInfo(field);
	dune_copy_value(col, v, field, scratch);
	if ((field->len == 2 && memcmp(field->data, "\\N", 2) == 0) != (v->kind == JSON_KIND_NULL))
		shim_fail("COPY field \"%s\" for a value of kind %d", field->data, v->kind);
	if (v->kind == JSON_KIND_NULL)
		return;
	initStringInfo(&decoded);
	decode_copy_field(field->data, field->len, &decoded);
	if (col->cat == VALUE_ARRAY && v->kind == JSON_KIND_ARRAY)
		return;					/* an array literal: checked as a COPY field only */
	initStringInfo(&expected);
	if (v->kind == JSON_KIND_STRING && col->cat == VALUE_BYTEA && vlen >= 4 &&
		v->start[1] == '0' && v->start[2] == 'x' && memchr(v->start, '\\', vlen) == NULL)
	{
		appendStringInfoString(&expected, "\\x");
		appendBinaryStringInfo(&expected, v->start + 3, vlen - 4);
	}
	else if (v->kind == JSON_KIND_STRING && !(col->cat == VALUE_JSON && !col->dune_json))
		decode_json_string(v->start, v->end, &expected);
	else
		appendBinaryStringInfo(&expected, v->start, vlen);
	if (decoded.len != expected.len || memcmp(decoded.data, expected.data, decoded.len) != 0)
		shim_fail("COPY field \"%s\" decodes to \"%s\", but the value %.*s is \"%s\"",
				  field->data, show(decoded.data, decoded.len), (int) vlen, v->start,
				  show(expected.data, expected.len));
}

static void
row_jsonb(void *arg)
{
	JsonSpan   *row = arg;
	char	   *text = pnstrdup(row->start, row->end - row->start);

	(void) pg_any_to_server(text, strlen(text), PG_UTF8);
	(void) DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

static void
read_result(void *arg)
{
	ResultReader *r = palloc0(sizeof(ResultReader));
	LoadColumn *cols;
	JsonSpan   *values;
	JsonSpan	row;
	StringInfoData field;
	StringInfoData scratch;
	int64		rows = 0;

	r->limit = limit;
	results_begin(r, EXECUTION_ID);
	if (r->ncolumns <= 0)
		shim_fail("a result without columns was read");
	cols = palloc(sizeof(LoadColumn) * r->ncolumns);
	values = palloc(sizeof(JsonSpan) * r->ncolumns);
	for (int c = 0; c < r->ncolumns; c++)
	{
		bool		known;
		char	   *pg_type = dune_type_to_pg(r->types[c], &known);
		Oid			typid = type_oid(pg_type);

		if (!OidIsValid(typid))
			shim_fail("dune_type_to_pg(\"%s\") is \"%s\", not a type", r->types[c], pg_type);
		dune_column_init(&cols[c], r->names[c], r->types[c], typid);
	}
	initStringInfo(&field);
	initStringInfo(&scratch);
	while (results_next_row(r, &row))
	{
		rows++;
		if (limit >= 0 && rows > limit)
			shim_fail("row " INT64_FORMAT " read with limit " INT64_FORMAT, rows, limit);
		if (row.kind != JSON_KIND_OBJECT || *row.start != '{')
			shim_fail("row " INT64_FORMAT " is a span of kind %d", rows, row.kind);
		results_split_row(r, &row, values);
		/* split without error: the row was checked through, its closing brace too */
		if (row.end[-1] != '}')
			shim_fail("results_split_row accepts row " INT64_FORMAT " closed by '%c': ...%.*s",
					  rows, row.end[-1], (int) Min(row.end - row.start, 60),
					  row.end - Min(row.end - row.start, 60));
		for (int c = 0; c < r->ncolumns; c++)
		{
			if (values[c].start < row.start || values[c].end > row.end ||
				values[c].start >= values[c].end)
				shim_fail("column %d's value is outside its row", c);
			check_value(&cols[c], &values[c], &field, &scratch);
		}
		(void) shim_try(row_jsonb, &row);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	ShimPart	parts[SHIM_MAX_RESPONSES];
	int			nparts = 0;
	char	   *head;

	shim_configure_providers();
	shim_begin();
	head = shim_cstring(data, nl ? (size_t) (nl - data) : size);
	limit = (head[0] >= '0' && head[0] <= '9') ? strtol(head, NULL, 10) : -1;
	if (limit == 0)
		limit = -1;				/* dune_mv_results refuses a limit of 0 */
	if (nl)
		nparts = shim_split(nl + 1, size - (nl + 1 - data), SEPARATOR, parts, SHIM_MAX_RESPONSES);
	shim_script_reset();
	shim_script_parts(parts, nparts);
	(void) shim_try(read_result, NULL);
	shim_end();
	return 0;
}
