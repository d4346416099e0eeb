/*-------------------------------------------------------------------------
 * journal.h
 *	  The journal of calls in flight that change remote state.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_JOURNAL_H
#define DUNE_MV_JOURNAL_H

#include "datatype/timestamp.h"

#define JOURNAL_SIZE 8192			/* entries, for the whole server (about 7 MB) */
#define JOURNAL_PER_BACKEND 4096	/* open at once in one transaction */

typedef enum JournalState
{
	JOURNAL_FREE = 0,
	JOURNAL_OPEN,				/* its backend's transaction may still record it */
	JOURNAL_ABANDONED			/* the worker records it */
} JournalState;

typedef struct JournalEntry
{
	JournalState state;
	Oid			dboid;
	Oid			role;
	TimestampTz opened_at;
	char		provider[16];
	char		operation[24];
	char		target[192];
	char		guard[192];		/* the view's identity, for a refresh (core/guard.c) */
	char		method[8];
	char		path[384];
	bool		starts_execution;
	bool		answered;
	bool		ended;			/* the call has returned or raised */
	int			http_status;
	char		remote_id[129];
	char		error[192];
} JournalEntry;

extern void journal_init(void);
extern int	journal_open(const JournalEntry *entry);
extern void journal_answer(int index, int http_status, const char *remote_id,
						   bool starts_execution, const char *error);
extern bool journal_take(Oid dboid, JournalEntry *out);
extern int	journal_open_count(Oid dboid);

/* What the journal knows of a refresh of one view in flight (journal_find_guarded). */
typedef struct JournalSeen
{
	bool		sending;		/* one is being sent now */
	bool		mine_open;		/* one of role's awaits its transaction's commit */
	char		remote_id[129]; /* else: the execution or job of the newest other one, or "" */
} JournalSeen;

extern bool journal_find_guarded(const char *provider, const char *guard, Oid role,
								 JournalSeen *seen);

#endif
