/*-------------------------------------------------------------------------
 * tracking.c
 *	  The executions/jobs catalog, shared by the Dune and Lance clients.
 *
 * dune_mv.executions holds one row per execution (Dune) or job (Lance) and
 * role: the call that started it inserts it with state NULL ("not polled
 * yet"), and every status reply updates it; dune_mv.execution_states gets a
 * row each time the state read differs from the one before, so the history
 * of states with the times they were seen survives.  An id first met through
 * a status call is recorded as started_by 'observed'.
 *
 * As in catalog.c, every statement runs through catalog_enter/catalog_exec as
 * the catalog's owner with a safe search_path, and touches only rows of the
 * calling role.  dune_mv_purge is here too: it deletes only the caller's rows.
 *
 * tracking_send_catching() runs a send inside a subtransaction and turns the
 * listed SQLSTATEs into a return value (used for 429 while waiting and for
 * 404 when looking a view up); tracking_parse_time() reads RFC 3339.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include <ctype.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "rows.h"
#include "settings.h"
#include "tracking.h"

PG_FUNCTION_INFO_V1(dune_mv_purge);

static CatalogStatement insert_start = {
	"INSERT INTO dune_mv.executions AS e (role, provider, remote_id, view_name, started_by)"
	" VALUES ($1, $2, $3, $4, $5)"
	" ON CONFLICT (role, provider, remote_id) DO UPDATE"
	" SET view_name = coalesce(excluded.view_name, e.view_name),"
	" started_by = excluded.started_by",
	5, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID}
};

/*
 * Upsert what a status reply said, then append a state row when the state
 * differs from the one recorded before (all parts see the same snapshot, so
 * "prev" is the state before this statement).
 */
static CatalogStatement record_seen = {
	"WITH prev AS (SELECT state FROM dune_mv.executions"
	" WHERE role = $1 AND provider = $2 AND remote_id = $3),"
	" up AS (INSERT INTO dune_mv.executions AS e (role, provider, remote_id, view_name,"
	" started_by, state, is_finished, submitted_at, started_at, ended_at, cancelled_at,"
	" cost_credits, error_type, error_message, last_seen_at, reply)"
	" VALUES ($1, $2, $3, coalesce($4, (SELECT v.full_name FROM dune_mv.views v"
	" WHERE v.role = $1 AND v.provider = $2 AND v.last_execution_id = $3 LIMIT 1)),"
	" 'observed', $5, $6, $7, $8, $9, $10, $11::numeric, $12, $13, clock_timestamp(), $14)"
	" ON CONFLICT (role, provider, remote_id) DO UPDATE SET"
	" view_name = coalesce(e.view_name, excluded.view_name),"
	" state = coalesce(excluded.state, e.state), is_finished = excluded.is_finished,"
	" submitted_at = coalesce(excluded.submitted_at, e.submitted_at),"
	" started_at = coalesce(excluded.started_at, e.started_at),"
	" ended_at = coalesce(excluded.ended_at, e.ended_at),"
	" cancelled_at = coalesce(excluded.cancelled_at, e.cancelled_at),"
	" cost_credits = coalesce(excluded.cost_credits, e.cost_credits),"
	" error_type = excluded.error_type, error_message = excluded.error_message,"
	" last_seen_at = excluded.last_seen_at, reply = excluded.reply"
	" RETURNING id, state, last_seen_at)"
	" INSERT INTO dune_mv.execution_states (execution_id, role, provider, remote_id, state, seen_at)"
	" SELECT up.id, $1, $2, $3, up.state, up.last_seen_at FROM up"
	" WHERE up.state IS NOT NULL AND up.state IS DISTINCT FROM (SELECT state FROM prev)",
	14, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID}
};

static CatalogStatement delete_view = {
	"DELETE FROM dune_mv.views WHERE role = $1 AND provider = $2 AND full_name = $3",
	3, {NAMEOID, TEXTOID, TEXTOID}
};

/*
 * The caller's rows older than $2, except each known view's latest call (by
 * bare or full name) and latest execution (its last_execution_id, and the
 * newest row naming it).  Calls by execution id (status, cancel) and list
 * calls go by age alone.
 */
