/*-------------------------------------------------------------------------
 * dune_views.c
 *	  SQL functions on Dune materialized views: upsert, refresh, get, list
 *	  and delete.
 *
 * Each function validates every argument before any network call, resolves
 * a bare name through the catalog, prepares its request with the Dune
 * provider (providers/dune.c) and runs it through api_call() (core/call.c),
 * which records the call, the execution it started and the view's new state;
 * read_* functions tell it what the reply means.  The row returned is the
 * API's answer.
 *
 * Upsert overwrites the whole view: a field left out is reset.  With
 * keep_schedule and no cron, upsert first reads the view and sends again the
 * three fields of its schedule (cron_expression, expires_at, performance),
 * each unless the caller gave one; a view that does not exist, has no
 * schedule, or whose schedule has expired keeps none.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "core/call.h"
#include "core/status.h"
#include "functions/rows.h"
#include "functions/validate.h"
#include "functions/ownership.h"
#include "functions/queued.h"
#include "providers/dune.h"

#define LIST_PAGE_SIZE	1000	/* views asked for per list page (API max 10000) */
#define LIST_MAX_PAGES	10000	/* a server that pages longer is broken */

PG_FUNCTION_INFO_V1(dune_mv_upsert);
PG_FUNCTION_INFO_V1(dune_mv_refresh);
PG_FUNCTION_INFO_V1(dune_mv_get);
PG_FUNCTION_INFO_V1(dune_mv_list);
PG_FUNCTION_INFO_V1(dune_mv_delete);

/* The schedule object of a get reply; all unknown when it is null. */
typedef struct DuneSchedule
{
	const char *cron;
	const char *performance;
	TrackedTime next_run;
	TrackedTime expires_at;
} DuneSchedule;

/* The two-text-column row most Dune functions return. */
static Datum
two_text_row(FunctionCallInfo fcinfo, const char *a, const char *b)
{
	Datum		values[2];
	bool		nulls[2];

	values[0] = rows_text_or_null(a, &nulls[0]);
	values[1] = rows_text_or_null(b, &nulls[1]);
	return rows_form(fcinfo, values, nulls);
}

/* The full name the caller's catalog records for a bare name, or NULL. */
static char *
catalog_full_name(const char *name)
{
	FoundView	found;

	return catalog_find_view(&dune_provider, name, &found) ? found.full_name : NULL;
}

/*
 * A view argument (bare or fully qualified), resolved to the name to send: a
 * bare result_... name upserted earlier by this role becomes the fully
 * qualified name the API returned; anything else is sent as given.
 */
static char *
view_arg(FunctionCallInfo fcinfo)
{
	char	   *name;
	char	   *full_name;

	validate_required(PG_ARGISNULL(0), "name");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	validate_dune_view_ref(name);
	if (strchr(name, '.') != NULL)
		return name;
	full_name = catalog_full_name(name);
	return full_name ? full_name : name;
}

/* What a call does to the caller's row for the view full_name. */
static void
set_view(ApiCall *call, ViewChange change, const char *full_name)
{
	call->view.change = change;
	call->view.name = dune_short_name(full_name);
	call->view.ident = call->view.name;
	call->view.full_name = full_name;
}

/* A prepared Dune call. */
static void
dune_prepare(ApiCall *call, const char *operation, const char *target,
			 const char *method, const char *path, HttpRetryPolicy retry)
{
	api_prepare(call, &dune_provider, operation, target, method, path, retry);
}

/* Read the schedule of a get reply. */
static void
read_schedule(json_object *reply, DuneSchedule *s)
{
	json_object *sched;

	memset(s, 0, sizeof(*s));
	if (!json_object_object_get_ex(reply, "schedule", &sched) ||
		!json_object_is_type(sched, json_type_object))
		return;
	s->cron = json_string_field(sched, "cron_expression");
	s->performance = json_string_field(sched, "performance");
	status_parse_time(json_string_field(sched, "next_execution_time"), &s->next_run);
	status_parse_time(json_string_field(sched, "expires_at"), &s->expires_at);
}

