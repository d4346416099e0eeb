/*-------------------------------------------------------------------------
 * dune.c
 *	  The Dune API as a provider: its descriptor (settings, credentials,
 *	  error bodies, executions) and its request builders.
 *
 * Every path is under dune_mv.dune_url (https://api.dune.com/api): /v1/...
 * The key travels only in the X-Dune-Api-Key header (never ?api_key=).
 * An execution is finished when the API says is_execution_finished, or when
 * its state is neither QUERY_STATE_PENDING nor QUERY_STATE_EXECUTING (states
 * the API adds later count as finished and are kept verbatim).  Timestamps
 * are RFC 3339.  Knows nothing of the catalog; may call transport/http.h's
 * encoder only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "providers/dune.h"
#include "transport/http.h"

static char *dune_url = NULL;
static char *dune_api_key = NULL;

static const ProviderCredential dune_credentials[] = {
	{"dune_mv.dune_api_key", "Dune API key (sent as X-Dune-Api-Key).",
	"X-Dune-Api-Key: ", true, true, &dune_api_key},
};

static const char *const dune_error_keys[] = {"error", "title", "message", "detail", NULL};
static const char *const dune_running[] = {"QUERY_STATE_PENDING", "QUERY_STATE_EXECUTING", NULL};
static const char *const dune_success[] = {"QUERY_STATE_COMPLETED", NULL};

/* GET /v1/execution/{id}/status; the row of dune_mv.execution_status. */
static const ProviderStatus dune_status = {
	.what = "Dune execution",
	.id_arg = "execution_id",
	.operation = "status",
	.method = "GET",
	.path = "/v1/execution/%s/status",
	.timeout_hint = "The execution goes on: call dune_mv_wait or dune_mv_status again later, or dune_mv_cancel it.",
	.cancel_path = "/v1/execution/%s/cancel",
	.state_key = "state",
	.finished_flag_key = "is_execution_finished",
	.running_states = dune_running,
	.success_states = dune_success,
	.time_format = STATUS_TIME_RFC3339,
	.submitted_key = "submitted_at",
	.started_key = "execution_started_at",
	.ended_key = "execution_ended_at",
	.cancelled_key = "cancelled_at",
	.cost_key = "execution_cost_credits",
	.error_key = "error",
	.error_type_key = "type",
	.error_message_key = "message",
	.columns = {
		{STATUS_COL_ID}, {STATUS_COL_STATE}, {STATUS_COL_FINISHED},
		{STATUS_COL_SUBMITTED}, {STATUS_COL_STARTED}, {STATUS_COL_ENDED},
		{STATUS_COL_CANCELLED}, {STATUS_COL_COST}, {STATUS_COL_ERROR_TYPE},
		{STATUS_COL_ERROR_MESSAGE}, {STATUS_COL_REPLY}
	},
	.ncolumns = 11,
};

const Provider dune_provider = {
	.name = "dune",
	.service = "Dune",
	.url_setting = "dune_mv.dune_url",
	.url_description = "Base URL of the Dune API.",
	.url_default = "https://api.dune.com/api",
	.url = &dune_url,
	.credentials = dune_credentials,
	.ncredentials = lengthof(dune_credentials),
	.error_text_keys = dune_error_keys,
	.auth_hint = "Check dune_mv.dune_api_key (a superuser sets it in postgresql.conf or with ALTER SYSTEM).",
	.status = &dune_status,
};

/* /v1/materialized-views/<name, percent-encoded><suffix> */
char *
dune_view_path(const char *name, const char *suffix)
{
	return psprintf("/v1/materialized-views/%s%s", http_escape_segment(name), suffix);
}

/* The bare part of a fully qualified name (after the last dot). */
const char *
dune_short_name(const char *full_name)
{
	return view_last_part(full_name);
}
