/*-------------------------------------------------------------------------
 * dune_api.c
 *	  Requests to the Dune API: paths, the key header, and view names.
 *
 * Every path is under dune_mv.dune_url (https://api.dune.com/api): /v1/...
 * The key travels only in the X-Dune-Api-Key header (never ?api_key=), is
 * wiped from memory after the request, and is never recorded.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "catalog.h"
#include "dune_api.h"
#include "settings.h"

/* Fill in the request of a Dune call (the body is set by the caller). */
void
dune_prepare(ApiCall *call, const char *operation, const char *target,
			 const char *method, const char *path, HttpRetryPolicy retry)
{
	api_prepare(call, "dune", "Dune", operation, target, method, path, retry);
}

/* Send a prepared Dune call with the key header, wiping the header afterwards. */
void
dune_send(ApiCall *call)
{
	char	   *volatile key_header = NULL;
	const char *headers[1];

	if (!api_credential_set(dune_mv_dune_api_key, "dune_mv.dune_api_key"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dune_mv.dune_api_key is not set"),
				 errhint("A superuser sets it in postgresql.conf or with ALTER SYSTEM, then reloads the configuration.")));
	call->req.base_url = dune_mv_dune_url;
	PG_TRY();
	{
		key_header = api_secret_header("X-Dune-Api-Key: ", dune_mv_dune_api_key);
		headers[0] = key_header;
		call->req.headers = headers;
		call->req.nheaders = 1;
		api_send(call);
	}
	PG_FINALLY();
	{
		api_wipe(key_header);
		call->req.headers = NULL;
		call->req.nheaders = 0;
	}
	PG_END_TRY();
}

/* /v1/materialized-views/<name, percent-encoded><suffix> */
char *
dune_view_path(const char *name, const char *suffix)
{
	return psprintf("/v1/materialized-views/%s%s", http_escape_segment(name), suffix);
}

/*
 * The name to send for a view: a bare result_... name upserted earlier by
 * this role becomes the fully qualified name the API returned; anything else
 * is sent as given.
 */
char *
dune_resolve_view(const char *name)
{
	char	   *full_name;

	if (strchr(name, '.') != NULL)
		return pstrdup(name);
	full_name = catalog_view_full_name("dune", name);
	return full_name ? full_name : pstrdup(name);
}

/* The bare part of a fully qualified name (after the last dot). */
const char *
dune_short_name(const char *full_name)
{
	const char *dot = strrchr(full_name, '.');

	return dot ? dot + 1 : full_name;
}