/* read_reply of a view read: it must name the view. */
static void
read_view(ApiCall *call)
{
	(void) api_reply_string(call, "id", true);
}

/*
 * GET /v1/materialized-views/{name}, recorded.  With missing_ok a 404
 * returns false (and records nothing).
 */
static bool
fetch_view(ApiCall *call, const char *target, bool missing_ok)
{
	static const long not_found[] = {404, 0};

	dune_prepare(call, "get", target, "GET", dune_view_path(target, ""),
				 HTTP_RETRY_IDEMPOTENT);
	call->read_reply = read_view;
	if (missing_ok)
		call->tolerate = not_found;
	return api_call(call) == CALL_OK;
}

/*
 * GET one list page at offset, recorded; returns its array and sets *next
 * to the next offset (0 at the end).  A next_offset that does not move
 * forward is a malformed reply.
 */
static json_object *
list_page(int64 offset, int64 *next)
{
	ApiCall		call;
	json_object *views;

	dune_prepare(&call, "list", "*", "GET",
				 psprintf("/v1/materialized-views?limit=%d&offset=" INT64_FORMAT,
						  LIST_PAGE_SIZE, offset),
				 HTTP_RETRY_IDEMPOTENT);
	(void) api_call(&call);
	if (!json_object_object_get_ex(call.reply, "materialized_views", &views) ||
		!json_object_is_type(views, json_type_array))
		api_bad_reply(&call, "no array \"materialized_views\" in the reply");
	if (!json_int64_field(call.reply, "next_offset", next))
		*next = 0;
	if (*next != 0 && *next <= offset)
		api_bad_reply(&call, psprintf("next_offset " INT64_FORMAT " does not move past offset " INT64_FORMAT,
									  *next, offset));
	return views;
}

/*
 * Call fn(element, arg) for every listed view, page after page, each page in
 * a memory context of its own; stops early when fn returns true.
 */
static void
for_each_listed_view(bool (*fn) (json_object *view, void *arg), void *arg)
{
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext page_cxt = AllocSetContextCreate(outer, "dune_mv list page",
												   ALLOCSET_DEFAULT_SIZES);
	int64		offset = 0;

	for (int page = 0;; page++)
	{
		int64		next;
		json_object *views;
		bool		stop = false;

		if (page >= LIST_MAX_PAGES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("Dune API listed more than %d pages of materialized views",
							LIST_MAX_PAGES)));
		MemoryContextSwitchTo(page_cxt);
		views = list_page(offset, &next);
		for (size_t i = 0; i < json_object_array_length(views) && !stop; i++)
		{
			json_object *v = json_object_array_get_idx(views, i);

			if (!json_object_is_type(v, json_type_object))
				ereport(ERROR,
						(errcode(ERRCODE_PROTOCOL_VIOLATION),
						 errmsg("Dune API returned a malformed response: a listed view is not an object")));
			stop = fn(v, arg);
		}
		MemoryContextSwitchTo(outer);
		MemoryContextReset(page_cxt);
		if (stop || next == 0)
			break;
		offset = next;
	}
	MemoryContextDelete(page_cxt);
}

/* What find_listed_view looks for and finds. */
typedef struct ListedViewSearch
{
	const char *name;			/* bare name */
	MemoryContext cxt;			/* where to copy the result */
	char	   *full_name;
} ListedViewSearch;

/* for_each_listed_view callback: stop at the view whose bare name matches. */
static bool
match_listed_view(json_object *view, void *arg)
{
	ListedViewSearch *search = (ListedViewSearch *) arg;
	const char *id = json_string_field(view, "sql_id");

	if (id == NULL)
		id = json_string_field(view, "id");
	if (id == NULL || strcmp(dune_short_name(id), search->name) != 0)
		return false;
	search->full_name = MemoryContextStrdup(search->cxt, id);
	return true;
}

/* The full name of the listed view with this bare name, or NULL. */
static char *
find_listed_view(const char *name)
{
	ListedViewSearch search = {name, CurrentMemoryContext, NULL};

	for_each_listed_view(match_listed_view, &search);
	return search.full_name;
}

