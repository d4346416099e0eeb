/*-------------------------------------------------------------------------
 * lance_tables.c
 *	  SQL functions on LanceDB tables (a materialized view is a table):
 *	  describe, exists, drop and list.
 *
 * Each function validates its id (providers/lance.c) before any network
 * call and runs its request through api_call() (core/call.c), which records
 * it in dune_mv.calls and what it changed in the caller's view rows.  Field
 * names follow lance-namespace-spec.yaml (v0.11.1): DescribeTableResponse,
 * DropTableResponse, ListTablesResponse; the REST binding puts describe's
 * flags and list's paging in the query string, sends no body for drop and
 * answers exists by status alone (200 or 404).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "core/call.h"
#include "functions/ownership.h"
#include "functions/lance_views.h"
#include "functions/rows.h"

#define LIST_PAGE_SIZE	1000	/* tables asked for per list page */
#define LIST_MAX_PAGES	10000	/* a server that pages longer is broken */

PG_FUNCTION_INFO_V1(lance_mv_describe);
PG_FUNCTION_INFO_V1(lance_mv_exists);
PG_FUNCTION_INFO_V1(lance_mv_drop);
PG_FUNCTION_INFO_V1(lance_mv_list);

/* obj[key] as jsonb when it is an object or array, else NULL. */
static Datum
json_child_jsonb(json_object *obj, const char *key, bool *isnull)
{
	json_object *v;

	*isnull = !json_object_object_get_ex(obj, key, &v) ||
		!(json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array));
	return *isnull ? (Datum) 0 : json_jsonb(v);
}

/* The id argument 0 with delimiter argument 1, and the name to record calls under. */
static char *
table_arg(FunctionCallInfo fcinfo, LanceId *id)
{
	char	   *kind;

	lance_id_arg(fcinfo, 0, 1, false, id);
	return lance_view_target(id, &kind);
}

/* read_reply of describe: the version, which the caller's rows for the id take. */
static void
read_describe(ApiCall *call)
{
	if (call->reply == NULL)
		api_bad_reply(call, "the reply is empty");
	call->has_version = json_int64_field(call->reply, "version", &call->version) &&
		call->version >= 0;
	if (!call->has_version)
		return;
	call->view.change = VIEW_UPDATE;
	call->view.updates = json_new_object();
	json_add_child(call->view.updates, "version", json_object_new_int64(call->version));
}

/*
 * lance_mv_describe(id, delimiter)
 *	  POST /v1/table/{id}/describe?load_detailed_metadata=true, body {}
 *	  (a read); one dune_mv.lance_table_info row.  The detailed metadata is
 *	  asked for because only then does the spec promise version and schema.
 *	  The caller's views rows for the id take the version read.
 */
Datum
lance_mv_describe(PG_FUNCTION_ARGS)
{
	LanceId		id;
	char	   *target = table_arg(fcinfo, &id);
	ApiCall		call;
	Datum		values[6];
	bool		nulls[6];

	lance_view_prepare(&call, &id, "describe", target,
					   lance_path_query(&id, "table", "describe", "load_detailed_metadata=true"),
					   HTTP_RETRY_IDEMPOTENT);
	call.body = json_new_object();
	call.read_reply = read_describe;
	(void) api_call(&call);

	nulls[0] = !call.has_version;
	values[0] = Int64GetDatum(call.version);
	values[1] = rows_text_or_null(json_string_field(call.reply, "location"), &nulls[1]);
	values[2] = json_child_jsonb(call.reply, "schema", &nulls[2]);
	values[3] = json_child_jsonb(call.reply, "properties", &nulls[3]);
	values[4] = json_child_jsonb(call.reply, "stats", &nulls[4]);
	nulls[5] = false;
	values[5] = json_jsonb(call.reply);
	return rows_form(fcinfo, values, nulls);
}

/*
 * lance_mv_exists(id, delimiter)
 *	  POST /v1/table/{id}/exists, body {} (a read): true on 2xx, false on 404
 *	  (the table or its namespace is missing); any other failure is raised.
 *	  Both answers are recorded.
 */
Datum
lance_mv_exists(PG_FUNCTION_ARGS)
{
	static const long not_found[] = {404, 0};
	LanceId		id;
	char	   *target = table_arg(fcinfo, &id);
	ApiCall		call;
	bool		exists;

	lance_view_prepare(&call, &id, "exists", target, lance_path(&id, "table", "exists"),
					   HTTP_RETRY_IDEMPOTENT);
	call.body = json_new_object();
	call.tolerate = not_found;
	call.record_tolerated = true;
	exists = api_call(&call) == CALL_OK;
	PG_RETURN_BOOL(exists);
}

