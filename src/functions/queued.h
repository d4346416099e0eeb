/*-------------------------------------------------------------------------
 * queued.h
 *	  Queued calls: the operations that can be queued (their preparation
 *	  and reply checks), and a call's round trip through dune_mv.requests.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_QUEUED_H
#define DUNE_MV_QUEUED_H

#include "fmgr.h"

#include "core/call.h"

/* preparation shared by the synchronous and queued functions */
extern void dune_upsert_prepare(FunctionCallInfo fcinfo, bool queued, ApiCall *call);
extern void dune_refresh_prepare(FunctionCallInfo fcinfo, ApiCall *call);
extern void lance_create_prepare(FunctionCallInfo fcinfo, ApiCall *call);
extern void lance_refresh_prepare(FunctionCallInfo fcinfo, ApiCall *call);

/* reply checks, found again by the worker by provider and operation */
extern void dune_read_upsert(ApiCall *call);
extern void dune_read_refresh(ApiCall *call);
extern void lance_read_create(ApiCall *call);
extern void lance_read_refresh(ApiCall *call);

extern void queued_call_restore(ApiCall *call, const char *provider, const char *call_json);

#endif
