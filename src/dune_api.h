/*-------------------------------------------------------------------------
 * dune_api.h
 *	  Requests to the Dune API.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_DUNE_API_H
#define DUNE_MV_DUNE_API_H

#include "api.h"

extern void dune_prepare(ApiCall *call, const char *operation, const char *target,
						 const char *method, const char *path, HttpRetryPolicy retry);
extern void dune_send(ApiCall *call);
extern char *dune_view_path(const char *name, const char *suffix);
extern char *dune_resolve_view(const char *name);
extern const char *dune_short_name(const char *full_name);

#endif
