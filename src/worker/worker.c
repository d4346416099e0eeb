/*-------------------------------------------------------------------------
 * worker.c
 *	  The worker of one database: sends its queued requests, many at once,
 *	  through the same call lifecycle as a backend (core/call.c), as the
 *	  role that queued each, and records every outcome.
 *
 * Never twice: a request is marked 'sending' in a transaction committed
 * before it leaves; at start, rows still 'sending' (the worker died with
 * them in flight) become 'unknown'; a request the API surely did not take
 * (a 429, no connection) goes back to 'queued', and a 429 holds its
 * provider's queue back for Retry-After.  Never lost: queued rows wait for
 * the next start.  Chains: a request with `after` is claimed only once its
 * upstream requests have settled, and is skipped unless each is done and
 * the execution or job it started finished successfully.
 *
 * The worker exits when its extension or database is dropped (the
 * ProcessUtility hook asks it to, before the DROP runs), on SIGTERM, and
 * when the extension is missing; it takes only conditional locks on the
 * extension's tables and reports what it does in pg_stat_activity.  May
 * call core/, catalog/, transport/multi.c, functions/queued.h and
 * worker/shmem.c, worker/journal.c (it records the calls the journal
 * hands over), worker/load_runner.c (queued loads run beside it).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "catalog/catalog.h"
#include "core/call.h"
#include "core/guard.h"
#include "core/settings.h"
#include "core/status.h"
#include "functions/queued.h"
#include "transport/multi.h"
#include "worker/journal.h"
#include "worker/shmem.h"
#include "worker/worker.h"
#include "worker/worker_internal.h"

#define IDLE_NAP_MS		1000	/* nothing in flight: how long to sleep at most */
#define SLICE_MS		20		/* something in flight: how long each multi slice */
#define RETRY_UNSENT_MS 1000	/* a request that could not connect waits this long */

PGDLLEXPORT void dune_mv_worker_main(Datum arg);


WorkerSlot *my_slot = NULL;
InFlight   *in_flight = NULL;
int			nslots = 0;

/* Release the slot when the worker exits. */
static void
release_slot(int code, Datum arg)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	my_slot->pid = 0;
	my_slot->latch = NULL;
	my_slot->in_flight = 0;
	LWLockRelease(worker_shared->lock);
}

/* Record an error in the slot, for dune_mv.worker. */
void
note_error(const char *message)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	strlcpy(my_slot->last_error, message, sizeof(my_slot->last_error));
	my_slot->last_error_at = GetCurrentTimestamp();
	LWLockRelease(worker_shared->lock);
}

/* Begin a worker transaction with a snapshot (SPI needs one). */
void
begin_work(void)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
}

/* Commit a worker transaction. */
void
end_work(void)
{
	PopActiveSnapshot();
	CommitTransactionCommand();
}

/*
 * True when the extension is here and its requests table can be locked
 * without waiting (a DROP waiting for it is never made to wait for us).
 */
bool
extension_ready(bool *gone)
{
	Oid			nsp;
	Oid			rel;

	*gone = !OidIsValid(get_extension_oid("dune_mv", true));
	if (*gone)
		return false;
	nsp = get_namespace_oid("dune_mv", true);
	rel = OidIsValid(nsp) ? get_relname_relid("requests", nsp) : InvalidOid;
	if (!OidIsValid(rel))
	{
		*gone = true;
		return false;
	}
	return ConditionalLockRelationOid(rel, RowExclusiveLock);
}

/* A free in-flight slot, or NULL. */
InFlight *
free_in_flight(void)
{
	for (int i = 0; i < nslots; i++)
		if (!in_flight[i].used)
			return &in_flight[i];
	return NULL;
}

/* How many requests are in flight, in all and to one provider (or NULL). */
int
count_in_flight(const char *provider)
{
	int			n = 0;

	for (int i = 0; i < nslots; i++)
		if (in_flight[i].used &&
			(provider == NULL || strcmp(in_flight[i].call->provider->name, provider) == 0))
			n++;
	return n;
}

/* Until when a 429 holds each provider's queue back, in registry order. */
static TimestampTz held_until[16];

