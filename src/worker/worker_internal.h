/*-------------------------------------------------------------------------
 * worker_internal.h
 *	  What the files of the database worker share (worker.c, follow_up.c,
 *	  load_runner.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_WORKER_INTERNAL_H
#define DUNE_MV_WORKER_INTERNAL_H

#include "core/call.h"
#include "transport/multi.h"
#include "worker/shmem.h"

/* One request (or, with request_id 0, one status read) in flight. */
typedef struct InFlight
{
	bool		used;
	int64		request_id;
	const char *polled_id;		/* a status read: the execution or job id */
	Oid			role;
	MemoryContext cxt;			/* the call and everything it holds */
	ApiCall	   *call;
	MultiTransfer transfer;
} InFlight;

extern WorkerSlot *my_slot;
extern InFlight *in_flight;
extern int	nslots;

extern void note_error(const char *message);
extern void begin_work(void);
extern void end_work(void);
extern bool extension_ready(bool *gone);
extern InFlight *free_in_flight(void);
extern int	count_in_flight(const char *provider);
extern bool run_as(Oid role, void (*fn) (void *), void *arg, char **sqlstate, char **message);
extern void begin_call(void *arg);
extern void finish_call(void *arg);
extern void release_in_flight(InFlight *f);
extern void hold_back(const Provider *provider, long wait_ms);
extern int	provider_index(const Provider *provider);
extern bool provider_held_back(const Provider *provider);
extern void follow_executions(void);
extern void settle_status_read(InFlight *f, AttemptOutcome outcome);
extern void drain_journal(void);
extern void drain_before_shutdown(void);

/* queued loads (load_runner.c) */
extern bool load_claim(int64 request_id, Oid role);
extern void loads_launch(void);
extern void loads_reap(void);
extern void loads_stop(void);
extern int	loads_running(void);

#endif
