/*-------------------------------------------------------------------------
 * results.c
 *	  Reading a Dune execution's result page by page, row by row; and
 *	  dune_mv_results, which returns the rows as jsonb (which execution a
 *	  source names: functions/results_source.c).
 *
 * Every page is one GET /v1/execution/{id}/results?limit=&offset=... run
 * through api_call() (operation "results", recorded like any call; the
 * recorded response is the page without its rows).  read_page checks the
 * page with the span scanner (functions/json_scan.c): UTF-8, the envelope,
 * result.metadata (the same columns on every page), next_offset (it must
 * move forward) and the rows (objects); a row is split into its columns'
 * values when it is read.  Only one page is held at a time: its body, its
 * envelope and its row spans live in a memory context reset before the next
 * page.  Pages ask for as many rows as fit in half of
 * dune_mv.max_response_size, judged from the page before.  A result of more
 * rows than dune_mv.max_result_rows (superuser) is refused (54000).  May call
 * core/ and providers/dune.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"

#include "core/settings.h"
#include "functions/results.h"
#include "functions/validate.h"
#include "providers/dune.h"

#define FIRST_PAGE_ROWS 1000
#define MIN_PAGE_ROWS	100
#define MAX_PAGE_ROWS	100000

PG_FUNCTION_INFO_V1(dune_mv_results);

int			dune_mv_max_result_rows = 10000000;

/* Define dune_mv.max_result_rows (from _PG_init). */
void
results_define_settings(void)
{
	DefineCustomIntVariable("dune_mv.max_result_rows",
							"Most rows dune_mv_results and dune_mv_load read from one result.",
							"A larger result is refused before its rows are read.",
							&dune_mv_max_result_rows, 10000000, 1, INT_MAX, PGC_SUSET, 0,
							NULL, NULL, NULL);
}

/* Raise the error for a malformed page. */
static void bad_page(ResultReader *r, const char *what) pg_attribute_noreturn();

static void
bad_page(ResultReader *r, const char *what)
{
	api_bad_reply(&r->call, what);
}

/* A malformed row (of the current page): 08P01, naming the row. */
void
results_bad_row(ResultReader *r, const char *what)
{
	bad_page(r, psprintf("row " INT64_FORMAT " of the result: %s", r->delivered, what));
}

/* The string elements of metadata[key], n of them, in UTF-8; NULL when unfit. */
static char **
string_list(json_object *metadata, const char *key, int *n)
{
	json_object *arr;
	char	  **out;

	if (!json_object_object_get_ex(metadata, key, &arr) ||
		!json_object_is_type(arr, json_type_array))
		return NULL;
	*n = (int) json_object_array_length(arr);
	out = palloc(sizeof(char *) * (*n + 1));
	for (int i = 0; i < *n; i++)
	{
		json_object *e = json_object_array_get_idx(arr, i);

		if (!json_object_is_type(e, json_type_string))
			return NULL;
		out[i] = pstrdup(json_object_get_string(e));
	}
	return out;
}

/*
 * The columns of a page: the first page's become the result's; every later
 * page must have exactly the same names and types.
 */
