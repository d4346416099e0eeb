/*-------------------------------------------------------------------------
 * launcher.c
 *	  The launcher: one background worker, registered at preload, that
 *	  starts a database worker (worker.c) for every database in which the
 *	  extension is created; and what backends ask of them.
 *
 * At its start the launcher probes every database that accepts
 * connections: each probe is a database worker that exits at once where
 * the extension is not created (marking its slot), so such a database then
 * costs nothing.  CREATE EXTENSION asks for a start at commit
 * (dune_mv_worker_start); DROP EXTENSION and DROP DATABASE stop the
 * database's worker first (a ProcessUtility hook), so they never wait on
 * it.  A database worker that exits unexpectedly is started again; the
 * launcher itself is restarted by the postmaster after a crash, and probes
 * again.  Backends wake their database's worker when a transaction that
 * queued requests commits.  May call worker/shmem.c and core/settings.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/wait_event.h"

#include "worker/journal.h"
#include "worker/shmem.h"
#include "worker/worker.h"

#define LAUNCHER_NAP_MS		10000	/* how often it looks at its workers anyway */
#define STOP_WAIT_MS		10000	/* how long DROP waits for a worker to exit */

PGDLLEXPORT void dune_mv_launcher_main(Datum arg);

int			dune_mv_worker_max_in_flight = 32;
int			dune_mv_worker_max_in_flight_per_provider = 32;
int			dune_mv_worker_status_reads_per_minute = 30;
bool		dune_mv_worker_follow = true;

static ProcessUtility_hook_type prev_process_utility = NULL;
static bool wake_at_commit = false;
static bool start_at_commit = false;
static Oid	stopped_for_drop = InvalidOid;
static BackgroundWorkerHandle *handles[WORKER_MAX_DATABASES];

/* Start the database worker of slot i (the launcher, holding no lock). */
static void
start_database_worker(int i, Oid dboid)
{
	BackgroundWorker w;

	worker_describe(&w, "dune_mv worker", "dune_mv_worker_main", ObjectIdGetDatum(dboid));
	snprintf(w.bgw_name, BGW_MAXLEN, "dune_mv worker for database %u", dboid);
	if (!RegisterDynamicBackgroundWorker(&w, &handles[i]))
	{
		handles[i] = NULL;
		ereport(WARNING,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the dune_mv worker for database %u", dboid),
				 errhint("Raise max_worker_processes.")));
	}
}

/* Take a slot for every database that accepts connections, and ask for its probe. */
static void
probe_all_databases(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		WorkerSlot *slot;

		if (!db->datallowconn || db->datistemplate)
			continue;
		slot = worker_slot(db->oid, true);
		if (slot != NULL)
			slot->start_requested = true;
	}
	LWLockRelease(worker_shared->lock);
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
}

/*
 * Start the workers that are asked for or that died while still needed;
 * forget the slots of databases without the extension.
 */
static void
tend_workers(void)
{
	Oid			to_start[WORKER_MAX_DATABASES];

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < WORKER_MAX_DATABASES; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];
		pid_t		pid;
		bool		running = handles[i] != NULL &&
			GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED;

		to_start[i] = InvalidOid;
		if (slot->dboid == InvalidOid || running)
			continue;
		if (handles[i] != NULL)
		{
			pfree(handles[i]);
			handles[i] = NULL;
			/* it exited: start it again unless it had nothing to serve */
			if (!slot->no_extension && !slot->stop_requested)
				slot->start_requested = true;
		}
		if (slot->start_requested)
		{
			slot->start_requested = false;
			slot->no_extension = false;
			slot->stop_requested = false;
			to_start[i] = slot->dboid;
		}
		else if (slot->no_extension || slot->stop_requested)
			slot->dboid = InvalidOid;	/* free the slot */
	}
	LWLockRelease(worker_shared->lock);
	for (int i = 0; i < WORKER_MAX_DATABASES; i++)
		if (OidIsValid(to_start[i]))
			start_database_worker(i, to_start[i]);
}

