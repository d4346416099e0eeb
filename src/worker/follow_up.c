/*-------------------------------------------------------------------------
 * follow_up.c
 *	  What the worker of a database does besides sending queued requests:
 *	  it follows the executions and jobs started through the extension to
 *	  their final state (status reads within each provider's budget per
 *	  minute, with dune_mv_wait's backoff), and records the calls that the
 *	  journal hands over (worker/journal.c).  May call core/, catalog/,
 *	  transport/multi.c and worker/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "core/settings.h"
#include "core/status.h"
#include "worker/journal.h"
#include "worker/shmem.h"
#include "worker/worker.h"
#include "worker/worker_internal.h"

#define READ_WINDOW_MS	60000	/* the status-read budget is per minute */
#define FOLLOW_EVERY_MS 500		/* how often due executions are looked for */
#define SHUTDOWN_DRAIN_MS 3000	/* how long a shutdown waits for sessions' journal entries */
#define REST_MAX_MS		600000	/* the longest rest after failed status reads */
#define REST_ID_LEN		128

/*
 * An execution or job whose status read failed (the API does not know it,
 * answers with an error, or does not answer): it rests before the next
 * read, twice as long after each failure, so that it neither burns the
 * read budget nor keeps the others from being read.
 */
typedef struct Resting
{
	char		remote_id[REST_ID_LEN];	/* hash key */
	int			failures;
	TimestampTz until;
} Resting;

static HTAB *resting = NULL;

static TimestampTz read_window_start = 0;
static int	reads_in_window[16];	/* per provider, in registry order */

