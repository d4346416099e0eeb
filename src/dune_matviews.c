/*-------------------------------------------------------------------------
 * dune_matviews.c
 *	  SQL functions on Dune materialized views: upsert and refresh.
 *
 * Each function validates every argument before any network call, sends one
 * request through dune_api.c, and records the call and the view's new state
 * in the catalog (catalog.c) before returning the API's answer as a row.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dune_api.h"
#include "guard.h"
#include "rows.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(dune_mv_upsert);
PG_FUNCTION_INFO_V1(dune_mv_refresh);

/* Text argument n, or NULL when the argument is NULL. */
static char *
text_arg_or_null(FunctionCallInfo fcinfo, int n)
{
	return PG_ARGISNULL(n) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(n));
}

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

/*
 * dune_mv_upsert(name, query_id, cron, expires_at, is_private, performance)
 *	  POST /v1/materialized-views with exactly the given fields.
 */
Datum
dune_mv_upsert(PG_FUNCTION_ARGS)
{
	char	   *name;
	int64		query_id;
	char	   *cron = text_arg_or_null(fcinfo, 2);
	char	   *performance = text_arg_or_null(fcinfo, 5);
	json_object *body;
	ApiCall		call;
	ViewRecord	view = {0};
	const char *execution_id;
	const char *full_name;

	validate_required(PG_ARGISNULL(0), "name");
	validate_required(PG_ARGISNULL(1), "query_id");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	query_id = PG_GETARG_INT64(1);
	validate_dune_name(name);
	validate_query_id(query_id);
	if (cron)
		validate_cron(cron);
	if (!PG_ARGISNULL(3))
		validate_expires_at(PG_GETARG_TIMESTAMPTZ(3), cron != NULL);
	validate_performance(performance);

	body = json_new_object();
	json_add_string(body, "name", name);
	json_add_child(body, "query_id", json_object_new_int64(query_id));
	if (cron)
		json_add_string(body, "cron_expression", cron);
	if (!PG_ARGISNULL(3))
		json_add_string(body, "expires_at", format_rfc3339(PG_GETARG_TIMESTAMPTZ(3)));
	if (!PG_ARGISNULL(4))
		json_add_child(body, "is_private", json_object_new_boolean(PG_GETARG_BOOL(4)));
	if (performance)
		json_add_string(body, "performance", performance);

	dune_prepare(&call, "upsert", name, "POST", "/v1/materialized-views",
				 HTTP_RETRY_PAID_WRITE);
	call.body = body;
	dune_send(&call);
	execution_id = api_reply_string(&call, "execution_id", true);
	full_name = api_reply_string(&call, "name", true);
	call.remote_id = execution_id;
	catalog_record_call(&call, "ok");

	view.provider = "dune";
	view.name = name;
	view.full_name = full_name;
	view.has_query_id = true;
	view.query_id = query_id;
	view.cron_expression = cron;
	view.has_expires_at = !PG_ARGISNULL(3);
	view.expires_at = view.has_expires_at ? PG_GETARG_TIMESTAMPTZ(3) : 0;
	view.performance = performance;
	view.has_is_private = !PG_ARGISNULL(4);
	view.is_private = view.has_is_private && PG_GETARG_BOOL(4);
	view.last_execution_id = execution_id;
	catalog_save_view(&view, true);

	return two_text_row(fcinfo, execution_id, full_name);
}

/*
 * dune_mv_refresh(name, performance)
 *	  POST /v1/materialized-views/{name}/refresh, body {performance?}.
 *	  While another session refreshes the same view, the call is skipped
 *	  (guard.c) and returns a row with a NULL execution_id.
 */
Datum
dune_mv_refresh(PG_FUNCTION_ARGS)
{
	char	   *name;
	char	   *performance = text_arg_or_null(fcinfo, 1);
	char	   *target;
	json_object *body;
	ApiCall		call;
	ViewRecord	view = {0};
	const char *execution_id;
	const char *sql_id;

	validate_required(PG_ARGISNULL(0), "name");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	validate_dune_view_ref(name);
	validate_performance(performance);

	target = dune_resolve_view(name);
	if (!guard_try_enter("dune", target))
	{
		guard_record_skip("dune", "refresh", target);
		return two_text_row(fcinfo, NULL, target);
	}
	body = json_new_object();
	if (performance)
		json_add_string(body, "performance", performance);

	dune_prepare(&call, "refresh", target, "POST", dune_view_path(target, "/refresh"),
				 HTTP_RETRY_PAID_WRITE);
	call.body = body;
	dune_send(&call);
	execution_id = api_reply_string(&call, "execution_id", true);
	sql_id = api_reply_string(&call, "sql_id", true);
	call.remote_id = execution_id;
	catalog_record_call(&call, "ok");

	view.provider = "dune";
	view.name = dune_short_name(sql_id);
	view.full_name = sql_id;
	view.last_execution_id = execution_id;
	catalog_save_view(&view, false);

	return two_text_row(fcinfo, execution_id, sql_id);
}