static CatalogStatement purge_rows = {
	"WITH keep_calls AS (SELECT DISTINCT ON (v.provider, v.name) c.id"
	" FROM dune_mv.views v JOIN dune_mv.calls c ON c.role = v.role"
	" AND c.provider = v.provider AND c.target IN (v.name, v.full_name)"
	" WHERE v.role = $1 ORDER BY v.provider, v.name, c.id DESC),"
	" keep_executions AS (SELECT e.id FROM dune_mv.views v JOIN dune_mv.executions e"
	" ON e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id"
	" WHERE v.role = $1"
	" UNION SELECT max(e.id) FROM dune_mv.views v JOIN dune_mv.executions e"
	" ON e.role = v.role AND e.provider = v.provider AND e.view_name = v.full_name"
	" WHERE v.role = $1 GROUP BY v.provider, v.name),"
	" old_executions AS (SELECT id FROM dune_mv.executions WHERE role = $1"
	" AND created_at < $2 AND id NOT IN (SELECT id FROM keep_executions)),"
	" del_states AS (DELETE FROM dune_mv.execution_states"
	" WHERE execution_id IN (SELECT id FROM old_executions) RETURNING 1),"
	" del_executions AS (DELETE FROM dune_mv.executions"
	" WHERE id IN (SELECT id FROM old_executions) RETURNING 1),"
	" del_calls AS (DELETE FROM dune_mv.calls WHERE role = $1 AND called_at < $2"
	" AND id NOT IN (SELECT id FROM keep_calls) RETURNING 1)"
	" SELECT (SELECT count(*) FROM del_calls), (SELECT count(*) FROM del_executions),"
	" (SELECT count(*) FROM del_states)",
	2, {NAMEOID, TIMESTAMPTZOID}
};

/* A timestamptz Datum, or a null marker when unknown. */
static Datum
time_or_null(const TrackedTime *t, char *null)
{
	*null = t->known ? ' ' : 'n';
	return t->known ? TimestampTzGetDatum(t->value) : (Datum) 0;
}

/* Record a new execution or job started by upsert, refresh or create. */
void
tracking_record_start(const char *provider, const char *remote_id,
					  const char *view_name, const char *started_by)
{
	CatalogScope scope;
	Datum		values[5];
	char		nulls[5];

	memset(nulls, ' ', sizeof(nulls));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider);
	values[2] = CStringGetTextDatum(remote_id);
	values[3] = catalog_text_or_null(view_name, &nulls[3]);
	values[4] = CStringGetTextDatum(started_by);
	catalog_exec(&insert_start, values, nulls);
	catalog_leave(&scope);
}

/* Record what a status reply said; a changed state gets a history row. */
void
tracking_record_seen(const TrackedExecution *exec)
{
	CatalogScope scope;
	Datum		values[14];
	char		nulls[14];

	memset(nulls, ' ', sizeof(nulls));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(exec->provider);
	values[2] = CStringGetTextDatum(exec->remote_id);
	values[3] = catalog_text_or_null(exec->view_name, &nulls[3]);
	values[4] = catalog_text_or_null(exec->state, &nulls[4]);
	values[5] = BoolGetDatum(exec->is_finished);
	values[6] = time_or_null(&exec->submitted_at, &nulls[6]);
	values[7] = time_or_null(&exec->started_at, &nulls[7]);
	values[8] = time_or_null(&exec->ended_at, &nulls[8]);
	values[9] = time_or_null(&exec->cancelled_at, &nulls[9]);
	values[10] = catalog_text_or_null(exec->cost_credits, &nulls[10]);
	values[11] = catalog_text_or_null(exec->error_type, &nulls[11]);
	values[12] = catalog_text_or_null(exec->error_message, &nulls[12]);
	values[13] = exec->reply ? json_jsonb(exec->reply) : (Datum) 0;
	nulls[13] = exec->reply ? ' ' : 'n';
	catalog_exec(&record_seen, values, nulls);
	catalog_leave(&scope);
}

/* Remove the caller's row for a deleted view (its executions stay). */
void
tracking_forget_view(const char *provider, const char *full_name)
{
	CatalogScope scope;
	Datum		values[3];

	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider);
	values[2] = CStringGetTextDatum(full_name);
	catalog_exec(&delete_view, values, NULL);
	catalog_leave(&scope);
}

