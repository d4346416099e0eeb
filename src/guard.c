/*-------------------------------------------------------------------------
 * guard.c
 *	  The overlap guard: two refreshes of one view never run at once.
 *
 * A refresh takes a transaction-level advisory lock keyed on the provider
 * and the view before it sends anything.  When another session holds it (a
 * pg_cron run still in flight, say), the call does not wait and does not
 * fail: it records a call with outcome 'skipped' and returns a row without
 * an execution or job id.  The lock lives in the dune_mv key space: the
 * first key is a fixed tag, the second a hash of provider and view.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"

#include "catalog.h"
#include "guard.h"

#define GUARD_LOCK_TAG 0x64756e65	/* "dune" */

/* Try to take the view's refresh lock for this transaction; false when taken. */
bool
guard_try_enter(const char *provider, const char *view)
{
	LOCKTAG		tag;
	uint32		key = hash_bytes((const unsigned char *) view, strlen(view)) ^
		hash_bytes((const unsigned char *) provider, strlen(provider));

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, GUARD_LOCK_TAG, key, 2);
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
			(errmsg("skipped %s of \"%s\": another one is in progress", operation, view),
			 errdetail("The run was recorded in dune_mv.calls with outcome 'skipped'.")));
}