/* The position of a provider in the registry. */
int
provider_index(const Provider *provider)
{
	int			i = 0;

	foreach_provider(p)
	{
		if (p == provider)
			return i;
		i++;
	}
	return 0;
}

/* True while a 429 (or a failed connection) holds the provider's queue back. */
bool
provider_held_back(const Provider *provider)
{
	return held_until[provider_index(provider)] > GetCurrentTimestamp();
}

/* The providers not to claim requests of now: at their in-flight limit, or held back by a 429. */
static Datum
held_back_providers(void)
{
	Datum		names[16];
	int			n = 0;

	foreach_provider(p)
		if (provider_held_back(p) ||
			count_in_flight(p->name) >= dune_mv_worker_max_in_flight_per_provider)
			names[n++] = CStringGetTextDatum(p->name);
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* What an upstream check concludes (check_upstream). */
typedef struct UpstreamCheck
{
	char	   *blocked_by;		/* why the request is skipped, or NULL */
} UpstreamCheck;

/* for catalog_upstream_states: note the first upstream that did not succeed. */
static void
check_upstream(int64 id, const char *state, const char *provider_name,
			   const char *execution_state, bool finished, void *arg)
{
	UpstreamCheck *check = (UpstreamCheck *) arg;
	const Provider *provider = NULL;
	TrackedExecution exec = {0};

	if (check->blocked_by != NULL)
		return;
	if (strcmp(state, "done") != 0)
	{
		check->blocked_by = psprintf("upstream request " INT64_FORMAT " ended %s", id, state);
		return;
	}
	if (execution_state == NULL && !finished)
		return;					/* started nothing to follow */
	foreach_provider(p)
		if (strcmp(p->name, provider_name) == 0)
			provider = p;
	exec.state = execution_state;
	exec.is_finished = finished;
	if (provider == NULL || !status_succeeded(provider->status, &exec))
		check->blocked_by = psprintf("upstream request " INT64_FORMAT "'s execution ended %s",
									 id, execution_state ? execution_state : "unknown");
}

/* Settle a request in its own subtransaction-free way (the caller's transaction). */
static void
settle(int64 id, const char *state, const ApiCall *call, const char *sqlstate,
	   const char *message)
{
	catalog_finish_request(id, state, call ? call->remote_id : NULL,
						   call ? (int) call->resp.status : 0, sqlstate, message);
}

/*
 * Run fn(arg) as role in a subtransaction; on error, the error's SQLSTATE
 * and message go to *sqlstate and *message and false is returned.
 */
bool
run_as(Oid role, void (*fn) (void *), void *arg, char **sqlstate, char **message)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	Oid			save_user;
	int			save_sec;
	volatile bool ok = true;

	GetUserIdAndSecContext(&save_user, &save_sec);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		SetUserIdAndSecContext(role, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		fn(arg);
		SetUserIdAndSecContext(save_user, save_sec);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		SetUserIdAndSecContext(save_user, save_sec);
		*sqlstate = pstrdup(unpack_sql_state(edata->sqlerrcode));
		*message = pstrdup(edata->message);
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return ok;
}

/* run_as body: the steps before the exchange. */
void
begin_call(void *arg)
{
	InFlight   *f = (InFlight *) arg;

	if (!api_call_begin(f->call))
		return;
	guard_release();			/* the request's 'sending' row shows the refresh to others */
	multi_start(&f->transfer, &f->call->req, settings_total_timeout_ms());
}

/* run_as body: the steps after the exchange. */
void
finish_call(void *arg)
{
	(void) api_call_finish(((InFlight *) arg)->call);
}

/* Free an in-flight slot's call (the transfer's handle is kept for reuse). */
void
release_in_flight(InFlight *f)
{
	if (f->call)
		api_call_wipe_headers(f->call);
	MemoryContextDelete(f->cxt);
	f->used = false;
	f->call = NULL;
	f->polled_id = NULL;
}

/* for catalog_claim_requests: check a claimed request's chain, restore it and start sending it. */
static void
start_claimed(const ClaimedRequest *req, void *arg)
{
	InFlight   *f = free_in_flight();
	Oid			role = get_role_oid(req->role, true);
	char	   *sqlstate = NULL;
	char	   *message = NULL;
	MemoryContext old;

	if (req->after)
	{
		UpstreamCheck check = {NULL};

		catalog_upstream_states(req->after, check_upstream, &check);
		if (check.blocked_by)
		{
			settle(req->id, "skipped", NULL, NULL, check.blocked_by);
			return;
		}
	}
	if (OidIsValid(role) && strcmp(req->operation, "load") == 0)
	{
		if (!load_claim(req->id, role))
			settle(req->id, "queued", NULL, NULL, NULL);
		return;
	}
	if (!OidIsValid(role) || f == NULL)
	{
		settle(req->id, !OidIsValid(role) ? "failed" : "queued", NULL, NULL,
			   !OidIsValid(role) ? "the role that queued it no longer exists" : NULL);
		return;
	}
	f->used = true;
	f->request_id = req->id;
	f->role = role;
	f->cxt = AllocSetContextCreate(TopMemoryContext, "dune_mv request", ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(f->cxt);
	f->call = palloc0(sizeof(ApiCall));
	queued_call_restore(f->call, req->provider, req->call_json);
	f->call->request_id = req->id;
	MemoryContextSwitchTo(old);
	old = MemoryContextSwitchTo(f->cxt);
	if (!run_as(role, begin_call, f, &sqlstate, &message))
	{
		MemoryContextSwitchTo(old);
		settle(req->id, "failed", NULL, sqlstate, message);
		note_error(message);
		release_in_flight(f);
		return;
	}
	MemoryContextSwitchTo(old);
	if (f->call->outcome == CALL_SKIPPED)
	{
		settle(req->id, "skipped", NULL, NULL, "another refresh of the view was in progress");
		release_in_flight(f);
	}
}

/* Claim and start as many queued requests as there is room for. */
static void
claim_and_start(void)
{
	int			room = Min(nslots, dune_mv_worker_max_in_flight) - count_in_flight(NULL);
	bool		gone;

	if (room <= 0)
		return;
	begin_work();
	if (extension_ready(&gone))
		catalog_claim_requests(room, held_back_providers(), start_claimed, NULL);
	end_work();
	loads_launch();
	if (gone)
	{
		ereport(LOG,
				(errmsg("dune_mv worker exiting: the extension is not created in this database")));
		proc_exit(0);
	}
}

/*
 * Hold a provider's queue back until Retry-After (or a second) has passed;
 * the other providers' requests go on.  dune_mv.worker shows the latest.
 */
void
hold_back(const Provider *provider, long wait_ms)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													wait_ms > 0 ? wait_ms : 1000);

	held_until[provider_index(provider)] = until;
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	my_slot->rate_limited_until = Max(my_slot->rate_limited_until, until);
	LWLockRelease(worker_shared->lock);
}

