/*-------------------------------------------------------------------------
 * follow.c
 *	  Status, wait and cancel of executions (Dune) and jobs (Lance), one
 *	  implementation for every provider, driven by its ProviderStatus; and
 *	  dune_mv_purge.
 *
 * A status read is one recorded call that also updates dune_mv.executions
 * (core/status.c says how a reply is read; catalog/record.c records it).
 * The wait loop polls at once, then after dune_mv.poll_interval_min,
 * doubling up to dune_mv.poll_interval_max, sleeping on the latch
 * (cancellable at once).  Each poll's own time limit is dune_mv.timeout,
 * capped to what is left of the wait (at least POLL_FLOOR_MS).  A poll that
 * still ends in 429 after the transport's retries is not an error: the loop
 * waits its Retry-After (or the next interval) and polls again while the
 * wait's time allows.  At the deadline the wait raises 58030 (io_error, as
 * for a request timeout) naming the last state seen; the execution or job
 * itself goes on.  While this database's worker follows executions
 * (dune_mv.worker_follow), a wait for one started through the extension
 * reads what the worker records instead, and sends no status read itself.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "core/settings.h"
#include "core/status.h"
#include "functions/ownership.h"
#include "functions/rows.h"
#include "functions/validate.h"
#include "providers/dune.h"
#include "providers/lance.h"
#include "worker/worker.h"

PG_FUNCTION_INFO_V1(dune_mv_purge);

#define POLL_FLOOR_MS	1000
#define WORKER_WAIT_SLICE_MS 200	/* how often a wait reads what the worker recorded */

static void raise_wait_timeout(const ProviderStatus *st, const char *id, Interval *timeout,
							   const char *last_state, long retry_ms) pg_attribute_noreturn();

/* Milliseconds from now until deadline (negative once past). */
static long
ms_until(TimestampTz deadline)
{
	return (long) ((deadline - GetCurrentTimestamp()) / 1000);
}

/*
 * Send one poll with dune_mv.timeout capped to the time left (at least
 * POLL_FLOOR_MS).  Returns false when a 429 outlasted the transport's
 * retries (and records nothing); any other failure is raised.
 */
static bool
send_poll(ApiCall *call, TimestampTz deadline)
{
	static const long rate_limited[] = {429, 0};

	call->req.timeout_ms = Min((long) settings_total_timeout_ms(),
							   Max(ms_until(deadline), POLL_FLOOR_MS));
	call->tolerate = rate_limited;
	return api_call(call) == CALL_OK;
}

/*
 * Raise the wait's timeout error, naming the last state seen; retry_ms >= 0
 * when the API asked (429) to wait longer than the time left.
 */
static void
raise_wait_timeout(const ProviderStatus *st, const char *id, Interval *timeout,
				   const char *last_state, long retry_ms)
{
	char	   *span = DatumGetCString(DirectFunctionCall1(interval_out,
														   IntervalPGetDatum(timeout)));

	if (retry_ms >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_IO_ERROR),
				 errmsg("gave up waiting for %s \"%s\": rate limited for %ld ms, beyond the timeout of %s",
						st->what, id, retry_ms, span),
				 errdetail("The last state seen was %s.", last_state ? last_state : "none"),
				 errhint("%s", st->timeout_hint)));
	ereport(ERROR,
			(errcode(ERRCODE_IO_ERROR),
			 errmsg("timed out after %s waiting for %s \"%s\"", span, st->what, id),
			 errdetail("The last state seen was %s.", last_state ? last_state : "none"),
			 errhint("%s", st->timeout_hint)));
}

/* now + timeout; a negative timeout, or one beyond the timestamps, is 22023. */
static TimestampTz
wait_deadline(TimestampTz start, Interval *timeout)
{
	TimestampTz deadline = 0;
	volatile bool out_of_range = false;
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(start),
														   IntervalPGetDatum(timeout)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		out_of_range = true;
	}
	PG_END_TRY();
	if (out_of_range)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout is out of range"),
				 errhint("timeout is an interval such as '20 minutes'.")));
	if (deadline < start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout must not be negative")));
	return deadline;
}

/*
 * While this database's worker follows executions, wait for id on what it
 * records (no status read of our own): true when id was started through
 * the extension and is now finished, its state in *exec.  False (nothing
 * waited) when the worker does not follow it; the timeout is raised as for
 * a poll.
 */