/* The launcher's main loop. */
void
dune_mv_launcher_main(Datum arg)
{
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dune_mv launcher");

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	worker_shared->launcher_latch = MyLatch;
	worker_shared->launcher_pid = MyProcPid;
	LWLockRelease(worker_shared->lock);

	probe_all_databases();
	while (!ShutdownRequestPending)
	{
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		tend_workers();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 LAUNCHER_NAP_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	worker_shared->launcher_latch = NULL;
	worker_shared->launcher_pid = 0;
	LWLockRelease(worker_shared->lock);
	proc_exit(0);
}

/* Ask the launcher to start the worker of a database. */
static void
request_start(Oid dboid)
{
	WorkerSlot *slot;

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	slot = worker_slot(dboid, true);
	if (slot != NULL)
	{
		slot->start_requested = true;
		slot->stop_requested = false;
		slot->no_extension = false;
	}
	LWLockRelease(worker_shared->lock);
	worker_wake_launcher();
}

/*
 * Stop the worker of a database and wait until it has exited (DROP
 * EXTENSION, DROP DATABASE), so that it holds no lock the DROP needs.
 */
static void
stop_and_wait(Oid dboid)
{
	for (int waited = 0; waited < STOP_WAIT_MS; waited += 10)
	{
		WorkerSlot *slot;
		bool		running;

		LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
		slot = worker_slot(dboid, false);
		running = slot != NULL && slot->pid != 0;
		if (slot != NULL)
		{
			slot->stop_requested = true;
			slot->start_requested = false;
			if (slot->latch)
				SetLatch(slot->latch);
		}
		LWLockRelease(worker_shared->lock);
		if (!running)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, 10,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
}

/* True when stmt drops the extension dune_mv. */
static bool
drops_this_extension(Node *stmt)
{
	DropStmt   *drop = (DropStmt *) stmt;
	ListCell   *lc;

	if (!IsA(stmt, DropStmt) || drop->removeType != OBJECT_EXTENSION)
		return false;
	foreach(lc, drop->objects)
		if (strcmp(strVal(lfirst(lc)), "dune_mv") == 0)
			return true;
	return false;
}

/* ProcessUtility hook: stop the worker before DROP EXTENSION dune_mv or DROP DATABASE. */
static void
worker_process_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree,
					   ProcessUtilityContext context, ParamListInfo params,
					   QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *stmt = pstmt->utilityStmt;

	if (worker_shared != NULL && IsA(stmt, DropdbStmt))
	{
		Oid			dboid = get_database_oid(((DropdbStmt *) stmt)->dbname, true);

		if (OidIsValid(dboid))
			stop_and_wait(dboid);
	}
	else if (worker_shared != NULL && drops_this_extension(stmt))
	{
		stop_and_wait(MyDatabaseId);
		stopped_for_drop = MyDatabaseId;
	}
	if (prev_process_utility)
		prev_process_utility(pstmt, query, read_only_tree, context, params, env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
}

/* At commit: wake or start this database's worker as asked; after an aborted DROP, restart it. */
static void
worker_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT)
	{
		if (start_at_commit)
			request_start(MyDatabaseId);
		else if (wake_at_commit)
			worker_wake(MyDatabaseId);
	}
	else if (event == XACT_EVENT_ABORT && OidIsValid(stopped_for_drop))
		request_start(stopped_for_drop);
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT)
	{
		wake_at_commit = false;
		start_at_commit = false;
		stopped_for_drop = InvalidOid;
	}
}

/* Wake this database's worker when the current transaction commits. */
void
worker_wake_at_commit(void)
{
	wake_at_commit = true;
}

/* Start this database's worker when the current transaction commits (CREATE EXTENSION). */
void
worker_start_at_commit(void)
{
	start_at_commit = true;
}

/* True when a worker serves this database now. */
bool
worker_running(Oid dboid)
{
	WorkerSlot *slot;
	bool		running;

	if (worker_shared == NULL)
		return false;
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	slot = worker_slot(dboid, false);
	running = slot != NULL && slot->pid != 0;
	LWLockRelease(worker_shared->lock);
	return running;
}

/* Copy up to max slots in use into out; returns how many. */
int
worker_status(WorkerSlotView *out, int max)
{
	int			n = 0;

	if (worker_shared == NULL)
		return 0;
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	for (int i = 0; i < WORKER_MAX_DATABASES && n < max; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];

		if (slot->dboid == InvalidOid || slot->no_extension)
			continue;
		out[n].dboid = slot->dboid;
		out[n].pid = slot->pid;
		out[n].queued = slot->queued;
		out[n].in_flight = slot->in_flight;
		out[n].rate_limited_until = slot->rate_limited_until;
		strlcpy(out[n].last_error, slot->last_error, sizeof(out[n].last_error));
		out[n].last_error_at = slot->last_error_at;
		n++;
	}
	LWLockRelease(worker_shared->lock);
	return n;
}

/*
 * Register the launcher, the shared memory, the hooks and the worker's
 * settings; called from _PG_init.  Without preloading there is no worker.
 */
void
worker_init(void)
{
	BackgroundWorker w;

	DefineCustomIntVariable("dune_mv.worker_max_in_flight",
							"Requests the background worker of a database sends at once.",
							NULL, &dune_mv_worker_max_in_flight, 32, 1, 1000, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dune_mv.worker_max_in_flight_per_provider",
							"Requests to one API the background worker of a database sends at once.",
							NULL, &dune_mv_worker_max_in_flight_per_provider, 32, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("dune_mv.worker_status_reads_per_minute",
							"Status reads per minute and API that the worker may spend following executions and jobs.",
							NULL, &dune_mv_worker_status_reads_per_minute, 30, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("dune_mv.worker_follow",
							 "Whether the worker follows executions and jobs started through the extension until they finish.",
							 NULL, &dune_mv_worker_follow, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
	if (!process_shared_preload_libraries_in_progress)
		return;
	worker_shmem_init();
	journal_init();
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = worker_process_utility;
	RegisterXactCallback(worker_xact_callback, NULL);

	worker_describe(&w, "dune_mv launcher", "dune_mv_launcher_main", (Datum) 0);
	w.bgw_restart_time = 5;
	w.bgw_notify_pid = 0;
	RegisterBackgroundWorker(&w);
}
