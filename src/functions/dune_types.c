/*-------------------------------------------------------------------------
 * dune_types.c
 *	  Dune's column types (Trino's) as PostgreSQL types, and a result's
 *	  values written as fields of COPY's text format for the column they go
 *	  into (functions/load.c).
 *
 * The mapping (the README's table): varchar -> text; bigint, integer,
 * smallint (tinyint -> smallint); double -> double precision, real; boolean;
 * date; timestamp(p) and timestamp(p) with time zone (p at most 6);
 * decimal(p,s) -> numeric(p,s); uint256, int256 -> numeric; varbinary ->
 * bytea; json, row(...), map(...) -> jsonb; array(T) -> T[] (array of an
 * array -> jsonb); anything else -> text (the caller names it in a NOTICE).
 *
 * Values keep their exact text: numbers are their JSON literals (a uint256
 * keeps all its digits), strings are decoded, varbinary's "0x..." becomes
 * bytea's \x..., JSON text goes to json and jsonb columns as it is (a Dune
 * json value, a string, goes as the JSON it holds), arrays become array
 * literals.  The column's input function then parses the text, so a value
 * that is not of its type fails there, and COPY names the line and column.
 * May call functions/json_scan.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/lsyscache.h"

#include "functions/dune_types.h"

#define MAX_TIMESTAMP_PRECISION 6

/* The text between "prefix" and the last ")" of t, or NULL when t is not prefix(...). */
static char *
inside(const char *t, const char *prefix)
{
	size_t		plen = strlen(prefix);
	size_t		len = strlen(t);

	if (len <= plen || strncmp(t, prefix, plen) != 0 || t[len - 1] != ')')
		return NULL;
	return pnstrdup(t + plen, len - plen - 1);
}

/* A timestamp type's precision ("timestamp(3)..."), or -1 when none is given. */
static int
timestamp_precision(const char *t, const char **rest)
{
	int			p = -1;

	*rest = t + strlen("timestamp");
	if (**rest == '(')
	{
		char	   *end;

		p = (int) strtol(*rest + 1, &end, 10);
		if (*end != ')' || p < 0)
			return -2;
		*rest = end + 1;
	}
	return Min(p, MAX_TIMESTAMP_PRECISION);
}

/*
 * The PostgreSQL type of a Dune column type, as text for CREATE TABLE;
 * *known is false for a type loaded as text because it is not known here.
 */
char *
dune_type_to_pg(const char *t, bool *known)
{
	static const char *const simple[][2] = {
		{"varchar", "text"}, {"bigint", "bigint"}, {"integer", "integer"}, {"int", "integer"},
		{"smallint", "smallint"}, {"tinyint", "smallint"}, {"double", "double precision"},
		{"real", "real"}, {"boolean", "boolean"}, {"date", "date"}, {"uint256", "numeric"},
		{"int256", "numeric"}, {"varbinary", "bytea"}, {"json", "jsonb"}, {"decimal", "numeric"},
	};
	char	   *in;

	*known = true;
	for (size_t i = 0; i < lengthof(simple); i++)
		if (strcmp(t, simple[i][0]) == 0)
			return pstrdup(simple[i][1]);
	if ((in = inside(t, "array(")) != NULL)
	{
		if (strncmp(in, "array(", 6) == 0)
			return pstrdup("jsonb");
		return psprintf("%s[]", dune_type_to_pg(in, known));
	}
	if (inside(t, "row(") || inside(t, "map("))
		return pstrdup("jsonb");
	if (inside(t, "varchar(") || inside(t, "char("))
		return pstrdup("text");
	if ((in = inside(t, "decimal(")) != NULL)
	{
		int			p,
					s;
		char		extra;

		if (sscanf(in, "%d , %d %c", &p, &s, &extra) == 2 && p >= 1 && p <= 1000 &&
			s >= 0 && s <= p)
			return psprintf("numeric(%d,%d)", p, s);
	}
	if (strncmp(t, "timestamp", 9) == 0)
	{
		const char *rest;
		int			p = timestamp_precision(t, &rest);
		const char *zone = strcmp(rest, " with time zone") == 0 ? " with time zone" :
			rest[0] == '\0' ? "" : NULL;

		if (p >= -1 && zone != NULL)
			return p < 0 ? psprintf("timestamp%s", zone) : psprintf("timestamp(%d)%s", p, zone);
	}
	*known = false;
	return pstrdup("text");
}