static void
read_columns(ResultReader *r, json_object *metadata)
{
	int			nnames = 0;
	int			ntypes = 0;
	char	  **names = string_list(metadata, "column_names", &nnames);
	char	  **types = string_list(metadata, "column_types", &ntypes);
	int64		total;

	if (names == NULL || types == NULL || nnames != ntypes || nnames == 0)
		bad_page(r, "result.metadata has no column_names and column_types of the same length");
	if (r->names != NULL)
	{
		bool		same = nnames == r->ncolumns;

		for (int i = 0; same && i < nnames; i++)
			same = strcmp(names[i], r->names_utf8[i]) == 0 && strcmp(types[i], r->types[i]) == 0;
		if (!same)
			bad_page(r, psprintf("the result's columns changed between pages (at offset " INT64_FORMAT ")",
								 r->offset));
		return;
	}
	/* the first page: keep the columns for the whole read */
	{
		MemoryContext old = MemoryContextSwitchTo(r->cxt);

		r->ncolumns = nnames;
		r->names_utf8 = palloc(sizeof(char *) * nnames);
		r->name_lens = palloc(sizeof(size_t) * nnames);
		r->names = palloc(sizeof(char *) * nnames);
		r->types = palloc(sizeof(char *) * nnames);
		r->key_order = palloc(sizeof(int) * nnames);
		for (int i = 0; i < nnames; i++)
		{
			r->names_utf8[i] = pstrdup(names[i]);
			r->name_lens[i] = strlen(names[i]);
			r->names[i] = pg_any_to_server(names[i], strlen(names[i]), PG_UTF8);
			r->types[i] = pstrdup(types[i]);
			r->key_order[i] = i;
		}
		MemoryContextSwitchTo(old);
	}
	r->total_rows = json_int64_field(metadata, "total_row_count", &total) ? total : -1;
}

/* The rows a read will hand out, checked against dune_mv.max_result_rows. */
static void
check_cap(ResultReader *r, int64 rows)
{
	if (rows > dune_mv_max_result_rows)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the result of Dune execution %s has " INT64_FORMAT " rows, more than dune_mv.max_result_rows (%d)",
						r->execution_id, rows, dune_mv_max_result_rows),
				 errhint("Read fewer rows (limit, filters), or ask a superuser to raise dune_mv.max_result_rows.")));
}

/* A page without a result: the execution has not succeeded (yet). */
static void
no_result(ResultReader *r, json_object *reply)
{
	const char *state = json_string_field(reply, "state");
	bool		finished = false;

	if (state == NULL)
		bad_page(r, "the reply has neither a result nor a state");
	(void) json_bool_field(reply, "is_execution_finished", &finished);
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("Dune execution %s has no result: its state is %s", r->execution_id,
					validate_quote(state)),
			 finished ? 0 : errhint("Wait for it with dune_mv_wait, then read it.")));
}

/* Append a row span to the page's rows. */
static void
add_row(ResultReader *r, const JsonSpan *row, int *cap)
{
	if (row->kind != JSON_KIND_OBJECT)
		bad_page(r, psprintf("row " INT64_FORMAT " of the result is not an object",
							 r->delivered + r->nrows + 1));
	if (r->nrows == *cap)
	{
		*cap *= 2;
		r->rows = repalloc_huge(r->rows, sizeof(JsonSpan) * *cap);
	}
	r->rows[r->nrows++] = *row;
}

/*
 * One pass over a page: the top-level object, its "result" object (sets
 * *has_result), and the spans of the rows of its "rows" array (sets *rows to
 * the array, kind JSON_KIND_NULL when there is none).  Rows are skipped over
 * here (shallow) and checked when they are split.
 */
static void
scan_page(ResultReader *r, const char *body, size_t len, bool *has_result, JsonSpan *rows)
{
	JsonScan	s = {body, body + len};
	JsonScan	top, result, arr;
	JsonSpan	key, value;
	int			cap = 256;

	s.shallow = true;
	*has_result = false;
	rows->kind = JSON_KIND_NULL;
	rows->start = rows->end = NULL;
	r->rows = palloc(sizeof(JsonSpan) * cap);
	r->nrows = 0;
	r->row = 0;
	if (!jscan_enter(&s, &top, '{'))
		bad_page(r, "the body is not a JSON object");
	while (jscan_member_key(&top, &key))
	{
		if (!jscan_key_is(&key, "result", 6) || !jscan_enter(&top, &result, '{'))
		{
			*has_result |= jscan_key_is(&key, "result", 6);
			if (!jscan_value(&top, &value))
				break;
			continue;
		}
		*has_result = true;
		while (jscan_member_key(&result, &key))
		{
			if (!jscan_key_is(&key, "rows", 4) || !jscan_enter(&result, &arr, '['))
			{
				if (!jscan_value(&result, &value))
					break;
				continue;
			}
			rows->start = result.p;
			while (jscan_element(&arr, &value))
				add_row(r, &value, &cap);
			if (arr.error)
				bad_page(r, arr.error);
			jscan_leave(&result, &arr);
			rows->kind = JSON_KIND_ARRAY;
			rows->end = result.p;
		}
		if (result.error)
			bad_page(r, result.error);
		jscan_leave(&top, &result);
	}
	if (top.error)
		bad_page(r, top.error);
	jscan_leave(&s, &top);
	if (!jscan_done(&s))
		bad_page(r, "text follows the JSON object");
}

