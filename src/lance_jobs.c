/*-------------------------------------------------------------------------
 * lance_jobs.c
 *	  SQL functions on LanceDB jobs: status and wait.
 *
 * Job status is LanceDB Enterprise's POST /v1/jobs/describe (outside the
 * namespace spec), body {"job_id"}, answering {job_id, job_type, job_state,
 * creation_ms, failure?: {phase, message, retryable}}.  A job is finished in
 * DONE, FAILED, CANCELLED or TIMED_OUT; IN_PROGRESS and any state the API
 * adds later mean it still runs (the state is kept verbatim).  Every read is
 * one recorded call ('job_status') and updates dune_mv.executions
 * (tracking.c): creation_ms is submitted_at, the failure's phase and message
 * are error_type and error_message.
 *
 * lance_mv_wait polls through poll.c exactly as dune_mv_wait does.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "lance_api.h"
#include "poll.h"
#include "rows.h"
#include "tracking.h"
#include "validate.h"

PG_FUNCTION_INFO_V1(lance_mv_job_status);
PG_FUNCTION_INFO_V1(lance_mv_wait);

static const char *const final_states[] = {"DONE", "FAILED", "CANCELLED", "TIMED_OUT"};

/* Prepare POST /v1/jobs/describe {"job_id": id}: a read, retried as one. */
static void
prepare_job(ApiCall *call, const char *job_id)
{
	lance_prepare(call, "job_status", job_id, "POST", "/v1/jobs/describe",
				  HTTP_RETRY_IDEMPOTENT);
	call->body = json_new_object();
	json_add_string(call->body, "job_id", job_id);
	call->remote_id = job_id;
}

/* creation_ms (milliseconds since 1970) as a timestamp; unknown when absent or out of range. */
static void
epoch_ms_time(json_object *reply, const char *key, TrackedTime *out)
{
	int64		ms;
	const int64 shift = (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

	out->known = json_int64_field(reply, key, &ms) &&
		ms > (PG_INT64_MIN + shift) / 1000 && ms < PG_INT64_MAX / 1000;
	if (out->known)
	{
		out->value = ms * 1000 - shift;
		out->known = IS_VALID_TIMESTAMP(out->value);
	}
}

/* The failure object of a reply, or NULL. */
static json_object *
reply_failure(json_object *reply)
{
	json_object *failure;

	if (reply == NULL || !json_object_object_get_ex(reply, "failure", &failure) ||
		!json_object_is_type(failure, json_type_object))
		return NULL;
	return failure;
}

/* Read a job reply into exec, record the call and the job; only job_state is required. */
static void
record_job(ApiCall *call, const char *job_id, TrackedExecution *exec)
{
	json_object *failure;

	memset(exec, 0, sizeof(*exec));
	exec->provider = "lance";
	exec->remote_id = job_id;
	exec->state = api_reply_string(call, "job_state", true);
	for (size_t i = 0; i < lengthof(final_states); i++)
		exec->is_finished |= strcmp(exec->state, final_states[i]) == 0;
	epoch_ms_time(call->reply, "creation_ms", &exec->submitted_at);
	failure = reply_failure(call->reply);
	exec->error_type = json_string_field(failure, "phase");
	exec->error_message = json_string_field(failure, "message");
	exec->reply = call->reply;
	catalog_record_call(call, "ok");
	tracking_record_seen(exec);
}

/* The dune_mv.lance_job_status row for exec. */
static Datum
job_row(FunctionCallInfo fcinfo, const TrackedExecution *exec)
{
	Datum		values[9];
	bool		nulls[9];
	bool		retryable;

	memset(nulls, false, sizeof(nulls));
	values[0] = CStringGetTextDatum(exec->remote_id);
	values[1] = rows_text_or_null(json_string_field(exec->reply, "job_type"), &nulls[1]);
	values[2] = CStringGetTextDatum(exec->state);
	values[3] = BoolGetDatum(exec->is_finished);
	nulls[4] = !exec->submitted_at.known;
	values[4] = TimestampTzGetDatum(exec->submitted_at.value);
	values[5] = rows_text_or_null(exec->error_type, &nulls[5]);
	values[6] = rows_text_or_null(exec->error_message, &nulls[6]);
	nulls[7] = !json_bool_field(reply_failure(exec->reply), "retryable", &retryable);
	values[7] = BoolGetDatum(!nulls[7] && retryable);
	values[8] = json_jsonb(exec->reply);
	return rows_form(fcinfo, values, nulls);
}

/* What lance_mv_job_status and lance_mv_wait read: the job named by argument 0. */
static PollTarget
job_target(FunctionCallInfo fcinfo)
{
	PollTarget	target = {
		"Lance job",
		"The job goes on: call lance_mv_wait or lance_mv_job_status again later.",
		NULL, lance_send, prepare_job, record_job
	};

	target.id = validate_id_arg(fcinfo, 0, "job_id");
	return target;
}

/*
 * lance_mv_job_status(job_id)
 *	  POST /v1/jobs/describe, recorded; one dune_mv.lance_job_status row.
 */
Datum
lance_mv_job_status(PG_FUNCTION_ARGS)
{
	PollTarget	target = job_target(fcinfo);
	TrackedExecution exec;

	poll_once(&target, &exec);
	return job_row(fcinfo, &exec);
}

/*
 * lance_mv_wait(job_id, timeout interval DEFAULT '1 hour')
 *	  Poll the job until it is finished; returns the last status row.  Each
 *	  poll is recorded as a job_status call.
 */
Datum
lance_mv_wait(PG_FUNCTION_ARGS)
{
	PollTarget	target = job_target(fcinfo);
	TrackedExecution exec;

	validate_required(PG_ARGISNULL(1), "timeout");
	poll_until_finished(&target, PG_GETARG_INTERVAL_P(1), &exec);
	return job_row(fcinfo, &exec);
}
