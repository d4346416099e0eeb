/*-------------------------------------------------------------------------
 * guard.h
 *	  The overlap guard: two refreshes of one view never run at once.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_GUARD_H
#define DUNE_MV_GUARD_H

#include "api.h"

extern bool guard_try_enter(const char *provider, const char *view);
extern void guard_record_skip(const char *provider, const char *operation, const char *view);

#endif
