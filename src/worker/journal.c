/*-------------------------------------------------------------------------
 * journal.c
 *	  Records that survive whatever follows a request: a shared-memory
 *	  journal of the calls in flight that change remote state.
 *
 * A backend opens an entry just before such a request leaves (api_call),
 * and fills in the answer when one comes.  When the backend's transaction
 * commits, its own catalog rows hold the call and the entry is dropped.
 * When the transaction (or the subtransaction that made the call) aborts
 * instead, whatever the reason (a rollback, a failing trigger statement, a
 * rolled-back savepoint, an exception block, a cancel or statement_timeout
 * after the request left, a transport error, a terminated backend), the
 * entry is handed to this database's worker, which writes the call and the
 * execution or job it started in its own transaction, as the calling role:
 * 'ok' with its ids, 'error' with the error, or 'unknown' (sent, no answer
 * seen).  The one limit: a crash of the server (any backend killed with
 * SIGKILL makes PostgreSQL reinitialize shared memory) loses the entries
 * of the calls in flight at that instant.  May call worker/shmem.c and
 * core/provider.h (view names).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "core/provider.h"
#include "worker/journal.h"
#include "worker/shmem.h"

static JournalEntry *journal = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* This backend's open entries (indexes), with the subtransaction that opened each. */
static int	mine[JOURNAL_PER_BACKEND];
static SubTransactionId mine_subxid[JOURNAL_PER_BACKEND];
static int	nmine = 0;
static int	next_free = 0;		/* where this backend looks for a free entry first */

/* Ask for the journal's shared memory. */
static void
journal_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(JournalEntry) * JOURNAL_SIZE));
}

/* Create (or attach to) the journal. */
static void
journal_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	journal = ShmemInitStruct("dune_mv journal", sizeof(JournalEntry) * JOURNAL_SIZE, &found);
	if (!found)
		memset(journal, 0, sizeof(JournalEntry) * JOURNAL_SIZE);
	LWLockRelease(AddinShmemInitLock);
}

/* Hand this backend's entries opened at or below subxid to the worker (all with 0). */
static void
abandon_mine(SubTransactionId subxid)
{
	int			kept = 0;
	bool		any = false;

	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < nmine; i++)
	{
		if (subxid == 0 || mine_subxid[i] >= subxid)
		{
			journal[mine[i]].state = JOURNAL_ABANDONED;
			any = true;
		}
		else
		{
			mine[kept] = mine[i];
			mine_subxid[kept++] = mine_subxid[i];
		}
	}
	nmine = kept;
	LWLockRelease(worker_shared->lock);
	if (any)
		worker_wake(MyDatabaseId);
}

/* Drop this backend's entries: its transaction committed, its own rows hold them. */
static void
release_mine(void)
{
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < nmine; i++)
		journal[mine[i]].state = JOURNAL_FREE;
	nmine = 0;
	LWLockRelease(worker_shared->lock);
}

/* At the end of a transaction: commit drops the entries, abort hands them over. */
static void
journal_xact_callback(XactEvent event, void *arg)
{
	if (nmine == 0)
		return;
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PREPARE)
		release_mine();
	else if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		abandon_mine(0);
}

/* At the end of a subtransaction: its entries move to the parent, or are handed over. */
static void
journal_subxact_callback(SubXactEvent event, SubTransactionId subxid,
						 SubTransactionId parent, void *arg)
{
	if (nmine == 0)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
		abandon_mine(subxid);
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
		for (int i = 0; i < nmine; i++)
			if (mine_subxid[i] == subxid)
				mine_subxid[i] = parent;
}

/* Install the hooks; called from worker_init while preloading. */
void
journal_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = journal_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = journal_shmem_startup;
	RegisterXactCallback(journal_xact_callback, NULL);
	RegisterSubXactCallback(journal_subxact_callback, NULL);
}

/*
 * Open an entry for a call about to leave (fields filled by the caller
 * through the returned pointer before the request is sent); -1 when there
 * is no journal (not preloaded).  A full journal refuses the call before
 * anything is sent.
 */
