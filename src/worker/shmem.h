/*-------------------------------------------------------------------------
 * shmem.h
 *	  What the launcher, the database workers and the backends share: one
 *	  slot per database that has (or had) a worker.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_WORKER_SHMEM_H
#define DUNE_MV_WORKER_SHMEM_H

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

#define WORKER_MAX_DATABASES 64
#define WORKER_ERROR_LEN 256

typedef struct WorkerSlot
{
	Oid			dboid;			/* InvalidOid: free */
	bool		start_requested;	/* the launcher should (re)start it */
	bool		stop_requested; /* DROP EXTENSION / DROP DATABASE: exit now */
	bool		no_extension;	/* probed: the extension is not there */
	pid_t		pid;			/* 0 when not running */
	Latch	   *latch;			/* the worker's, while running */
	int64		queued;
	int			in_flight;
	TimestampTz rate_limited_until;
	char		last_error[WORKER_ERROR_LEN];
	TimestampTz last_error_at;
} WorkerSlot;

typedef struct WorkerShared
{
	LWLock	   *lock;
	Latch	   *launcher_latch;
	pid_t		launcher_pid;
	WorkerSlot	slots[WORKER_MAX_DATABASES];
} WorkerShared;

extern WorkerShared *worker_shared;

extern void worker_shmem_init(void);
extern WorkerSlot *worker_slot(Oid dboid, bool create);
extern void worker_wake(Oid dboid);
extern void worker_wake_launcher(void);

struct BackgroundWorker;
extern void worker_describe(struct BackgroundWorker *w, const char *type, const char *function,
							Datum arg);

#endif
