/*-------------------------------------------------------------------------
 * guard.h
 *	  The overlap guard: a view is not refreshed again while its last
 *	  refresh is still running remotely.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_GUARD_H
#define DUNE_MV_GUARD_H

struct ApiCall;

extern bool dune_mv_refresh_while_running;

extern void guard_define_settings(void);
extern bool guard_enter(const struct ApiCall *call);
extern void guard_release(void);

#endif
