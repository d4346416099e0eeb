/*-------------------------------------------------------------------------
 * catalog.h
 *	  The catalog (the dune_mv.* tables): the one module that reads and
 *	  writes it.  Every statement on a dune_mv table is in catalog/.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CATALOG_H
#define DUNE_MV_CATALOG_H

#include "core/call.h"

/* The caller's row for a view, as catalog_find_view reads it. */
typedef struct FoundView
{
	char	   *name;
	char	   *full_name;
	json_object *definition;
} FoundView;

/* One load of a result into a local table (catalog_record_load). */
typedef struct LoadRecord
{
	const Provider *provider;
	const char *target;			/* the table, schema-qualified */
	Oid			relid;
	const char *source;			/* as the caller named it */
	const char *execution_id;
	const char *mode;			/* replace, append */
	int64		rows;
	int			pages;
	json_object *columns;		/* [{name, type, column_type}] */
	double		duration_ms;
} LoadRecord;

extern bool catalog_read_only(void);
extern void catalog_record(const ApiCall *call);
extern bool catalog_find_view(const Provider *provider, const char *ident, FoundView *found);
extern char *catalog_latest_success(const Provider *provider, const char *name,
									const char *ident);
extern void catalog_record_load(const LoadRecord *load);
extern bool catalog_read_execution(const Provider *provider, const char *remote_id,
								   TrackedExecution *exec, bool *followed);
extern void catalog_purge(TimestampTz cutoff, int64 *calls, int64 *executions,
						  int64 *execution_states, int64 *requests);

/* A request claimed by the worker (catalog_claim_requests). */
typedef struct ClaimedRequest
{
	int64		id;
	char	   *role;
	char	   *provider;
	char	   *call_json;
	Datum		after;			/* bigint[], or 0 */
	char	   *operation;
} ClaimedRequest;

typedef void (*ClaimedRequestFn) (const ClaimedRequest *req, void *arg);
typedef void (*UpstreamFn) (int64 id, const char *state, const char *provider,
							const char *execution_state, bool finished, void *arg);

extern int64 catalog_queue_request(const char *provider, const char *operation,
								   const char *target, const char *call_json, Datum after);
extern void catalog_claim_requests(int limit, Datum held_back, ClaimedRequestFn fn, void *arg);
extern void catalog_upstream_states(Datum ids, UpstreamFn fn, void *arg);
extern void catalog_finish_request(int64 id, const char *state, const char *execution_id,
								   int http_status, const char *sqlstate, const char *message);
typedef void (*DueExecutionFn) (const char *role, const char *provider, const char *remote_id,
								void *arg);
extern void catalog_due_executions(int limit, int64 min_ms, int64 max_ms, Datum held_back,
								   Datum resting, DueExecutionFn fn, void *arg);
extern int64 catalog_settle_sending(void);

/* What the overlap guard needs to know of a view, across roles (catalog_guard_state). */
typedef struct GuardState
{
	bool		sending;		/* the worker is sending a queued refresh of it */
	char	   *last_state;		/* its newest execution or job's state, or NULL */
	bool		last_finished;
} GuardState;

extern Oid *catalog_view_owners(const char *provider, const char *full_name, const char *ident,
								int *n);
extern Oid *catalog_execution_owners(const char *provider, const char *remote_id, int *n);
extern void catalog_guard_state(const char *provider, const char *identity, int64 request_id,
								GuardState *out);
extern bool catalog_sending_request(int64 id, char **role, char **call_json);
extern bool catalog_fail_sending(int64 id, const char *sqlstate, const char *message);
extern int64 catalog_count_queued(void);
extern bool catalog_cancel_request(int64 id);
extern int64 catalog_resend_request(int64 id);

#endif
