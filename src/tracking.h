/*-------------------------------------------------------------------------
 * tracking.h
 *	  The executions/jobs catalog (dune_mv.executions, execution_states),
 *	  shared by the Dune and Lance clients.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_TRACKING_H
#define DUNE_MV_TRACKING_H

#include "datatype/timestamp.h"

#include "api.h"

/* A timestamp that the API may or may not have sent. */
typedef struct TrackedTime
{
	bool		known;
	TimestampTz value;
} TrackedTime;

/* What one status reply said about an execution or job. */
typedef struct TrackedExecution
{
	const char *provider;		/* "dune" or "lance" */
	const char *remote_id;		/* execution or job id */
	const char *view_name;		/* the view's full name, or NULL if unknown */
	const char *state;			/* verbatim from the API */
	bool		is_finished;
	TrackedTime submitted_at;
	TrackedTime started_at;
	TrackedTime ended_at;
	TrackedTime cancelled_at;
	const char *cost_credits;	/* a JSON number's text, or NULL */
	const char *error_type;
	const char *error_message;
	json_object *reply;			/* the whole reply, or NULL */
} TrackedExecution;

/* Sends an ApiCall, raising on failure (dune_send, lance_send). */
typedef void (*TrackingSendFn) (ApiCall *call);

extern void tracking_record_start(const char *provider, const char *remote_id,
								  const char *view_name, const char *started_by);
extern void tracking_record_seen(const TrackedExecution *exec);
extern void tracking_forget_view(const char *provider, const char *full_name);
extern int	tracking_send_catching(TrackingSendFn send, ApiCall *call,
								   const int *sqlstates);
extern bool tracking_parse_time(const char *text, TrackedTime *out);

#endif