/*
 * keep_schedule: read the view (by the full name the catalog knows, else by
 * searching the list) and fill in its schedule's fields that the caller left
 * NULL.  Only a live schedule is kept; expires_at without any cron fails.
 */
static void
keep_old_schedule(const char *name, char **cron, bool *has_expires,
				  TimestampTz *expires_at, char **performance)
{
	char	   *target = catalog_full_name(name);
	ApiCall		call;
	DuneSchedule sched;

	memset(&sched, 0, sizeof(sched));
	if (target == NULL)
		target = find_listed_view(name);
	if (target != NULL && fetch_view(&call, target, true))
		read_schedule(call.reply, &sched);
	if (sched.cron && sched.expires_at.known &&
		sched.expires_at.value <= GetCurrentTimestamp())
	{
		ereport(NOTICE,
				(errcode(ERRCODE_WARNING),
				 errmsg("the schedule of \"%s\" ended at %s and is not kept", name,
						format_rfc3339(sched.expires_at.value))));
		sched.cron = NULL;
	}
	if (sched.cron == NULL)
	{
		if (*has_expires)
			validate_expires_at(*expires_at, false);
		return;
	}
	*cron = pstrdup(sched.cron);
	if (!*has_expires && sched.expires_at.known)
	{
		*has_expires = true;
		*expires_at = sched.expires_at.value;
	}
	if (*performance == NULL && sched.performance)
		*performance = pstrdup(sched.performance);
}

/* read_reply of upsert: the execution started, and the view's full name. */
void
dune_read_upsert(ApiCall *call)
{
	const char *execution_id = api_reply_string(call, "execution_id", true);
	const char *full_name = api_reply_string(call, "name", false);

	call->remote_id = execution_id;
	call->starts_execution = true;
	call->execution_view = full_name ? full_name : call->target;
	call->view.full_name = call->execution_view;
	call->view.last_execution_id = execution_id;
}

/*
 * dune_mv_upsert(name, query_id, cron, expires_at, is_private, performance,
 *				  keep_schedule)
 *	  POST /v1/materialized-views with exactly the given fields (plus the
 *	  kept schedule, see above), prepared; queued (dune_mv_upsert_async) it
 *	  cannot keep the schedule, which takes a read.
 */
void
dune_upsert_prepare(FunctionCallInfo fcinfo, bool queued, ApiCall *call)
{
	char	   *name;
	int64		query_id;
	char	   *cron = rows_text_arg(fcinfo, 2);
	bool		has_expires = !PG_ARGISNULL(3);
	TimestampTz expires_at = has_expires ? PG_GETARG_TIMESTAMPTZ(3) : 0;
	char	   *performance = rows_text_arg(fcinfo, 5);
	bool		keep_schedule = !PG_ARGISNULL(6) && PG_GETARG_BOOL(6);
	json_object *body;
	json_object *definition;

	validate_required(PG_ARGISNULL(0), "name");
	validate_required(PG_ARGISNULL(1), "query_id");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	query_id = PG_GETARG_INT64(1);
	validate_dune_name(name);
	validate_query_id(query_id);
	if (cron)
		validate_cron(cron);
	if (has_expires)
		validate_expires_at(expires_at, cron != NULL || keep_schedule);
	validate_performance(performance);
	if (keep_schedule && queued)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("keep_schedule is not available in dune_mv_upsert_async"),
				 errdetail("Keeping the schedule reads the view from the API, and queuing a call never touches the network."),
				 errhint("Pass cron, expires_at and performance, or call dune_mv_upsert.")));
	require_view_owner(&dune_provider, NULL, name, name, "replace", true);
	if (keep_schedule && cron == NULL)
		keep_old_schedule(name, &cron, &has_expires, &expires_at, &performance);

	body = json_new_object();
	json_add_string(body, "name", name);
	json_add_child(body, "query_id", json_object_new_int64(query_id));
	if (cron)
		json_add_string(body, "cron_expression", cron);
	if (has_expires)
		json_add_string(body, "expires_at", format_rfc3339(expires_at));
	if (!PG_ARGISNULL(4))
		json_add_child(body, "is_private", json_object_new_boolean(PG_GETARG_BOOL(4)));
	if (performance)
		json_add_string(body, "performance", performance);

	/* the catalog keeps the definition the body states */
	definition = json_new_object();
	{
		struct json_object_iterator it = json_object_iter_begin(body);
		struct json_object_iterator end = json_object_iter_end(body);

		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (strcmp(json_object_iter_peek_name(&it), "name") != 0)
				json_add_child(definition, json_object_iter_peek_name(&it),
							   json_object_get(json_object_iter_peek_value(&it)));
	}

	dune_prepare(call, "upsert", name, "POST", "/v1/materialized-views",
				 HTTP_RETRY_PAID_WRITE);
	call->body = body;
	call->read_reply = dune_read_upsert;
	call->view.change = VIEW_DEFINE;
	call->view.name = name;
	call->view.ident = name;
	call->view.definition = definition;
}

