/*-------------------------------------------------------------------------
 * lance_views.h
 *	  What the Lance SQL functions share: a view's catalog name, and a call
 *	  prepared on a view.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_LANCE_VIEWS_H
#define DUNE_MV_LANCE_VIEWS_H

#include "core/call.h"
#include "providers/lance.h"

extern char *lance_view_target(const LanceId *id, char **kind);
extern void lance_view_prepare(ApiCall *call, const LanceId *id, const char *operation,
							   const char *target, const char *path, HttpRetryPolicy retry);

#endif
