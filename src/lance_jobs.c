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
 * lance_mv_wait polls exactly as dune_mv_wait does (see dune_executions.c):
 * at once, then after dune_mv.poll_interval_min doubling up to
 * dune_mv.poll_interval_max, on the latch; a poll ending in 429 waits its
 * Retry-After; at the deadline 58030 names the last state seen.  The loop
 * below is written against PollTarget so that it can move to a shared
 * poll.c used by both waits.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "lance_api.h"
#include "remote_error.h"
#include "rows.h"
#include "settings.h"
#include "tracking.h"
#include "validate.h"

#define POLL_FLOOR_MS	1000

PG_FUNCTION_INFO_V1(lance_mv_job_status);
PG_FUNCTION_INFO_V1(lance_mv_wait);

/* What a wait polls: one execution or job, read by one status call. */
typedef struct PollTarget
{
	const char *what;			/* "Lance job", for messages */
	const char *hint;			/* hint of the timeout errors */
	const char *id;
	TrackingSendFn send;
	void		(*prepare) (ApiCall *call, const char *id);
	void		(*record) (ApiCall *call, const char *id, TrackedExecution *exec);
} PollTarget;

static const char *const final_states[] = {"DONE", "FAILED", "CANCELLED", "TIMED_OUT"};

static void raise_wait_timeout(const PollTarget *target, Interval *timeout,
							   const char *last_state, long retry_ms) pg_attribute_noreturn();

/* The job id argument, checked. */
static char *
job_id_arg(FunctionCallInfo fcinfo)
{
	char	   *id;

	validate_required(PG_ARGISNULL(0), "job_id");
	id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	validate_dune_id(id, "job_id");
	return id;
}

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

/*
 * lance_mv_job_status(job_id)
 *	  POST /v1/jobs/describe, recorded; one dune_mv.lance_job_status row.
 */
Datum
lance_mv_job_status(PG_FUNCTION_ARGS)
{
	char	   *id = job_id_arg(fcinfo);
	ApiCall		call;
	TrackedExecution exec;

	prepare_job(&call, id);
	lance_send(&call);
	record_job(&call, id, &exec);
	return job_row(fcinfo, &exec);
}

/* Milliseconds from now until deadline (negative once past). */
static long
ms_until(TimestampTz deadline)
{
	return (long) ((deadline - GetCurrentTimestamp()) / 1000);
}

/*
 * Send one poll with dune_mv.timeout capped to the time left (at least
 * POLL_FLOOR_MS).  Returns 0, or the SQLSTATE of a 429 that outlasted
 * http.c's retries; any other failure is raised.
 */
static int
send_poll(const PollTarget *target, ApiCall *call, TimestampTz deadline)
{
	static const int rate_limited[] = {REMOTE_ERRCODE_RATE_LIMIT, 0};
	long		budget = Min((long) settings_total_timeout_ms(),
							 Max(ms_until(deadline), POLL_FLOOR_MS));
	int			nest = NewGUCNestLevel();
	int			caught;

	(void) set_config_option("dune_mv.timeout", psprintf("%ld", budget), PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	caught = tracking_send_catching(target->send, call, rate_limited);
	AtEOXact_GUC(false, nest);
	return caught;
}

/*
 * Raise the wait's timeout error, naming the last state seen; retry_ms >= 0
 * when the API asked (429) to wait longer than the time left.
 */
static void
raise_wait_timeout(const PollTarget *target, Interval *timeout, const char *last_state,
				   long retry_ms)
{
	char	   *span = DatumGetCString(DirectFunctionCall1(interval_out,
														   IntervalPGetDatum(timeout)));

	if (retry_ms >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_IO_ERROR),
				 errmsg("gave up waiting for %s \"%s\": rate limited for %ld ms, beyond the timeout of %s",
						target->what, target->id, retry_ms, span),
				 errdetail("The last state seen was %s.", last_state ? last_state : "none"),
				 errhint("%s", target->hint)));
	ereport(ERROR,
			(errcode(ERRCODE_IO_ERROR),
			 errmsg("timed out after %s waiting for %s \"%s\"", span, target->what, target->id),
			 errdetail("The last state seen was %s.", last_state ? last_state : "none"),
			 errhint("%s", target->hint)));
}

/*
 * Poll target until it is finished, sleeping with backoff between polls;
 * fills in *exec from the last poll (its memory lives until the caller's
 * context goes).  A negative timeout is 22023, before any request.
 */
static void
poll_until_finished(const PollTarget *target, Interval *timeout, TrackedExecution *exec)
{
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz deadline;
	long		interval = dune_mv_poll_interval_min;
	long		max_interval = Max(dune_mv_poll_interval_max, dune_mv_poll_interval_min);
	char	   *last_state = NULL;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext poll_cxt;

	deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
													   TimestampTzGetDatum(start),
													   IntervalPGetDatum(timeout)));
	if (deadline < start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative")));

	poll_cxt = AllocSetContextCreate(outer, "dune_mv wait poll", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		ApiCall		call;
		long		sleep_ms = interval;
		long		left;
		int			caught;

		MemoryContextReset(poll_cxt);
		MemoryContextSwitchTo(poll_cxt);
		target->prepare(&call, target->id);
		caught = send_poll(target, &call, deadline);
		if (caught == 0)
		{
			target->record(&call, target->id, exec);
			MemoryContextSwitchTo(outer);
			if (exec->is_finished)
				return;
			if (last_state)
				pfree(last_state);
			last_state = pstrdup(exec->state);
		}
		else
		{
			MemoryContextSwitchTo(outer);
			sleep_ms = Max(call.resp.retry_after_ms, interval);
		}

		left = ms_until(deadline);
		if (caught != 0 && sleep_ms > left)
			raise_wait_timeout(target, timeout, last_state, sleep_ms);
		if (left <= 0)
			raise_wait_timeout(target, timeout, last_state, -1);
		http_sleep_ms(Min(sleep_ms, left));
		interval = Min(interval * 2, max_interval);
	}
}

/*
 * lance_mv_wait(job_id, timeout interval DEFAULT '1 hour')
 *	  Poll the job until it is finished; returns the last status row.  Each
 *	  poll is recorded as a job_status call.
 */
Datum
lance_mv_wait(PG_FUNCTION_ARGS)
{
	PollTarget	target = {
		"Lance job",
		"The job goes on: call lance_mv_wait or lance_mv_job_status again later.",
		NULL, lance_send, prepare_job, record_job
	};
	TrackedExecution exec;

	target.id = job_id_arg(fcinfo);
	validate_required(PG_ARGISNULL(1), "timeout");
	poll_until_finished(&target, PG_GETARG_INTERVAL_P(1), &exec);
	return job_row(fcinfo, &exec);
}