/*
 * read_reply of a results page (see the file header).  The reply recorded
 * becomes the page without its rows.
 */
static void
read_page(ApiCall *call)
{
	ResultReader *r = (ResultReader *) call->read_arg;
	const char *body = call->resp.body;
	size_t		len = call->resp.body_len;
	JsonSpan	rows;
	bool		has_result;
	StringInfoData summary;
	json_object *reply, *res, *metadata;
	int64		next;

	if (len == 0 || !pg_verify_mbstr(PG_UTF8, body, (int) len, true))
		bad_page(r, "the body is not valid UTF-8");
	scan_page(r, body, len, &has_result, &rows);

	/* the envelope: the body with an empty rows array */
	initStringInfo(&summary);
	if (rows.kind == JSON_KIND_ARRAY)
	{
		appendBinaryStringInfo(&summary, body, rows.start - body);
		appendStringInfoString(&summary, "[]");
		appendBinaryStringInfo(&summary, rows.end, body + len - rows.end);
	}
	else
		appendBinaryStringInfo(&summary, body, len);
	reply = json_parse_owned(summary.data, summary.len);
	if (reply == NULL)
		bad_page(r, "the body is not a JSON object");
	call->reply = reply;
	if (!has_result)
		no_result(r, reply);
	if (rows.kind != JSON_KIND_ARRAY)
		bad_page(r, "no array \"rows\" in the result");
	if (!json_object_object_get_ex(reply, "result", &res) ||
		!json_object_object_get_ex(res, "metadata", &metadata) ||
		!json_object_is_type(metadata, json_type_object))
		bad_page(r, "no object \"metadata\" in the result");
	read_columns(r, metadata);

	/* where the next page starts: an integer, or absent (or null) on the last page */
	r->more = json_int64_field(reply, "next_offset", &next);
	if (!r->more && json_object_object_get_ex(reply, "next_offset", &res) && res != NULL)
		bad_page(r, "next_offset is not an integer");
	if (r->more && next <= r->offset)
		bad_page(r, psprintf("next_offset " INT64_FORMAT " does not move past offset " INT64_FORMAT,
							 next, r->offset));
	if (r->more && r->nrows == 0)
		bad_page(r, psprintf("an empty page at offset " INT64_FORMAT " says more rows follow",
							 r->offset));
	if (r->limit >= 0 && r->delivered + r->nrows >= r->limit)
	{
		r->nrows = (int) (r->limit - r->delivered);
		r->more = false;
	}
	if (r->more)
		r->offset = next;
	if (r->pages == 0 && r->total_rows >= 0)
		check_cap(r, r->limit >= 0 ? Min(r->limit, r->total_rows) : r->total_rows);
	check_cap(r, r->delivered + r->nrows);
	if (r->nrows > 0)
		r->page_limit = Max(MIN_PAGE_ROWS,
							Min(MAX_PAGE_ROWS, (int64) (dune_mv_max_response_size / 2) /
								Max(1, (int64) (len / r->nrows))));
	r->pages++;
}

