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

extern bool catalog_read_only(void);
extern void catalog_record(const ApiCall *call);
extern bool catalog_find_view(const Provider *provider, const char *ident, FoundView *found);
extern void catalog_purge(TimestampTz cutoff, int64 *calls, int64 *executions,
						  int64 *execution_states);

#endif
