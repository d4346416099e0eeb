/*-------------------------------------------------------------------------
 * results_source.c
 *	  Which execution a results source names: an execution id as it is, or
 *	  a view's latest successful execution (dune_mv_results, dune_mv_load).
 *
 * A view (a bare result_... name or a fully qualified one) means its
 * latest successful execution: the caller's newest execution of it in
 * dune_mv.executions when that one is known to have succeeded; otherwise
 * (never polled, still running, failed, or started elsewhere) the view is
 * read (GET, recorded) and each of its last_execution_ids gets a status call
 * (recorded, tracked), and the successful one that ended last wins.
 * May call core/, catalog/ and providers/dune.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/catalog.h"
#include "core/status.h"
#include "functions/results.h"
#include "functions/validate.h"
#include "providers/dune.h"

/* An execution id, or a view (bare result_... or with a dot)? */
bool
results_names_a_view(const char *source)
{
	return strncmp(source, "result_", 7) == 0 || strchr(source, '.') != NULL;
}

/* read_reply of a view read: it must name the view. */
static void
read_view(ApiCall *call)
{
	(void) api_reply_string(call, "id", true);
}

/*
 * The latest successful execution among a view's last_execution_ids, as
 * dune_mv_get reads them: each is read with a (recorded) status call, and
 * the one that ended last wins.  NULL when none succeeded.
 */
static char *
latest_from_api(const char *full_name)
{
	ApiCall		call;
	json_object *ids;
	char	   *best = NULL;
	TimestampTz best_end = 0;

	api_prepare(&call, &dune_provider, "get", full_name, "GET",
				dune_view_path(full_name, ""), HTTP_RETRY_IDEMPOTENT);
	call.read_reply = read_view;
	(void) api_call(&call);
	if (!json_object_object_get_ex(call.reply, "last_execution_ids", &ids) ||
		!json_object_is_type(ids, json_type_array))
		return NULL;
	for (size_t i = 0; i < json_object_array_length(ids); i++)
	{
		json_object *e = json_object_array_get_idx(ids, i);
		TrackedExecution exec;
		ApiCall		st;

		if (!json_object_is_type(e, json_type_string))
			continue;
		status_prepare(&st, &dune_provider, json_string_value(e), &exec);
		(void) api_call(&st);
		if (!status_succeeded(dune_provider.status, &exec))
			continue;
		if (best == NULL || (exec.ended_at.known && exec.ended_at.value > best_end))
		{
			best = pstrdup(exec.remote_id);
			best_end = exec.ended_at.known ? exec.ended_at.value : 0;
		}
	}
	return best;
}

/* Check a source's syntax (an execution id or a view name), before any network call. */
void
results_check_source(const char *source)
{
	if (results_names_a_view(source))
		validate_dune_view_ref(source);
	else
		validate_remote_id(source, "execution id");
}

/*
 * The execution a source names: an execution id as it is, or a view's
 * newest successful execution (from the catalog, else from the API).
 */
char *
results_resolve_source(const char *source)
{
	const char *ident;
	char	   *id;
	FoundView	found;
	const char *full_name = source;

	results_check_source(source);
	if (!results_names_a_view(source))
		return pstrdup(source);
	ident = dune_short_name(source);
	id = catalog_latest_success(&dune_provider, source, ident);
	if (id != NULL)
		return id;
	if (strchr(source, '.') == NULL && catalog_find_view(&dune_provider, ident, &found))
		full_name = found.full_name;
	id = latest_from_api(full_name);
	if (id == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("materialized view \"%s\" has no successful execution",
						validate_quote(source)),
				 errhint("Refresh it with dune_mv_refresh and wait with dune_mv_wait, or pass an execution id.")));
	return id;
}