/*
 * send(call) inside a subtransaction.  Returns 0 when it succeeded, or the
 * SQLSTATE when it raised one of sqlstates (0-terminated); any other error
 * is re-raised.  call->resp (status, retry_after_ms) stays readable either
 * way: it lives in the caller's memory context.
 */
int
tracking_send_catching(TrackingSendFn send, ApiCall *call, const int *sqlstates)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int caught = 0;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		send(call);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		for (const int *s = sqlstates; *s != 0; s++)
			if (edata->sqlerrcode == *s && call->resp.status != 0)
				caught = *s;	/* only errors raised for an HTTP response */
		if (caught == 0)
			ReThrowError(edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return caught;
}

/* Read n decimal digits at s into *out; false unless all n are digits. */
static bool
read_digits(const char *s, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return false;
		*out = *out * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * Parse RFC 3339 (YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)); the
 * fraction may have any number of digits and is truncated to microseconds.
 * Returns false, leaving out->known false, for NULL or anything else.
 */
bool
tracking_parse_time(const char *text, TrackedTime *out)
{
	int			year, mon, mday, hour, min, sec, tzh = 0, tzm = 0;
	int			tz = 0;
	fsec_t		fsec = 0;
	const char *p;
	struct pg_tm tm;
	Timestamp	ts;

	out->known = false;
	if (text == NULL || strlen(text) < 20 ||
		!read_digits(text, 4, &year) || text[4] != '-' ||
		!read_digits(text + 5, 2, &mon) || text[7] != '-' ||
		!read_digits(text + 8, 2, &mday) || (text[10] != 'T' && text[10] != 't') ||
		!read_digits(text + 11, 2, &hour) || text[13] != ':' ||
		!read_digits(text + 14, 2, &min) || text[16] != ':' ||
		!read_digits(text + 17, 2, &sec))
		return false;
	p = text + 19;
	if (*p == '.')
	{
		int			digits = 0;

		for (p++; isdigit((unsigned char) *p); p++, digits++)
			if (digits < 6)
				fsec = fsec * 10 + (*p - '0');
		if (digits == 0)
			return false;
		for (; digits < 6; digits++)
			fsec *= 10;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && read_digits(p + 1, 2, &tzh) &&
			 p[3] == ':' && read_digits(p + 4, 2, &tzm))
	{
		tz = (tzh * 3600 + tzm * 60) * (*p == '+' ? -1 : 1);	/* seconds west */
		p += 6;
	}
	else
		return false;
	if (*p != '\0' || year < 1 || mon < 1 || mon > 12 || mday < 1 ||
		mday > day_tab[isleap(year)][mon - 1] || hour > 23 || min > 59 ||
		sec > 60 || tzh > 23 || tzm > 59)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = year;
	tm.tm_mon = mon;
	tm.tm_mday = mday;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	if (tm2timestamp(&tm, fsec, &tz, &ts) != 0)
		return false;
	out->known = true;
	out->value = ts;
	return true;
}

/*
 * dune_mv_purge(older_than interval DEFAULT NULL)
 *	  Delete the caller's calls and executions older than older_than (NULL:
 *	  dune_mv.purge_after seconds), keeping each view's latest call and
 *	  latest execution.  Returns how many rows went from each table.
 */
Datum
dune_mv_purge(PG_FUNCTION_ARGS)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz cutoff;
	CatalogScope scope;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};

	if (PG_ARGISNULL(0))
		cutoff = now - (int64) dune_mv_purge_after * USECS_PER_SEC;
	else
		cutoff = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_mi_interval,
														 TimestampTzGetDatum(now),
														 PG_GETARG_DATUM(0)));
	if (cutoff > now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("older_than must not be negative"),
				 errhint("Pass an age such as '30 days', or NULL for dune_mv.purge_after.")));

	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = TimestampTzGetDatum(cutoff);
	catalog_exec(&purge_rows, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "purge returned " UINT64_FORMAT " rows", SPI_processed);
	for (int i = 0; i < 3; i++)
	{
		bool		isnull;

		values[i] = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull);
	}
	catalog_leave(&scope);
	return rows_form(fcinfo, values, nulls);
}