/* Settle one transfer that ended: requeue, unknown, done or failed. */
static void
settle_done(InFlight *f)
{
	ApiCall    *call = f->call;
	AttemptOutcome outcome = multi_finish(&f->transfer, &call->resp);
	char	   *sqlstate = NULL;
	char	   *message = NULL;

	api_call_wipe_headers(call);
	if (f->request_id == 0)
		settle_status_read(f, outcome);
	else if ((outcome == ATTEMPT_RESPONSE && call->resp.status == 429) || outcome == ATTEMPT_UNSENT)
	{
		/* the API did not take it: it goes out again, after a pause */
		hold_back(call->provider,
				  outcome == ATTEMPT_UNSENT ? RETRY_UNSENT_MS : call->resp.retry_after_ms);
		settle(f->request_id, "queued", NULL, NULL, NULL);
	}
	else if (outcome != ATTEMPT_RESPONSE)
		settle(f->request_id, "unknown", NULL, "08006",
			   psprintf("the transfer ended without an answer (%s): it may have reached the API",
						f->transfer.st.errbuf[0] ? f->transfer.st.errbuf : "no answer"));
	else
	{
		MemoryContext old = MemoryContextSwitchTo(f->cxt);
		bool		ok = run_as(f->role, finish_call, f, &sqlstate, &message);

		MemoryContextSwitchTo(old);
		if (ok)
			settle(f->request_id, "done", call, NULL, NULL);
		else
		{
			settle(f->request_id, "failed", call, sqlstate, message);
			note_error(message);
		}
	}
	release_in_flight(f);
}