int
journal_open(const JournalEntry *entry)
{
	int			found = -1;

	if (journal == NULL || worker_shared == NULL)
		return -1;
	if (nmine >= JOURNAL_PER_BACKEND)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many calls that change remote state in one transaction (%d)",
						JOURNAL_PER_BACKEND),
				 errhint("Commit between them, or queue them with the *_async functions.")));
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int n = 0; n < JOURNAL_SIZE && found < 0; n++)
	{
		int			i = (next_free + n) % JOURNAL_SIZE;

		if (journal[i].state == JOURNAL_FREE)
			found = i;
	}
	next_free = (found + 1) % JOURNAL_SIZE;
	if (found >= 0)
	{
		journal[found] = *entry;
		journal[found].state = JOURNAL_OPEN;
		journal[found].dboid = MyDatabaseId;
		journal[found].role = GetUserId();
		journal[found].opened_at = GetCurrentTimestamp();
	}
	LWLockRelease(worker_shared->lock);
	if (found < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("the journal of calls in flight is full (%d calls)", JOURNAL_SIZE),
				 errdetail("The call was not sent: its record could not be kept whatever follows it."),
				 errhint("Try again in a moment.")));
	mine[nmine] = found;
	mine_subxid[nmine++] = GetCurrentSubTransactionId();
	return found;
}

/* Note what came back for an open entry (status, ids, error). */
void
journal_answer(int index, int http_status, const char *remote_id, bool starts_execution,
			   const char *error)
{
	JournalEntry *e;

	if (index < 0)
		return;
	e = &journal[index];
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	e->answered = http_status > 0;
	e->ended = true;
	e->http_status = http_status;
	e->starts_execution = starts_execution;
	if (remote_id)
		strlcpy(e->remote_id, remote_id, sizeof(e->remote_id));
	if (error)
		strlcpy(e->error, error, sizeof(e->error));
	LWLockRelease(worker_shared->lock);
}

/*
 * For the worker: take the first entry of its database handed over, copying
 * it out and freeing it; false when there is none.
 */
bool
journal_take(Oid dboid, JournalEntry *out)
{
	bool		taken = false;

	if (journal == NULL)
		return false;
	LWLockAcquire(worker_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < JOURNAL_SIZE && !taken; i++)
		if (journal[i].state == JOURNAL_ABANDONED && journal[i].dboid == dboid)
		{
			*out = journal[i];
			journal[i].state = JOURNAL_FREE;
			taken = true;
		}
	LWLockRelease(worker_shared->lock);
	return taken;
}

/* True when identities a and b name the same view (a bare name matches a full one's last part). */
static bool
same_view(const char *a, const char *b)
{
	bool		bare_a = strchr(a, '.') == NULL;
	bool		bare_b = strchr(b, '.') == NULL;

	if (strcmp(a, b) == 0)
		return true;
	return bare_a != bare_b && strcmp(view_last_part(a), view_last_part(b)) == 0;
}

/*
 * Whether a refresh of view guard (provider's) is in the journal: being
 * sent, or sent by a transaction that has not committed (or aborted and not
 * yet recorded by the worker); *seen says which, role's own open ones apart.
 */
bool
journal_find_guarded(const char *provider, const char *guard, Oid role, JournalSeen *seen)
{
	bool		found = false;
	TimestampTz newest = 0;

	if (journal == NULL || worker_shared == NULL)
		return false;
	memset(seen, 0, sizeof(*seen));
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	for (int i = 0; i < JOURNAL_SIZE && !seen->sending; i++)
	{
		JournalEntry *e = &journal[i];

		if (e->state == JOURNAL_FREE || e->guard[0] == '\0' ||
			strcmp(e->provider, provider) != 0 || !same_view(e->guard, guard))
			continue;
		if (!e->ended)
			seen->sending = found = true;
		else if (e->remote_id[0] == '\0')
			continue;			/* it started nothing that can be known */
		else if (e->state == JOURNAL_OPEN && e->role == role)
			seen->mine_open = found = true;
		else if (!found || e->opened_at > newest)
		{
			strlcpy(seen->remote_id, e->remote_id, sizeof(seen->remote_id));
			newest = e->opened_at;
			found = true;
		}
	}
	LWLockRelease(worker_shared->lock);
	return found;
}

/* How many entries of database dboid are still open (their transactions not ended). */
int
journal_open_count(Oid dboid)
{
	int			n = 0;

	if (journal == NULL)
		return 0;
	LWLockAcquire(worker_shared->lock, LW_SHARED);
	for (int i = 0; i < JOURNAL_SIZE; i++)
		if (journal[i].state == JOURNAL_OPEN && journal[i].dboid == dboid)
			n++;
	LWLockRelease(worker_shared->lock);
	return n;
}
