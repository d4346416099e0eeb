/*-------------------------------------------------------------------------
 * load.h
 *	  A Dune result into a local table (functions/load.c), for dune_mv_load,
 *	  dune_mv_load_async (functions/queued.c) and the queued load's runner
 *	  (worker/load_runner.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_LOAD_H
#define DUNE_MV_LOAD_H

#include "fmgr.h"
#include "nodes/primnodes.h"

extern void load_args(FunctionCallInfo fcinfo, char **source, char **target, char **mode);
extern Oid	load_check(const char *source, const char *target, const char *mode, RangeVar **rv);
extern int64 load_run(const char *source, const char *target, const char *mode,
					  char **execution_id);

#endif
