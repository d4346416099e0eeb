/*-------------------------------------------------------------------------
 * lance.h
 *	  The Lance Namespace (LanceDB) API: its descriptor, identifiers and
 *	  paths.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_LANCE_H
#define DUNE_MV_LANCE_H

#include "fmgr.h"

#include "core/provider.h"

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

extern const Provider lance_provider;

extern void lance_id_arg(FunctionCallInfo fcinfo, int idarg, int delimarg, bool is_namespace,
						 LanceId *id);
extern char *lance_path(const LanceId *id, const char *collection, const char *action);
extern char *lance_path_query(const LanceId *id, const char *collection, const char *action,
							  const char *query);

#endif
