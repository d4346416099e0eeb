/*-------------------------------------------------------------------------
 * dune_executions.c
 *	  SQL functions on Dune executions: status, wait and cancel.
 *
 * An execution is finished when the API says is_execution_finished, or when
 * its state is neither QUERY_STATE_PENDING nor QUERY_STATE_EXECUTING (states
 * the API adds later count as finished and are kept verbatim).  Every status
 * read is one recorded call ('status') and updates dune_mv.executions
 * (tracking.c).  Timestamps are RFC 3339 with up to 9 fractional digits,
 * truncated to microseconds; one that cannot be read is NULL (the raw reply
 * keeps it).
 *
 * dune_mv_wait polls through poll.c (backoff, 429 handling, the deadline).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dune_api.h"
#include "poll.h"
#include "remote_error.h"
#include "rows.h"
#include "tracking.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(dune_mv_status);
PG_FUNCTION_INFO_V1(dune_mv_wait);
PG_FUNCTION_INFO_V1(dune_mv_cancel);

/* The text of a JSON number field (as received), or NULL. */
static const char *
json_number_text(json_object *obj, const char *key)
{
	json_object *v;

	if (obj == NULL || !json_object_object_get_ex(obj, key, &v) ||
		!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		return NULL;
	return json_object_get_string(v);
}

/* Read a status reply into exec; only "state" is required. */
static void
parse_status(ApiCall *call, const char *execution_id, TrackedExecution *exec)
{
	json_object *reply;
	json_object *err;
	bool		flag = false;

	memset(exec, 0, sizeof(*exec));
	exec->provider = "dune";
	exec->remote_id = execution_id;
	exec->state = api_reply_string(call, "state", true);
	reply = call->reply;
	(void) json_bool_field(reply, "is_execution_finished", &flag);
	exec->is_finished = flag ||
		(strcmp(exec->state, "QUERY_STATE_PENDING") != 0 &&
		 strcmp(exec->state, "QUERY_STATE_EXECUTING") != 0);
	tracking_parse_time(json_string_field(reply, "submitted_at"), &exec->submitted_at);
	tracking_parse_time(json_string_field(reply, "execution_started_at"), &exec->started_at);
	tracking_parse_time(json_string_field(reply, "execution_ended_at"), &exec->ended_at);
	tracking_parse_time(json_string_field(reply, "cancelled_at"), &exec->cancelled_at);
	exec->cost_credits = json_number_text(reply, "execution_cost_credits");
	if (json_object_object_get_ex(reply, "error", &err))
	{
		if (json_object_is_type(err, json_type_object))
		{
			exec->error_type = json_string_field(err, "type");
			exec->error_message = json_string_field(err, "message");
		}
		else if (json_object_is_type(err, json_type_string))
			exec->error_message = json_string_value(err);
	}
	exec->reply = reply;
}

/* Prepare GET /v1/execution/{id}/status. */
static void
prepare_status(ApiCall *call, const char *execution_id)
{
	dune_prepare(call, "status", execution_id, "GET",
				 psprintf("/v1/execution/%s/status", http_escape_segment(execution_id)),
				 HTTP_RETRY_IDEMPOTENT);
	call->remote_id = execution_id;
}

/* Read a successful status call, record the call and the execution. */
static void
record_status(ApiCall *call, const char *execution_id, TrackedExecution *exec)
{
	parse_status(call, execution_id, exec);
	catalog_record_call(call, "ok");
	tracking_record_seen(exec);
}

/* A timestamptz Datum for a tracked time, setting *isnull when unknown. */
static Datum
time_datum(const TrackedTime *t, bool *isnull)
{
	*isnull = !t->known;
	return t->known ? TimestampTzGetDatum(t->value) : (Datum) 0;
}

/* The dune_mv.execution_status row for exec. */
static Datum
status_row(FunctionCallInfo fcinfo, const TrackedExecution *exec)
{
	Datum		values[11];
	bool		nulls[11];

	memset(nulls, false, sizeof(nulls));
	values[0] = CStringGetTextDatum(exec->remote_id);
	values[1] = rows_text_or_null(exec->state, &nulls[1]);
	values[2] = BoolGetDatum(exec->is_finished);
	values[3] = time_datum(&exec->submitted_at, &nulls[3]);
	values[4] = time_datum(&exec->started_at, &nulls[4]);
	values[5] = time_datum(&exec->ended_at, &nulls[5]);
	values[6] = time_datum(&exec->cancelled_at, &nulls[6]);
	nulls[7] = exec->cost_credits == NULL;
	values[7] = nulls[7] ? (Datum) 0 :
		DirectFunctionCall3(numeric_in, CStringGetDatum(exec->cost_credits),
							ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
	values[8] = rows_text_or_null(exec->error_type, &nulls[8]);
	values[9] = rows_text_or_null(exec->error_message, &nulls[9]);
	nulls[10] = exec->reply == NULL;
	values[10] = nulls[10] ? (Datum) 0 : json_jsonb(exec->reply);
	return rows_form(fcinfo, values, nulls);
}

/* What dune_mv_status and dune_mv_wait read: the execution named by argument 0. */
static PollTarget
execution_target(FunctionCallInfo fcinfo)
{
	PollTarget	target = {
		"Dune execution",
		"The execution goes on: call dune_mv_wait or dune_mv_status again later, or dune_mv_cancel it.",
		NULL, dune_send, prepare_status, record_status
	};

	target.id = validate_id_arg(fcinfo, 0, "execution_id");
	return target;
}

/*
 * dune_mv_status(execution_id)
 *	  GET /v1/execution/{id}/status, recorded; one dune_mv.execution_status row.
 */
Datum
dune_mv_status(PG_FUNCTION_ARGS)
{
	PollTarget	target = execution_target(fcinfo);
	TrackedExecution exec;

	poll_once(&target, &exec);
	return status_row(fcinfo, &exec);
}

/*
 * dune_mv_wait(execution_id, timeout interval DEFAULT '1 hour')
 *	  Poll the status until the execution is finished; returns the last
 *	  status row.  Each poll is recorded as a status call.
 */
Datum
dune_mv_wait(PG_FUNCTION_ARGS)
{
	PollTarget	target = execution_target(fcinfo);
	TrackedExecution exec;

	validate_required(PG_ARGISNULL(1), "timeout");
	poll_until_finished(&target, PG_GETARG_INTERVAL_P(1), &exec);
	return status_row(fcinfo, &exec);
}

/*
 * dune_mv_cancel(execution_id)
 *	  POST /v1/execution/{id}/cancel, recorded; returns the API's "success".
 *	  Like upsert and refresh it is not resent once it may have arrived: a
 *	  second cancel would answer false for an execution the first one ended.
 */
Datum
dune_mv_cancel(PG_FUNCTION_ARGS)
{
	char	   *id = validate_id_arg(fcinfo, 0, "execution_id");
	ApiCall		call;
	bool		success;

	dune_prepare(&call, "cancel", id, "POST",
				 psprintf("/v1/execution/%s/cancel", http_escape_segment(id)),
				 HTTP_RETRY_PAID_WRITE);
	call.remote_id = id;
	dune_send(&call);
	if (!json_bool_field(call.reply, "success", &success))
		remote_error_bad_response(&call.req, &call.resp, "no boolean \"success\" in the reply");
	catalog_record_call(&call, "ok");
	PG_RETURN_BOOL(success);
}
