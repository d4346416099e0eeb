/*-------------------------------------------------------------------------
 * guard.h
 *	  The overlap guard: two refreshes of one view never run at once.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_GUARD_H
#define DUNE_MV_GUARD_H

extern bool guard_try_enter(const char *provider, const char *view);
extern void guard_notice_skip(const char *operation, const char *view);

#endif
