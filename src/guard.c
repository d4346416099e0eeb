/*-------------------------------------------------------------------------
 * guard.c
 *	  The overlap guard: two refreshes of one view never run at once.
 *
 * A refresh takes a transaction-level advisory lock keyed on the provider
 * and the view before it sends anything.  When another session holds it (a
 * pg_cron run still in flight, say), the call does not wait and does not
 * fail: it records a call with outcome 'skipped' and returns a row without
 * an execution or job id.
 *
 * The lock is cluster-wide (the remote view is the same whichever database
 * refreshes it) and lives in a key space of its own (the fourth field of the
 * advisory lock tag is GUARD_LOCK_SPACE, not the 1 or 2 that
 * pg_advisory_lock() uses), so no SQL can take it and stall refreshes; the
 * other two fields hold a 64-bit hash of provider and view.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "catalog.h"
#include "guard.h"

#define GUARD_LOCK_SPACE 0x444d	/* "DM"; pg_advisory_*() use 1 and 2 */

/* Try to take the view's refresh lock for this transaction; false when taken. */
bool
guard_try_enter(const char *provider, const char *view)
{
	LOCKTAG		tag;
	uint64		key = hash_bytes_extended((const unsigned char *) view, strlen(view),
										  hash_bytes((const unsigned char *) provider,
													 strlen(provider)));

	SET_LOCKTAG_ADVISORY(tag, InvalidOid, (uint32) (key >> 32), (uint32) key,
						 GUARD_LOCK_SPACE);
	return LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL;
}

/* Record a run skipped because another refresh of the view was in progress. */
void
guard_record_skip(const char *provider, const char *operation, const char *view)
{
	ApiCall		call;

	memset(&call, 0, sizeof(call));
	call.provider = provider;
	call.operation = operation;
	call.target = view;
	catalog_record_call(&call, "skipped");
	ereport(NOTICE,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("skipped %s of \"%s\": another one is in progress", operation, view),
			 errdetail("The run was recorded in dune_mv.calls with outcome 'skipped'.")));
}
