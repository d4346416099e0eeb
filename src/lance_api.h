/*-------------------------------------------------------------------------
 * lance_api.h
 *	  Requests to the Lance Namespace (LanceDB) API.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_LANCE_API_H
#define DUNE_MV_LANCE_API_H

#include "fmgr.h"

#include "api.h"

/* A checked Lance identifier (namespace path, then the object's name; no name: the root). */
typedef struct LanceId
{
	Datum		array;			/* the text[] as given */
	int			nnames;
	char	  **names;			/* in the database encoding */
	const char *delimiter;
	char	   *joined;			/* names joined with the delimiter */
	char	   *segment;		/* the percent-encoded path segment */
	char	   *key;			/* names joined with U+001F: one per view, any delimiter */
} LanceId;

extern void lance_id_arg(FunctionCallInfo fcinfo, int idarg, int delimarg, bool is_namespace,
						 LanceId *id);
extern char *lance_view_target(const LanceId *id, char **kind);
extern char *lance_path(const LanceId *id, const char *collection, const char *action);
extern char *lance_path_query(const LanceId *id, const char *collection, const char *action,
							  const char *query);
extern void lance_prepare(ApiCall *call, const char *operation, const char *target,
						  const char *method, const char *path, HttpRetryPolicy retry);
extern void lance_send(ApiCall *call);

#endif