/* dune_mv_upsert(...): the call above, sent now; returns (execution_id, name). */
Datum
dune_mv_upsert(PG_FUNCTION_ARGS)
{
	ApiCall		call;

	dune_upsert_prepare(fcinfo, false, &call);
	(void) api_call(&call);
	return two_text_row(fcinfo, call.remote_id, call.execution_view);
}

/* read_reply of refresh: the execution started, and the view's full name. */
void
dune_read_refresh(ApiCall *call)
{
	const char *execution_id = api_reply_string(call, "execution_id", true);
	const char *sql_id = api_reply_string(call, "sql_id", false);

	if (sql_id == NULL)
		sql_id = call->target;
	call->remote_id = execution_id;
	call->starts_execution = true;
	call->execution_view = sql_id;
	set_view(call, VIEW_ACTIVITY, sql_id);
	call->view.last_execution_id = execution_id;
}

/*
 * dune_mv_refresh(name, performance)
 *	  POST /v1/materialized-views/{name}/refresh, body {performance?},
 *	  prepared.  While another session refreshes the same view, the call is
 *	  skipped (core/guard.c).
 */
void
dune_refresh_prepare(FunctionCallInfo fcinfo, ApiCall *call)
{
	char	   *performance = rows_text_arg(fcinfo, 1);
	char	   *target;

	target = view_arg(fcinfo);
	validate_performance(performance);
	dune_prepare(call, "refresh", target, "POST", dune_view_path(target, "/refresh"),
				 HTTP_RETRY_PAID_WRITE);
	call->body = json_new_object();
	if (performance)
		json_add_string(call->body, "performance", performance);
	/* the full name when known; a bare one matches it (core/guard.c) */
	call->guard_key = target;
	call->read_reply = dune_read_refresh;
}

/* dune_mv_refresh(...): sent now; a skipped refresh returns a NULL execution_id. */
Datum
dune_mv_refresh(PG_FUNCTION_ARGS)
{
	ApiCall		call;

	dune_refresh_prepare(fcinfo, &call);
	if (api_call(&call) == CALL_SKIPPED)
		return two_text_row(fcinfo, NULL, call.target);
	return two_text_row(fcinfo, call.remote_id, call.execution_view);
}

/* The five columns a listed view and a fetched view share. */
static void
view_summary(json_object *v, Datum *values, bool *nulls)
{
	int64		n;
	bool		b;

	values[0] = rows_text_or_null(json_string_field(v, "id"), &nulls[0]);
	values[1] = rows_text_or_null(json_string_field(v, "sql_id"), &nulls[1]);
	nulls[2] = !json_int64_field(v, "query_id", &n);
	values[2] = Int64GetDatum(nulls[2] ? 0 : n);
	nulls[3] = !json_bool_field(v, "is_private", &b);
	values[3] = BoolGetDatum(!nulls[3] && b);
	nulls[4] = !json_int64_field(v, "table_size_bytes", &n);
	values[4] = Int64GetDatum(nulls[4] ? 0 : n);
}

