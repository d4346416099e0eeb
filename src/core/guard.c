/*-------------------------------------------------------------------------
 * guard.c
 *	  The overlap guard: two refreshes of one view never run at once.
 *
 * A refresh takes a transaction-level advisory lock keyed on the provider
 * and the view before it sends anything (core/call.c, for a call with a
 * guard_key).  When another session holds it (a pg_cron run still in flight,
 * say), the call does not wait and does not fail: it is recorded with
 * outcome 'skipped' and returns a row without an execution or job id.
 *
 * The lock is cluster-wide (the remote view is the same whichever database
 * refreshes it) and lives in a key space of its own (the fourth field of the
 * advisory lock tag is GUARD_LOCK_SPACE, not the 1 or 2 that
 * pg_advisory_lock() uses), so no SQL can take it and stall refreshes; the
 * other two fields hold a 64-bit hash of provider and view.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "core/guard.h"

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

/* Tell the caller that a run was skipped (core/call.c records it). */
void
guard_notice_skip(const char *operation, const char *view)
{
	ereport(NOTICE,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("skipped %s of \"%s\": another one is in progress", operation, view),
			 errdetail("The run was recorded in dune_mv.calls with outcome 'skipped'.")));
}