/* Fetch the page at r->offset into a fresh page context. */
static void
fetch_page(ResultReader *r)
{
	MemoryContext old;
	StringInfoData path;
	int64		want = r->page_limit;

	MemoryContextReset(r->page_cxt);
	old = MemoryContextSwitchTo(r->page_cxt);
	if (r->limit >= 0)
		want = Min(want, r->limit - r->delivered);
	initStringInfo(&path);
	appendStringInfo(&path, "/v1/execution/%s/results?limit=" INT64_FORMAT "&offset=" INT64_FORMAT,
					 http_escape_segment(r->execution_id), want, r->offset);
	if (r->columns)
		appendStringInfo(&path, "&columns=%s", http_escape_segment(r->columns));
	if (r->filters)
		appendStringInfo(&path, "&filters=%s", http_escape_segment(r->filters));
	if (r->sort_by)
		appendStringInfo(&path, "&sort_by=%s", http_escape_segment(r->sort_by));
	api_prepare(&r->call, &dune_provider, "results", r->execution_id, "GET", path.data,
				HTTP_RETRY_IDEMPOTENT);
	r->call.remote_id = r->execution_id;
	r->call.read_reply = read_page;
	r->call.read_arg = r;
	r->call.raw_reply = true;	/* read_page scans the page itself */
	(void) api_call(&r->call);
	MemoryContextSwitchTo(old);
}

/*
 * Start reading an execution's result: the first page is fetched, so the
 * columns are known when this returns.  The reader's fields limit, columns,
 * filters and sort_by are set by the caller (zero: none).
 */
void
results_begin(ResultReader *r, const char *execution_id)
{
	r->cxt = CurrentMemoryContext;
	r->page_cxt = AllocSetContextCreate(r->cxt, "dune_mv results page", ALLOCSET_DEFAULT_SIZES);
	r->execution_id = pstrdup(execution_id);
	r->page_limit = FIRST_PAGE_ROWS;
	r->total_rows = -1;
	fetch_page(r);
}

/* The next row (a checked object span), fetching pages as needed; false at the end. */
bool
results_next_row(ResultReader *r, JsonSpan *row)
{
	while (r->row >= r->nrows)
	{
		if (!r->more)
			return false;
		fetch_page(r);
	}
	*row = r->rows[r->row++];
	r->delivered++;
	return true;
}

/* The column of a row's key: the one the last row had at this place, else a search. */
static int
key_column(ResultReader *r, const JsonSpan *key, int place)
{
	if (place < r->ncolumns)
	{
		int			c = r->key_order[place];

		if (jscan_key_is(key, r->names_utf8[c], r->name_lens[c]))
			return c;
	}
	for (int c = 0; c < r->ncolumns; c++)
		if (jscan_key_is(key, r->names_utf8[c], r->name_lens[c]))
		{
			if (place < r->ncolumns)
				r->key_order[place] = c;
			return c;
		}
	return -1;
}

/*
 * Split a row into one value per column (values[ncolumns], in metadata
 * order), checking it through: every column exactly once, no other key.
 */
void
results_split_row(ResultReader *r, const JsonSpan *row, JsonSpan *values)
{
	JsonScan	s;
	JsonSpan	key, value;
	int			place = 0;

	for (int c = 0; c < r->ncolumns; c++)
		values[c].start = NULL;
	jscan_open(&s, row);
	while (jscan_member(&s, &key, &value))
	{
		int			c = key_column(r, &key, place++);

		if (c < 0)
		{
			StringInfoData name;

			initStringInfo(&name);
			jscan_string(&key, &name, false);
			results_bad_row(r, psprintf("\"%s\" is not a column of the result",
										pg_any_to_server(name.data, name.len, PG_UTF8)));
		}
		if (values[c].start != NULL)
			results_bad_row(r, psprintf("column \"%s\" appears twice", r->names[c]));
		values[c] = value;
	}
	if (s.error)
		results_bad_row(r, s.error);
	for (int c = 0; c < r->ncolumns; c++)
		if (values[c].start == NULL)
			results_bad_row(r, psprintf("column \"%s\" is missing", r->names[c]));
}

