/*-------------------------------------------------------------------------
 * api.h
 *	  One call to a remote API: what was sent, what came back, and what the
 *	  catalog records about it.  Shared by the Dune and Lance clients.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_API_H
#define DUNE_MV_API_H

#include "json_util.h"

#include "http.h"

typedef struct ApiCall
{
	/* what the catalog records */
	const char *provider;		/* "dune" or "lance" */
	const char *operation;		/* "upsert", "refresh", ... */
	const char *target;			/* the view, execution or job */
	const char *remote_id;		/* execution or job id, once known */
	int64		version;		/* Lance version, when has_version */
	bool		has_version;

	/* the exchange */
	HttpRequest req;
	json_object *body;			/* sent body (owned), or NULL */
	HttpResponse resp;
	json_object *reply;			/* parsed 2xx reply object, or NULL if empty */
} ApiCall;

extern bool api_credential_set(const char *value, const char *setting);
extern char *api_secret_header(const char *prefix, const char *secret);
extern void api_wipe(char *s);
extern void api_prepare(ApiCall *call, const char *provider, const char *service,
						const char *operation, const char *target, const char *method,
						const char *path, HttpRetryPolicy retry);
extern void api_send(ApiCall *call);
extern const char *api_reply_string(ApiCall *call, const char *field, bool required);
extern char *api_request_json(const ApiCall *call);

#endif