/* Settle every transfer that ended, in one transaction. */
static void
settle_all_done(void)
{
	bool		any = false;

	for (int i = 0; i < nslots && !any; i++)
		any = in_flight[i].used && in_flight[i].transfer.done;
	if (!any)
		return;
	begin_work();
	for (int i = 0; i < nslots; i++)
		if (in_flight[i].used && in_flight[i].transfer.done)
			settle_done(&in_flight[i]);
	end_work();
}

/*
 * On shutdown or a stop request: abandon what is in flight, marking it
 * 'unknown' (it may have reached the API), record what the journal holds
 * (at a shutdown), then exit.
 */
static void
stop_now(void)
{
	int			n = count_in_flight(NULL) + loads_running();

	loads_stop();
	loads_reap();
	for (int i = 0; i < nslots; i++)
		if (in_flight[i].used)
			multi_abort(&in_flight[i].transfer);
	if (n > 0)
	{
		begin_work();
		(void) catalog_settle_sending();
		end_work();
	}
	if (ShutdownRequestPending)
		drain_before_shutdown();
	proc_exit(0);
}

/* Publish the counts of dune_mv.worker and the activity of pg_stat_activity (twice a second at most). */
static void
report(void)
{
	static TimestampTz last = 0;
	int			n = count_in_flight(NULL);
	int64		queued;

	if (!TimestampDifferenceExceeds(last, GetCurrentTimestamp(), 500))
		return;
	last = GetCurrentTimestamp();
	begin_work();
	queued = catalog_count_queued();
	end_work();
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	my_slot->queued = queued;
	my_slot->in_flight = n;
	LWLockRelease(worker_shared->lock);
	pgstat_report_activity(n > 0 ? STATE_RUNNING : STATE_IDLE,
						   n > 0 ? psprintf("sending %d request(s), " INT64_FORMAT " queued", n, queued) :
						   psprintf("waiting, " INT64_FORMAT " queued", queued));
}

/* Claim this database's slot; false when another worker holds it. */
static bool
claim_slot(Oid dboid)
{
	bool		taken = false;

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	my_slot = worker_slot(dboid, true);
	if (my_slot != NULL && my_slot->pid != 0 && my_slot->pid != MyProcPid)
		taken = true;
	else if (my_slot != NULL)
	{
		my_slot->pid = MyProcPid;
		my_slot->latch = MyLatch;
		my_slot->stop_requested = false;
	}
	LWLockRelease(worker_shared->lock);
	return my_slot != NULL && !taken;
}

/* The worker of one database (bgw_main_arg: its OID). */
void
dune_mv_worker_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	bool		gone;
	int64		settled;

	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dune_mv worker");
	if (!claim_slot(dboid))
		proc_exit(0);
	on_shmem_exit(release_slot, (Datum) 0);

	begin_work();
	gone = !OidIsValid(get_extension_oid("dune_mv", true));
	settled = gone ? 0 : catalog_settle_sending();
	end_work();
	if (gone)
	{
		LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
		my_slot->no_extension = true;
		LWLockRelease(worker_shared->lock);
		proc_exit(0);
	}
	if (settled > 0)
		ereport(LOG,
				(errmsg("dune_mv worker: " INT64_FORMAT " request(s) left in flight by a stopped worker are now unknown; none is sent again",
						settled)));

	nslots = 1000;
	in_flight = MemoryContextAllocZero(TopMemoryContext, sizeof(InFlight) * nslots);
	for (;;)
	{
		bool		stop;
		int			running;

		LWLockAcquire(worker_shared->lock, LW_SHARED);
		stop = my_slot->stop_requested;
		LWLockRelease(worker_shared->lock);
		if (stop || ShutdownRequestPending)
			stop_now();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		drain_journal();
		claim_and_start();
		follow_executions();
		running = multi_run(count_in_flight(NULL) > 0 ? SLICE_MS : 0);
		settle_all_done();
		loads_reap();
		report();
		if (running == 0 && count_in_flight(NULL) == 0)
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 IDLE_NAP_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}