/* The columns argument: names joined with commas (each non-empty, without a comma). */
static char *
columns_arg(ArrayType *arr)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData out;

	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must name at least one column"),
				 errhint("Pass NULL for every column.")));
	initStringInfo(&out);
	for (int i = 0; i < n; i++)
	{
		char	   *name = nulls[i] ? NULL : TextDatumGetCString(elems[i]);

		if (name == NULL || name[0] == '\0' || strchr(name, ',') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid column name in columns: %s",
							name == NULL ? "NULL" : name[0] ? "it contains a comma" : "it is empty"),
					 errhint("The API takes the names joined with commas, so a name cannot hold one.")));
		appendStringInfo(&out, "%s%s", i ? "," : "", name);
	}
	return pg_server_to_any(out.data, out.len, PG_UTF8);
}

/* A text argument that must not be empty when given (filters, sort_by), in UTF-8. */
static char *
nonempty_arg(FunctionCallInfo fcinfo, int n, const char *argname)
{
	char	   *s;

	if (PG_ARGISNULL(n))
		return NULL;
	s = text_to_cstring(PG_GETARG_TEXT_PP(n));
	if (s[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be empty", argname),
				 errhint("Pass NULL to leave it out.")));
	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

/* A row as jsonb (its text, converted to the server encoding). */
static Datum
row_jsonb(const JsonSpan *row)
{
	char	   *text;

	if (json_refused_by_jsonb(row->start, row->end - row->start))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("Dune API returned a malformed response: a row holds what jsonb cannot store (\\u0000)")));
	text = pg_any_to_server(row->start, row->end - row->start, PG_UTF8);
	if (text == row->start)
		text = pnstrdup(row->start, row->end - row->start);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

/*
 * dune_mv_results(source, limit, columns, filters, sort_by)
 *	  The rows of an execution's result (or a view's latest successful
 *	  one), one jsonb object per row, page after page; value-per-call, so at
 *	  most one page is held.
 */
Datum
dune_mv_results(PG_FUNCTION_ARGS)
{
	FuncCallContext *fctx;
	ResultReader *r;
	JsonSpan	row;
	JsonSpan   *values;

	if (SRF_IS_FIRSTCALL())
	{
		MemoryContext old;
		char	   *source;

		validate_required(PG_ARGISNULL(0), "source");
		if (!PG_ARGISNULL(1) && PG_GETARG_INT64(1) <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("limit must be positive"),
					 errhint("Pass NULL for every row.")));
		fctx = SRF_FIRSTCALL_INIT();
		old = MemoryContextSwitchTo(fctx->multi_call_memory_ctx);
		r = palloc0(sizeof(ResultReader));
		source = text_to_cstring(PG_GETARG_TEXT_PP(0));
		r->limit = PG_ARGISNULL(1) ? -1 : PG_GETARG_INT64(1);
		r->columns = PG_ARGISNULL(2) ? NULL : columns_arg(PG_GETARG_ARRAYTYPE_P(2));
		r->filters = nonempty_arg(fcinfo, 3, "filters");
		r->sort_by = nonempty_arg(fcinfo, 4, "sort_by");
		if (results_names_a_view(source))
			validate_dune_view_ref(source);
		else
			validate_remote_id(source, "execution id");
		results_begin(r, results_resolve_source(source));
		fctx->user_fctx = r;
		MemoryContextSwitchTo(old);
	}
	fctx = SRF_PERCALL_SETUP();
	r = (ResultReader *) fctx->user_fctx;
	if (!results_next_row(r, &row))
		SRF_RETURN_DONE(fctx);
	values = palloc(sizeof(JsonSpan) * r->ncolumns);
	results_split_row(r, &row, values);
	SRF_RETURN_NEXT(fctx, row_jsonb(&row));
}
