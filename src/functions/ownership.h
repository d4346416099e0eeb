/*-------------------------------------------------------------------------
 * ownership.h
 *	  Who may change a remote view or cancel an execution (ownership.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_OWNERSHIP_H
#define DUNE_MV_OWNERSHIP_H

#include "core/provider.h"

extern void require_view_owner(const Provider *provider, const char *full_name,
							   const char *ident, const char *shown, const char *action,
							   bool unknown_ok);
extern void require_execution_owner(const Provider *provider, const char *id);

#endif