/*
 * lance_mv_drop(id, delimiter)
 *	  POST /v1/table/{id}/drop without a body; returns true.  Resent only when
 *	  the server surely did nothing (429, 503 with Retry-After, not sent):
 *	  after a lost answer a second drop would fail with 404 for a table the
 *	  first one dropped, or drop a table created again in between.  The
 *	  caller's views rows for the id go (calls and jobs stay until purged).
 */
Datum
lance_mv_drop(PG_FUNCTION_ARGS)
{
	LanceId		id;
	char	   *target = table_arg(fcinfo, &id);
	ApiCall		call;

	require_view_owner(&lance_provider, NULL, id.key, target, "drop", false);
	lance_view_prepare(&call, &id, "drop", target, lance_path(&id, "table", "drop"),
					   HTTP_RETRY_WRITE_503);
	call.view.change = VIEW_FORGET;
	call.view.full_name = NULL; /* every spelling of the id */
	(void) api_call(&call);
	PG_RETURN_BOOL(true);
}

/*
 * GET one list page (token NULL for the first), recorded; returns its
 * "tables" array and sets *next to the next token, or NULL at the end
 * (absent, null or empty).  A token already used is a malformed reply.
 */
static json_object *
list_page(const LanceId *ns, const char *target, const char *token, List *used,
		  const char **next)
{
	ApiCall		call;
	json_object *tables;
	json_object *tok;
	ListCell   *lc;
	char	   *query = psprintf("limit=%d", LIST_PAGE_SIZE);

	if (token != NULL)
		query = psprintf("%s&page_token=%s", query, http_escape_segment(token));
	api_prepare(&call, &lance_provider, "list", target, "GET",
				lance_path_query(ns, "namespace", "table/list", query), HTTP_RETRY_IDEMPOTENT);
	(void) api_call(&call);
	if (!json_object_object_get_ex(call.reply, "tables", &tables) ||
		!json_object_is_type(tables, json_type_array))
		api_bad_reply(&call, "no array \"tables\" in the reply");
	*next = NULL;
	if (json_object_object_get_ex(call.reply, "page_token", &tok) && tok != NULL)
	{
		if (!json_object_is_type(tok, json_type_string))
			api_bad_reply(&call, "\"page_token\" is neither a string nor null");
		if (json_object_get_string_len(tok) > 0)
			*next = json_object_get_string(tok);
	}
	foreach(lc, used)
	{
		if (*next != NULL && strcmp(*next, (char *) lfirst(lc)) == 0)
			api_bad_reply(&call, "\"page_token\" repeats a token of an earlier page");
	}
	for (size_t i = 0; i < json_object_array_length(tables); i++)
		if (!json_object_is_type(json_object_array_get_idx(tables, i), json_type_string))
			api_bad_reply(&call, "a listed table name is not a string");
	return tables;
}

/*
 * lance_mv_list(namespace, delimiter)
 *	  The tables of a namespace (ARRAY[]::text[]: the root), names as the
 *	  server sends them: GET /v1/namespace/{id}/table/list page after page,
 *	  each page a recorded call, until no page_token comes back.
 */
Datum
lance_mv_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LanceId		ns;
	const char *target;
	MemoryContext outer;
	MemoryContext page_cxt;
	char	   *token = NULL;
	List	   *used = NIL;

	lance_id_arg(fcinfo, 0, 1, true, &ns);
	target = ns.nnames > 0 ? ns.joined : ns.segment;
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	outer = CurrentMemoryContext;
	page_cxt = AllocSetContextCreate(outer, "lance_mv_list page", ALLOCSET_DEFAULT_SIZES);
	for (int page = 0;; page++)
	{
		json_object *tables;
		const char *next;

		if (page >= LIST_MAX_PAGES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("Lance API listed more than %d pages of tables", LIST_MAX_PAGES)));
		MemoryContextSwitchTo(page_cxt);
		tables = list_page(&ns, target, token, used, &next);
		for (size_t i = 0; i < json_object_array_length(tables); i++)
		{
			json_object *t = json_object_array_get_idx(tables, i);
			char	   *name = pg_any_to_server(json_object_get_string(t),
												json_object_get_string_len(t), PG_UTF8);
			Datum		value = CStringGetTextDatum(name);
			bool		isnull = false;

			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
		}
		MemoryContextSwitchTo(outer);
		if (next == NULL)
			break;
		token = pstrdup(next);
		used = lappend(used, token);
		MemoryContextReset(page_cxt);
	}
	MemoryContextDelete(page_cxt);
	return (Datum) 0;
}
