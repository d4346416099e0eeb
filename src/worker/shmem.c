/*-------------------------------------------------------------------------
 * shmem.c
 *	  The shared state of the launcher and the database workers: one slot
 *	  per database, under one lock, and the latches to wake them.
 *
 * Requested at shared_preload_libraries time (PostgreSQL 15's
 * shmem_request_hook), created at shmem startup; and how the extension
 * describes its background workers.  May call nothing outside worker/.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "worker/shmem.h"

WorkerShared *worker_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Ask for the shared memory and the lock. */
static void
worker_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(WorkerShared)));
	RequestNamedLWLockTranche("dune_mv", 1);
}

/* Create (or attach to) the shared state. */
static void
worker_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	worker_shared = ShmemInitStruct("dune_mv worker", sizeof(WorkerShared), &found);
	if (!found)
	{
		memset(worker_shared, 0, sizeof(WorkerShared));
		worker_shared->lock = &(GetNamedLWLockTranche("dune_mv"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* Install the hooks; called from _PG_init while preloading. */
void
worker_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = worker_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = worker_shmem_startup;
}

/*
 * The slot of a database (the caller holds the lock), or NULL; with create,
 * a free slot is taken for it when it has none (NULL when all are taken).
 */
WorkerSlot *
worker_slot(Oid dboid, bool create)
{
	WorkerSlot *free_slot = NULL;

	for (int i = 0; i < WORKER_MAX_DATABASES; i++)
	{
		WorkerSlot *slot = &worker_shared->slots[i];

		if (slot->dboid == dboid)
			return slot;
		if (slot->dboid == InvalidOid && free_slot == NULL)
			free_slot = slot;
	}
	if (!create || free_slot == NULL)
		return NULL;
	memset(free_slot, 0, sizeof(*free_slot));
	free_slot->dboid = dboid;
	return free_slot;
}

/* Wake the worker of a database, if it runs. */
void
worker_wake(Oid dboid)
{
	WorkerSlot *slot;

	if (worker_shared == NULL)
		return;
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	slot = worker_slot(dboid, false);
	if (slot != NULL && slot->latch != NULL)
		SetLatch(slot->latch);
	LWLockRelease(worker_shared->lock);
}

/* Wake the launcher, if it runs. */
void
worker_wake_launcher(void)
{
	if (worker_shared != NULL && worker_shared->launcher_latch != NULL)
		SetLatch(worker_shared->launcher_latch);
}

/*
 * Describe one of the extension's background workers: type (also its
 * name, which the caller may override), entry point function of this
 * library, main argument; it connects to a database and is not restarted
 * unless the caller says otherwise.
 */
void
worker_describe(BackgroundWorker *w, const char *type, const char *function, Datum arg)
{
	memset(w, 0, sizeof(*w));
	strlcpy(w->bgw_name, type, BGW_MAXLEN);
	strlcpy(w->bgw_type, type, BGW_MAXLEN);
	w->bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	w->bgw_start_time = BgWorkerStart_RecoveryFinished;
	w->bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(w->bgw_library_name, "dune_mv", BGW_MAXLEN);
	strlcpy(w->bgw_function_name, function, BGW_MAXLEN);
	w->bgw_main_arg = arg;
	w->bgw_notify_pid = MyProcPid;
}
