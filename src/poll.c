/*-------------------------------------------------------------------------
 * poll.c
 *	  Waiting for a Dune execution or a Lance job: polling with backoff,
 *	  shared by dune_mv_wait and lance_mv_wait.
 *
 * The loop polls at once, then after dune_mv.poll_interval_min, doubling up
 * to dune_mv.poll_interval_max, sleeping on the latch (cancellable at once).
 * Each poll's own time limit is dune_mv.timeout, capped to what is left of
 * the wait (at least POLL_FLOOR_MS).  A poll that still ends in 429 after
 * http.c's retries is not an error: the loop waits its Retry-After (or the
 * next interval) and polls again while the wait's time allows.  At the
 * deadline the wait raises 58030 (io_error, as for a request timeout) naming
 * the last state seen; the execution or job itself goes on.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "poll.h"
#include "remote_error.h"
#include "settings.h"

#define POLL_FLOOR_MS	1000

static void raise_wait_timeout(const PollTarget *target, Interval *timeout,
							   const char *last_state, long retry_ms) pg_attribute_noreturn();

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

/* Read the target's status once: prepare, send and record (no catching, no sleeping). */
void
poll_once(const PollTarget *target, TrackedExecution *exec)
{
	ApiCall		call;

	target->prepare(&call, target->id);
	target->send(&call);
	target->record(&call, target->id, exec);
}

/*
 * Poll target until it is finished, sleeping with backoff between polls;
 * fills in *exec from the last poll (its memory lives until the caller's
 * context goes).  A negative timeout is 22023, before any request.
 */
void
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