static bool
wait_on_worker(const Provider *provider, const char *id, Interval *timeout,
			   TrackedExecution *exec)
{
	TimestampTz deadline = wait_deadline(GetCurrentTimestamp(), timeout);
	bool		followed = false;
	json_object *err;

	if (!dune_mv_worker_follow || !worker_running(MyDatabaseId) ||
		!catalog_read_execution(provider, id, exec, &followed) || !followed)
		return false;
	while (!exec->is_finished)
	{
		long		left = ms_until(deadline);

		if (left <= 0)
			raise_wait_timeout(provider->status, id, timeout, exec->state, -1);
		http_sleep_ms(Min(left, WORKER_WAIT_SLICE_MS));
		(void) catalog_read_execution(provider, id, exec, &followed);
	}
	if (exec->reply && provider->status->error_key &&
		json_object_object_get_ex(exec->reply, provider->status->error_key, &err) &&
		json_object_is_type(err, json_type_object))
		exec->error = err;
	return true;
}

/*
 * Poll execution or job id until it is finished, sleeping with backoff
 * between polls; fills in *exec from the last poll (its memory lives until
 * the caller's context goes).  A negative timeout is 22023, before any
 * request.
 */
static void
poll_until_finished(const Provider *provider, const char *id, Interval *timeout,
					TrackedExecution *exec)
{
	TimestampTz start = GetCurrentTimestamp();
	TimestampTz deadline;
	long		interval = dune_mv_poll_interval_min;
	long		max_interval = Max(dune_mv_poll_interval_max, dune_mv_poll_interval_min);
	char	   *last_state = NULL;
	MemoryContext outer = CurrentMemoryContext;
	MemoryContext poll_cxt;

	deadline = wait_deadline(start, timeout);
	poll_cxt = AllocSetContextCreate(outer, "dune_mv wait poll", ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		ApiCall		call;
		long		sleep_ms = interval;
		long		left;
		bool		answered;

		MemoryContextReset(poll_cxt);
		MemoryContextSwitchTo(poll_cxt);
		status_prepare(&call, provider, id, exec);
		answered = send_poll(&call, deadline);
		if (answered)
		{
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
		if (!answered && sleep_ms > left)
			raise_wait_timeout(provider->status, id, timeout, last_state, sleep_ms);
		if (left <= 0)
			raise_wait_timeout(provider->status, id, timeout, last_state, -1);
		http_sleep_ms(Min(sleep_ms, left));
		interval = Min(interval * 2, max_interval);
	}
}

/* A timestamptz Datum for a tracked time, setting *isnull when unknown. */
static Datum
time_datum(const TrackedTime *t, bool *isnull)
{
	*isnull = !t->known;
	return t->known ? TimestampTzGetDatum(t->value) : (Datum) 0;
}

/* One column of a status row, as the provider's descriptor lays it out. */
static Datum
status_column(const StatusColumn *col, const TrackedExecution *exec, bool *isnull)
{
	bool		b;

	*isnull = false;
	switch (col->kind)
	{
		case STATUS_COL_ID:
			return rows_text_or_null(exec->remote_id, isnull);
		case STATUS_COL_STATE:
			return rows_text_or_null(exec->state, isnull);
		case STATUS_COL_FINISHED:
			return BoolGetDatum(exec->is_finished);
		case STATUS_COL_SUBMITTED:
			return time_datum(&exec->submitted_at, isnull);
		case STATUS_COL_STARTED:
			return time_datum(&exec->started_at, isnull);
		case STATUS_COL_ENDED:
			return time_datum(&exec->ended_at, isnull);
		case STATUS_COL_CANCELLED:
			return time_datum(&exec->cancelled_at, isnull);
		case STATUS_COL_COST:
			*isnull = exec->cost_credits == NULL;
			return *isnull ? (Datum) 0 :
				DirectFunctionCall3(numeric_in, CStringGetDatum(exec->cost_credits),
									ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		case STATUS_COL_ERROR_TYPE:
			return rows_text_or_null(exec->error_type, isnull);
		case STATUS_COL_ERROR_MESSAGE:
			return rows_text_or_null(exec->error_message, isnull);
		case STATUS_COL_REPLY_TEXT:
			return rows_text_or_null(json_string_field(exec->reply, col->key), isnull);
		case STATUS_COL_ERROR_BOOL:
			*isnull = !json_bool_field(exec->error, col->key, &b);
			return BoolGetDatum(!*isnull && b);
		case STATUS_COL_REPLY:
			*isnull = exec->reply == NULL;
			return *isnull ? (Datum) 0 : json_jsonb(exec->reply);
	}
	pg_unreachable();
}

/* The provider's status row (dune_mv.execution_status, dune_mv.lance_job_status) for exec. */
static Datum
status_row(FunctionCallInfo fcinfo, const ProviderStatus *st, const TrackedExecution *exec)
{
	Datum		values[STATUS_MAX_COLUMNS];
	bool		nulls[STATUS_MAX_COLUMNS];

	for (int i = 0; i < st->ncolumns; i++)
		values[i] = status_column(&st->columns[i], exec, &nulls[i]);
	return rows_form(fcinfo, values, nulls);
}

/* status(id): one recorded status read, as the provider's row. */
static Datum
follow_status(FunctionCallInfo fcinfo, const Provider *provider)
{
	char	   *id = validate_id_arg(fcinfo, 0, provider->status->id_arg);
	TrackedExecution exec;
	ApiCall		call;

	status_prepare(&call, provider, id, &exec);
	(void) api_call(&call);
	return status_row(fcinfo, provider->status, &exec);
}

/* wait(id, timeout): poll until finished; the last status row. */
static Datum
follow_wait(FunctionCallInfo fcinfo, const Provider *provider)
{
	char	   *id = validate_id_arg(fcinfo, 0, provider->status->id_arg);
	TrackedExecution exec;

	validate_required(PG_ARGISNULL(1), "timeout");
	if (!wait_on_worker(provider, id, PG_GETARG_INTERVAL_P(1), &exec))
		poll_until_finished(provider, id, PG_GETARG_INTERVAL_P(1), &exec);
	return status_row(fcinfo, provider->status, &exec);
}

/*
 * cancel(id): POST the provider's cancel path, recorded; returns the API's
 * "success".  Like upsert and refresh it is not resent once it may have
 * arrived: a second cancel would answer false for an execution the first
 * one ended.
 */
/* read_reply of cancel: the reply must say whether it succeeded (checked before the record). */
static void
read_cancel(ApiCall *call)
{
	bool		success;

	if (!json_bool_field(call->reply, "success", &success))
		api_bad_reply(call, "no boolean \"success\" in the reply");
}

static Datum
follow_cancel(FunctionCallInfo fcinfo, const Provider *provider)
{
	const ProviderStatus *st = provider->status;
	char	   *id = validate_id_arg(fcinfo, 0, st->id_arg);
	ApiCall		call;
	bool		success = false;

	require_execution_owner(provider, id);
	api_prepare(&call, provider, "cancel", id, "POST",
				psprintf(st->cancel_path, http_escape_segment(id)), HTTP_RETRY_PAID_WRITE);
	call.remote_id = id;
	call.read_reply = read_cancel;
	(void) api_call(&call);
	(void) json_bool_field(call.reply, "success", &success);
	PG_RETURN_BOOL(success);
}

/* dune_mv_cancel(execution_id): POST /v1/execution/{id}/cancel. */
PG_FUNCTION_INFO_V1(dune_mv_cancel);
Datum
dune_mv_cancel(PG_FUNCTION_ARGS)
{
	return follow_cancel(fcinfo, &dune_provider);
}

/*
 * The SQL functions status(id) and wait(id, timeout DEFAULT '1 hour') of a
 * provider: dune_mv_status and dune_mv_wait (GET /v1/execution/{id}/status),
 * lance_mv_job_status and lance_mv_wait (POST /v1/jobs/describe).
 */
#define FOLLOW_FUNCTIONS(status_fn, wait_fn, provider) \
	PG_FUNCTION_INFO_V1(status_fn); \
	PG_FUNCTION_INFO_V1(wait_fn); \
	Datum status_fn(PG_FUNCTION_ARGS) { return follow_status(fcinfo, &provider); } \
	Datum wait_fn(PG_FUNCTION_ARGS) { return follow_wait(fcinfo, &provider); }

FOLLOW_FUNCTIONS(dune_mv_status, dune_mv_wait, dune_provider)
FOLLOW_FUNCTIONS(lance_mv_job_status, lance_mv_wait, lance_provider)

/*
 * dune_mv_purge(older_than interval DEFAULT NULL)
 *	  Delete the caller's calls, executions and settled requests older than
 *	  older_than (NULL: dune_mv.purge_after seconds), keeping each view's
 *	  latest call and latest execution.  Returns how many rows went from each table.
 */
Datum
dune_mv_purge(PG_FUNCTION_ARGS)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz cutoff;
	int64		counts[4];
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (PG_ARGISNULL(0))
		cutoff = now - (int64) dune_mv_purge_after * USECS_PER_SEC;
	else
		cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
														 TimestampTzGetDatum(now),
														 PG_GETARG_DATUM(0)));
	if (cutoff > now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative"),
				 errhint("Pass an age such as '30 days', or NULL for dune_mv.purge_after.")));
	catalog_purge(cutoff, &counts[0], &counts[1], &counts[2], &counts[3]);
	for (int i = 0; i < 4; i++)
		values[i] = Int64GetDatum(counts[i]);
	return rows_form(fcinfo, values, nulls);
}