/* How values are written for a column of type typid. */
static ValueCategory
category(Oid typid)
{
	if (typid == JSONBOID || typid == JSONOID)
		return VALUE_JSON;
	if (typid == BYTEAOID)
		return VALUE_BYTEA;
	if (OidIsValid(get_element_type(typid)))
		return VALUE_ARRAY;
	return VALUE_TEXT;
}

/* A result column loaded into a table column of type typid. */
void
dune_column_init(LoadColumn *col, const char *name, const char *dune_type, Oid typid)
{
	Oid			elem = get_element_type(typid);

	col->name = name;
	col->dune_type = dune_type;
	col->dune_json = strcmp(dune_type, "json") == 0;
	col->elem_json = strcmp(dune_type, "array(json)") == 0;
	col->cat = category(typid);
	col->elem_cat = OidIsValid(elem) ? category(elem) : VALUE_TEXT;
}

/*
 * The text of a non-null value for a column of category cat, escaped for
 * COPY (copy) or plain.
 */
static void
value_text(ValueCategory cat, bool dune_json, const JsonSpan *v, StringInfo out, bool copy)
{
	size_t		len = v->end - v->start;

	if (v->kind == JSON_KIND_STRING && !(cat == VALUE_JSON && !dune_json))
	{
		if (cat == VALUE_BYTEA && len >= 4 && v->start[1] == '0' && v->start[2] == 'x' &&
			memchr(v->start, '\\', len) == NULL)
		{
			appendStringInfoString(out, copy ? "\\\\x" : "\\x");
			appendBinaryStringInfo(out, v->start + 3, len - 4);
		}
		else
			jscan_string(v, out, copy);
	}
	else if (copy)
		jscan_copy_escape(v->start, len, out);
	else
		appendBinaryStringInfo(out, v->start, len);
}

/* A JSON array as an array literal (nested arrays as nested literals). */
static void
array_literal(ValueCategory elem_cat, bool elem_json, const JsonSpan *arr, StringInfo out)
{
	JsonScan	s;
	JsonSpan	e;
	bool		first = true;
	StringInfoData text;

	initStringInfo(&text);
	appendStringInfoChar(out, '{');
	jscan_open(&s, arr);
	while (jscan_element(&s, &e))
	{
		if (!first)
			appendStringInfoChar(out, ',');
		first = false;
		if (e.kind == JSON_KIND_NULL)
			appendStringInfoString(out, "NULL");
		else if (e.kind == JSON_KIND_ARRAY && elem_cat != VALUE_JSON)
			array_literal(elem_cat, elem_json, &e, out);
		else
		{
			resetStringInfo(&text);
			value_text(elem_cat, elem_json, &e, &text, false);
			appendStringInfoChar(out, '"');
			for (int i = 0; i < text.len; i++)
			{
				if (text.data[i] == '"' || text.data[i] == '\\')
					appendStringInfoChar(out, '\\');
				appendStringInfoChar(out, text.data[i]);
			}
			appendStringInfoChar(out, '"');
		}
	}
	appendStringInfoChar(out, '}');
	pfree(text.data);
}

/*
 * Append one value (a checked span of the row) to out as a field of COPY's
 * text format; scratch is a buffer the caller lends (array literals).
 */
void
dune_copy_value(const LoadColumn *col, const JsonSpan *v, StringInfo out, StringInfo scratch)
{
	if (v->kind == JSON_KIND_NULL)
	{
		appendBinaryStringInfo(out, "\\N", 2);
		return;
	}
	if (col->cat == VALUE_ARRAY && v->kind == JSON_KIND_ARRAY)
	{
		resetStringInfo(scratch);
		array_literal(col->elem_cat, col->elem_json, v, scratch);
		jscan_copy_escape(scratch->data, scratch->len, out);
		return;
	}
	value_text(col->cat, col->dune_json, v, out, true);
}