/* read_reply of dune_mv_get: the view's definition as the API reports it. */
static void
read_get(ApiCall *call)
{
	DuneSchedule sched;
	json_object *definition = json_new_object();
	const char *full_name;
	json_object *v;

	read_view(call);
	full_name = json_string_field(call->reply, "sql_id");
	if (full_name == NULL)
		full_name = json_string_field(call->reply, "id");
	read_schedule(call->reply, &sched);
	if (json_object_object_get_ex(call->reply, "query_id", &v) &&
		json_object_is_type(v, json_type_int))
		json_add_child(definition, "query_id", json_object_get(v));
	if (sched.cron)
		json_add_string(definition, "cron_expression", sched.cron);
	if (sched.expires_at.known)
		json_add_string(definition, "expires_at", format_rfc3339(sched.expires_at.value));
	if (sched.performance)
		json_add_string(definition, "performance", sched.performance);
	if (json_object_object_get_ex(call->reply, "is_private", &v) &&
		json_object_is_type(v, json_type_boolean))
		json_add_child(definition, "is_private", json_object_get(v));
	set_view(call, VIEW_DEFINE, full_name);
	call->view.definition = definition;
}

/*
 * dune_mv_get(name)
 *	  GET /v1/materialized-views/{name}: one dune_mv.view_info row (schedule
 *	  columns NULL without a schedule).  The caller's views row takes the
 *	  definition the API reports; last_execution_id is left alone (the API
 *	  does not document the order of last_execution_ids).
 */
Datum
dune_mv_get(PG_FUNCTION_ARGS)
{
	char	   *target = view_arg(fcinfo);
	ApiCall		call;
	DuneSchedule sched;
	Datum		values[11];
	bool		nulls[11];

	dune_prepare(&call, "get", target, "GET", dune_view_path(target, ""),
				 HTTP_RETRY_IDEMPOTENT);
	call.read_reply = read_get;
	(void) api_call(&call);
	read_schedule(call.reply, &sched);

	memset(nulls, false, sizeof(nulls));
	view_summary(call.reply, values, nulls);
	values[5] = json_text_array_field(call.reply, "last_execution_ids", &nulls[5]);
	values[6] = rows_text_or_null(sched.cron, &nulls[6]);
	values[7] = rows_text_or_null(sched.performance, &nulls[7]);
	nulls[8] = !sched.next_run.known;
	values[8] = TimestampTzGetDatum(sched.next_run.value);
	nulls[9] = !sched.expires_at.known;
	values[9] = TimestampTzGetDatum(sched.expires_at.value);
	values[10] = json_jsonb(call.reply);
	return rows_form(fcinfo, values, nulls);
}

/* for_each_listed_view callback of dune_mv_list: one row per view. */
static bool
put_listed_view(json_object *view, void *arg)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[5];
	bool		nulls[5];

	view_summary(view, values, nulls);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return false;
}

/*
 * dune_mv_list()
 *	  Every view of the key's account: GET /v1/materialized-views page after
 *	  page (each page a recorded call) until next_offset is absent or 0.
 */
Datum
dune_mv_list(PG_FUNCTION_ARGS)
{
	InitMaterializedSRF(fcinfo, 0);
	for_each_listed_view(put_listed_view, fcinfo->resultinfo);
	return (Datum) 0;
}

/*
 * dune_mv_delete(name)
 *	  DELETE /v1/materialized-views/{name}; returns true.  The caller's views
 *	  row goes (its calls and executions stay until purged).
 */
Datum
dune_mv_delete(PG_FUNCTION_ARGS)
{
	char	   *target = view_arg(fcinfo);
	ApiCall		call;

	require_view_owner(&dune_provider, strchr(target, '.') ? target : NULL,
					   dune_short_name(target), target, "delete", false);
	dune_prepare(&call, "delete", target, "DELETE", dune_view_path(target, ""),
				 HTTP_RETRY_IDEMPOTENT);
	call.writes_remote = true;
	set_view(&call, VIEW_FORGET, target);
	(void) api_call(&call);
	PG_RETURN_BOOL(true);
}
