/*-------------------------------------------------------------------------
 * worker.h
 *	  The background worker, as backends and _PG_init see it.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_WORKER_H
#define DUNE_MV_WORKER_H

#include "datatype/timestamp.h"

#define WORKER_STATUS_MAX 64

/* A copy of one database slot, for dune_mv_worker_status. */
typedef struct WorkerSlotView
{
	Oid			dboid;
	int			pid;
	int64		queued;
	int			in_flight;
	TimestampTz rate_limited_until;
	char		last_error[256];
	TimestampTz last_error_at;
} WorkerSlotView;

extern int	dune_mv_worker_max_in_flight;
extern int	dune_mv_worker_max_in_flight_per_provider;
extern int	dune_mv_worker_status_reads_per_minute;
extern bool dune_mv_worker_follow;

extern void worker_init(void);
extern void worker_wake_at_commit(void);
extern void worker_start_at_commit(void);
extern bool worker_running(Oid dboid);
extern int	worker_status(WorkerSlotView *out, int max);

#endif