/* The providers whose status-read budget of this minute is spent, or that are held back. */
static Datum
providers_without_reads(void)
{
	Datum		names[16];
	int			n = 0;
	int			i = 0;
	TimestampTz now = GetCurrentTimestamp();

	if (TimestampDifferenceExceeds(read_window_start, now, READ_WINDOW_MS))
	{
		read_window_start = now;
		memset(reads_in_window, 0, sizeof(reads_in_window));
	}
	foreach_provider(p)
	{
		if (provider_held_back(p) || reads_in_window[i] >= dune_mv_worker_status_reads_per_minute ||
			count_in_flight(p->name) >= dune_mv_worker_max_in_flight_per_provider)
			names[n++] = CStringGetTextDatum(p->name);
		i++;
	}
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The table of resting executions, created on first use. */
static HTAB *
resting_table(void)
{
	if (resting == NULL)
	{
		HASHCTL		ctl = {0};

		ctl.keysize = REST_ID_LEN;
		ctl.entrysize = sizeof(Resting);
		resting = hash_create("dune_mv resting executions", 64, &ctl, HASH_ELEM | HASH_STRINGS);
	}
	return resting;
}

/* The ids resting now, as a text[] (remote_id <> ALL of it). */
static Datum
resting_ids(void)
{
	HASH_SEQ_STATUS seq;
	Resting    *r;
	Datum	   *ids;
	int			n = 0;
	TimestampTz now = GetCurrentTimestamp();

	ids = palloc(sizeof(Datum) * (hash_get_num_entries(resting_table()) + 1));
	hash_seq_init(&seq, resting_table());
	while ((r = hash_seq_search(&seq)) != NULL)
		if (r->until > now)
			ids[n++] = CStringGetTextDatum(r->remote_id);
	return PointerGetDatum(construct_array(ids, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* Note the outcome of a status read: a failure makes the execution rest longer each time. */
static void
note_read(const char *remote_id, bool failed)
{
	char		key[REST_ID_LEN] = {0};
	Resting    *r;
	bool		found;

	strlcpy(key, remote_id, sizeof(key));
	if (!failed)
	{
		(void) hash_search(resting_table(), key, HASH_REMOVE, NULL);
		return;
	}
	r = hash_search(resting_table(), key, HASH_ENTER, &found);
	r->failures = found ? r->failures + 1 : 1;
	r->until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   Min((int64) REST_MAX_MS,
											   (int64) Max(dune_mv_poll_interval_max, 1000)
											   << Min(r->failures - 1, 16)));
}

/* Settle a status read that ended: recorded by the lifecycle, or noted when it failed. */
void
settle_status_read(InFlight *f, AttemptOutcome outcome)
{
	ApiCall    *call = f->call;
	MemoryContext old = MemoryContextSwitchTo(f->cxt);
	char	   *sqlstate = NULL;
	char	   *message = NULL;

	if (outcome == ATTEMPT_RESPONSE && call->resp.status == 429)
		hold_back(call->provider, call->resp.retry_after_ms);
	else if (outcome != ATTEMPT_RESPONSE)
	{
		note_read(f->polled_id, true);
		note_error(psprintf("status read of %s failed: %s", f->polled_id,
							f->transfer.st.errbuf[0] ? f->transfer.st.errbuf : "no answer"));
	}
	else if (!run_as(f->role, finish_call, f, &sqlstate, &message))
	{
		note_read(f->polled_id, true);
		note_error(message);
	}
	else
		note_read(f->polled_id, false);
	MemoryContextSwitchTo(old);
}

/* for catalog_due_executions: start a status read of one execution or job, as its role. */
static void
start_poll(const char *role_name, const char *provider_name, const char *remote_id, void *arg)
{
	InFlight   *f = free_in_flight();
	Oid			role = get_role_oid(role_name, true);
	const Provider *provider = NULL;
	char	   *sqlstate = NULL;
	char	   *message = NULL;
	MemoryContext old;

	foreach_provider(p)
		if (strcmp(p->name, provider_name) == 0)
			provider = p;
	for (int i = 0; i < nslots; i++)
		if (in_flight[i].used && in_flight[i].polled_id &&
			strcmp(in_flight[i].polled_id, remote_id) == 0)
			return;				/* already being read */
	if (f == NULL || provider == NULL || !OidIsValid(role))
		return;
	f->used = true;
	f->request_id = 0;
	f->role = role;
	f->cxt = AllocSetContextCreate(TopMemoryContext, "dune_mv status read", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(f->cxt);
	f->polled_id = pstrdup(remote_id);
	f->call = palloc0(sizeof(ApiCall));
	status_prepare(f->call, provider, f->polled_id, palloc0(sizeof(TrackedExecution)));
	reads_in_window[provider_index(provider)]++;
	if (!run_as(role, begin_call, f, &sqlstate, &message))
	{
		MemoryContextSwitchTo(old);
		note_error(message);
		release_in_flight(f);
		return;
	}
	MemoryContextSwitchTo(old);
}

/*
 * Follow the executions and jobs started through the extension: read the
 * status of those due (the same backoff as dune_mv_wait), within each
 * provider's budget of status reads per minute.
 */
void
follow_executions(void)
{
	static TimestampTz last = 0;
	int			room = Min(nslots, dune_mv_worker_max_in_flight) - count_in_flight(NULL);
	bool		gone;

	if (!dune_mv_worker_follow || room <= 0 ||
		!TimestampDifferenceExceeds(last, GetCurrentTimestamp(), FOLLOW_EVERY_MS))
		return;
	last = GetCurrentTimestamp();
	begin_work();
	if (extension_ready(&gone))
		catalog_due_executions(room, dune_mv_poll_interval_min, dune_mv_poll_interval_max,
							   providers_without_reads(), resting_ids(), start_poll, NULL);
	end_work();
}

/* run_as body: record a call handed over by the journal. */
static void
record_abandoned(void *arg)
{
	catalog_record((ApiCall *) arg);
}

/*
 * Record the calls whose caller's transaction (or subtransaction) ended
 * without keeping their record (worker/journal.c): 'ok' with the execution
 * or job they started, 'error', or 'unknown' when no answer was seen.
 */
void
drain_journal(void)
{
	JournalEntry e;
	bool		began = false;
	bool		gone = false;

	while (journal_take(MyDatabaseId, &e))
	{
		const Provider *provider = NULL;
		ApiCall		call;
		char	   *sqlstate = NULL;
		char	   *message = NULL;

		if (!began)
		{
			begin_work();
			began = true;
			(void) extension_ready(&gone);
		}
		foreach_provider(p)
			if (strcmp(p->name, e.provider) == 0)
				provider = p;
		if (provider == NULL || gone)
			continue;
		api_prepare(&call, provider, pstrdup(e.operation), pstrdup(e.target),
					pstrdup(e.method), pstrdup(e.path), HTTP_RETRY_PAID_WRITE);
		call.outcome = CALL_OK;
		call.resp.status = e.http_status;
		call.remote_id = e.remote_id[0] ? pstrdup(e.remote_id) : NULL;
		call.starts_execution = e.starts_execution;
		call.execution_view = call.target;
		call.recorded_outcome = !e.answered ? "unknown" :
			(e.error[0] || e.http_status < 200 || e.http_status > 299) ? "error" : "ok";
		call.error_text = e.error[0] ? pstrdup(e.error) : !e.answered ?
			"sent, and no answer was seen before the caller's transaction ended" : NULL;
		if (!run_as(e.role, record_abandoned, &call, &sqlstate, &message))
			note_error(message);
	}
	if (began)
		end_work();
}

/*
 * At a server shutdown the sessions are told to end at the same moment as
 * the worker: their rolled-back calls reach the journal just after.  Record
 * them before exiting (shared memory does not outlive the restart), waiting
 * until no entry of this database is open, for SHUTDOWN_DRAIN_MS at most.
 */
void
drain_before_shutdown(void)
{
	for (int waited = 0; waited < SHUTDOWN_DRAIN_MS; waited += 50)
	{
		drain_journal();
		if (journal_open_count(MyDatabaseId) == 0)
			break;
		pg_usleep(50 * 1000L);
	}
	drain_journal();
}
