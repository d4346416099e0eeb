/*-------------------------------------------------------------------------
 * poll.h
 *	  Waiting for a Dune execution or a Lance job: polling with backoff.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_POLL_H
#define DUNE_MV_POLL_H

#include "datatype/timestamp.h"

#include "tracking.h"

/* What a wait polls: one execution or job, read by one status call. */
typedef struct PollTarget
{
	const char *what;			/* "Dune execution", "Lance job": for messages */
	const char *hint;			/* hint of the timeout errors */
	const char *id;
	TrackingSendFn send;		/* dune_send, lance_send */
	void		(*prepare) (ApiCall *call, const char *id);
	/* read a successful reply into exec, record the call and the state */
	void		(*record) (ApiCall *call, const char *id, TrackedExecution *exec);
} PollTarget;

extern void poll_once(const PollTarget *target, TrackedExecution *exec);
extern void poll_until_finished(const PollTarget *target, Interval *timeout,
								TrackedExecution *exec);

#endif
