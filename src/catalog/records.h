/*-------------------------------------------------------------------------
 * records.h
 *	  What the catalog records about a view and an execution: plain structs
 *	  that providers and SQL functions fill in and catalog/ writes.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_RECORDS_H
#define DUNE_MV_RECORDS_H

#include "datatype/timestamp.h"

#include "core/json_util.h"

/* What a call does to the caller's row for its view (dune_mv.remote_views). */
typedef enum ViewChange
{
	VIEW_UNCHANGED,
	VIEW_DEFINE,				/* upsert or create: the definition is replaced */
	VIEW_ACTIVITY,				/* refresh and the like: insert, or merge `updates` */
	VIEW_UPDATE,				/* merge `updates` into existing rows only */
	VIEW_FORGET					/* the remote view is gone */
} ViewChange;

/*
 * A view as the catalog keeps it.  ident is the provider's identity of the
 * view, the same whatever spelling named it (Dune: the bare name; Lance: the
 * id's names joined with U+001F); definition holds the provider-specific
 * fields (jsonb).
 */
typedef struct ViewRecord
{
	ViewChange	change;
	const char *name;
	const char *full_name;
	const char *ident;
	json_object *definition;	/* VIEW_DEFINE, and a new row of VIEW_ACTIVITY */
	json_object *updates;		/* merged into an existing row, or NULL */
	const char *last_execution_id;
} ViewRecord;

/* A timestamp that the API may or may not have sent. */
typedef struct TrackedTime
{
	bool		known;
	TimestampTz value;
} TrackedTime;

/* What one status reply said about an execution or job. */
typedef struct TrackedExecution
{
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
	json_object *error;			/* the error object, or NULL */
	json_object *reply;			/* the whole reply, or NULL */
} TrackedExecution;

#endif
