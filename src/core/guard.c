/*-------------------------------------------------------------------------
 * guard.c
 *	  The overlap guard: a view is not refreshed again while its last
 *	  refresh is still running remotely.
 *
 * A refresh (a call with a guard_key: the view's full identity, the full
 * name when it is known) is skipped, recorded with outcome 'skipped' and
 * returning no execution or job id, when any role's last refresh of the
 * same view is still running, as far as can be known without waiting:
 *	- a refresh of it is being sent or awaits its caller's commit (an entry
 *	  of the shared-memory journal, worker/journal.c: not answered yet, or
 *	  answered with an execution or job whose state is then read once);
 *	- the worker is sending a queued refresh of it (dune_mv.requests);
 *	- the newest execution or job of it in the catalog was last seen in a
 *	  state that is not final (the worker keeps these states current).
 * SET dune_mv.refresh_while_running = on refreshes anyway.
 *
 * Nothing is held while a refresh runs or while its caller's transaction
 * stays open: a lock keyed on the view is taken only from the check until
 * the call's journal entry is open (microseconds), so two sessions cannot
 * both pass the check, and no role's open transaction holds up another
 * role's refresh (the catalog rows a refresh writes are the role's own).  The lock
 * lives in a key space of its own (the fourth field of the advisory lock
 * tag is GUARD_LOCK_SPACE, not the 1 or 2 of pg_advisory_lock()).
 * May call core/call.c, core/status.c, catalog/ and worker/journal.c.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/guc.h"

#include "catalog/catalog.h"
#include "core/call.h"
#include "core/guard.h"
#include "core/status.h"
#include "worker/journal.h"

#define GUARD_LOCK_SPACE 0x444d	/* "DM"; pg_advisory_*() use 1 and 2 */

bool		dune_mv_refresh_while_running = false;

static LOCKTAG held_tag;
static bool held = false;

/* Define dune_mv.refresh_while_running (called from settings_init). */
void
guard_define_settings(void)
{
	DefineCustomBoolVariable("dune_mv.refresh_while_running",
							 "Refresh a view even while its last refresh is still running.",
							 "By default such a refresh is skipped and recorded as skipped.",
							 &dune_mv_refresh_while_running, false, PGC_USERSET, 0,
							 NULL, NULL, NULL);
}

/* Take the lock of view identity's short part, waiting (it is held for microseconds only). */
static void
lock_view(const char *provider, const char *identity)
{
	const char *part = view_last_part(identity);
	uint64		key = hash_bytes_extended((const unsigned char *) part, strlen(part),
										  hash_bytes((const unsigned char *) provider,
													 strlen(provider)));

	SET_LOCKTAG_ADVISORY(held_tag, InvalidOid, (uint32) (key >> 32), (uint32) key,
						 GUARD_LOCK_SPACE);
	(void) LockAcquire(&held_tag, ExclusiveLock, false, false);
	held = true;
}

/* Release the lock taken by guard_enter, if any (once the call's journal entry is open). */
void
guard_release(void)
{
	/* (after an error its transaction's end released it already) */
	if (held && LockHeldByMe(&held_tag, ExclusiveLock))
		LockRelease(&held_tag, ExclusiveLock, false);
	held = false;
}

/* True when execution or job remote_id is still running, read now from the API. */
static bool
running_now(const Provider *provider, const char *remote_id)
{
	ApiCall		status;
	TrackedExecution exec = {0};

	status_prepare(&status, provider, remote_id, &exec);
	(void) api_call(&status);
	return !exec.is_finished;
}

/*
 * Whether another refresh of the call's view is running (see the file
 * header); *why says which.
 */
static bool
refresh_running(const ApiCall *call, const char **why)
{
	JournalSeen seen;
	GuardState	state;

	if (journal_find_guarded(call->provider->name, call->guard_key, GetUserId(), &seen))
	{
		/*
		 * Another role's uncommitted refresh is judged by its execution's
		 * state, read now; this role's own would hold its view row until
		 * that transaction ends, so it counts as running until then.
		 */
		*why = seen.sending ? "a refresh of it is being sent" :
			"a refresh of it awaits its caller's commit";
		if (seen.sending || seen.mine_open ||
			(seen.remote_id[0] != '\0' && running_now(call->provider, seen.remote_id)))
			return true;
	}
	/* its executions or jobs are recorded under the view's full name, when the call knows it */
	catalog_guard_state(call->provider->name,
						call->view.full_name ? call->view.full_name : call->guard_key,
						call->request_id, &state);
	if (state.sending)
	{
		*why = "the worker is sending a queued refresh of it";
		return true;
	}
	*why = "its last execution or job has not finished";
	return state.last_state != NULL && !state.last_finished;
}

/*
 * The guard's check before a refresh: false when the view's last refresh
 * is still running (the call is then skipped).  When true, the view's lock
 * is held until guard_release.
 */
bool
guard_enter(const ApiCall *call)
{
	const char *why = NULL;

	if (dune_mv_refresh_while_running)
		return true;
	lock_view(call->provider->name, call->guard_key);
	if (!refresh_running(call, &why))
		return true;
	guard_release();
	ereport(NOTICE,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("skipped %s of \"%s\": %s", call->operation, call->target, why),
			 errdetail("The run was recorded in dune_mv.calls with outcome 'skipped'."),
			 errhint("SET dune_mv.refresh_while_running = on refreshes it anyway.")));
	return false;
}
