/*-------------------------------------------------------------------------
 * call.h
 *	  The lifecycle of one call to a remote API.
 *
 * A SQL function (or the background worker) fills in an ApiCall with
 * api_prepare and the provider's request builders, then hands it to
 * api_call(), which alone sends it, classifies the answer, lets read_reply
 * check the reply and say what it means, and records the call, the
 * execution or job it started, the state it read and the view it changed,
 * in one catalog scope.  Nothing else sends or records a call.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CALL_H
#define DUNE_MV_CALL_H

#include "catalog/records.h"
#include "core/provider.h"
#include "transport/http.h"

/* How api_call() ended (errors are raised). */
typedef enum CallOutcome
{
	CALL_OK,					/* 2xx, checked and recorded */
	CALL_TOLERATED,				/* a status listed in `tolerate`: not raised */
	CALL_SKIPPED				/* the overlap guard skipped it; recorded */
} CallOutcome;

typedef struct ApiCall ApiCall;

#define CALL_MAX_HEADERS 8		/* credential headers of one provider */

/* Check a 2xx reply and fill in what the call recorded (remote_id, view, ...). */
typedef void (*CallReadFn) (ApiCall *call);

struct ApiCall
{
	/* the request */
	const Provider *provider;
	const char *operation;		/* "upsert", "refresh", ...: recorded */
	const char *target;			/* the view, execution or job: recorded */
	HttpRequest req;			/* method, path, retry policy, time budget */
	json_object *body;			/* sent as JSON (owned), or NULL */
	bool		writes_remote;	/* changes remote state: refused where unrecordable */
	const char *guard_key;		/* a refresh: the view's identity (core/guard.c) */
	int64		request_id;		/* the queued request it sends, or 0 */
	const long *tolerate;		/* 0-terminated statuses returned, not raised */
	bool		record_tolerated;	/* record a tolerated answer as a call */
	CallReadFn	read_reply;
	void	   *read_arg;		/* for read_reply */
	bool		raw_reply;		/* read_reply reads the body itself: no json-c parse */

	/* what the catalog records besides the exchange */
	const char *remote_id;		/* execution or job id */
	bool		starts_execution;	/* remote_id was started by this call */
	const char *execution_view; /* ... for this view (full name) */
	bool		has_version;
	int64		version;		/* Lance version */
	ViewRecord	view;
	TrackedExecution *seen;		/* a status read, or NULL */
	const char *recorded_outcome;	/* the journal's: 'ok', 'error', 'unknown' */
	const char *error_text;		/* ... and its error */

	/* during the exchange: the credential header lines (wiped after) */
	char	   *header_lines[CALL_MAX_HEADERS];

	/* the answer */
	CallOutcome outcome;
	HttpResponse resp;
	json_object *reply;			/* a non-empty 2xx body, or NULL */
};

extern void api_prepare(ApiCall *call, const Provider *provider, const char *operation,
						const char *target, const char *method, const char *path,
						HttpRetryPolicy retry);
extern CallOutcome api_call(ApiCall *call);
extern bool api_call_begin(ApiCall *call);
extern void api_call_wipe_headers(ApiCall *call);
extern CallOutcome api_call_finish(ApiCall *call);
extern const char *api_reply_string(ApiCall *call, const char *field, bool required);
extern void api_bad_reply(ApiCall *call, const char *what) pg_attribute_noreturn();
extern char *api_request_json(const ApiCall *call);

#endif
