/*-------------------------------------------------------------------------
 * lookup.c
 *	  Reading the caller's catalog rows (a view by its identity) and purging
 *	  old ones.
 *
 * As everywhere in catalog/, statements run as the catalog's owner with a
 * safe search_path and touch only rows of the calling role.  May call
 * catalog/scope.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "catalog/scope.h"

/* The caller's row for a view by its identity, the newest when several spellings exist. */
static CatalogStatement find_view = {
	"SELECT name, full_name, definition::text FROM dune_mv.remote_views"
	" WHERE role = $1 AND provider = $2 AND ident = $3"
	" ORDER BY updated_at DESC LIMIT 1",
	3, {NAMEOID, TEXTOID, TEXTOID}
};

/* The caller's row for an execution or job. */
static CatalogStatement read_execution = {
	"SELECT state, is_finished, submitted_at, started_at, ended_at, cancelled_at,"
	" cost_credits::text, error_type, error_message, reply::text, started_by <> 'observed'"
	" FROM dune_mv.executions WHERE role = $1 AND provider = $2 AND remote_id = $3",
	3, {NAMEOID, TEXTOID, TEXTOID}
};

/*
 * The caller's rows older than $2, except each known view's latest call (by
 * bare or full name) and latest execution (its last_execution_id, and the
 * newest row naming it).  Calls by execution id (status, cancel) and list
 * calls go by age alone.
 */
/*
 * For the overlap guard (core/guard.c), across roles: whether the worker
 * is sending a refresh of view $2 (other than request $3), and the state of
 * the newest execution or job of it.  $4 is the last part of $2's name; a
 * bare name matches a full one with that last part, and the reverse.
 */
static CatalogStatement guard_state = {
	"SELECT EXISTS (SELECT 1 FROM dune_mv.requests r WHERE r.state = 'sending'"
	" AND r.provider = $1 AND r.operation = 'refresh' AND r.id <> $3"
	" AND substring(r.target FROM '[^.]*$') = $4"
	" AND (r.target = $2 OR strpos($2, '.') = 0 OR strpos(r.target, '.') = 0)),"
	" e.state, e.is_finished"
	" FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT state, is_finished FROM dune_mv.executions x"
	" WHERE x.provider = $1 AND substring(x.view_name FROM '[^.]*$') = $4"
	" AND (x.view_name = $2 OR strpos($2, '.') = 0 OR strpos(x.view_name, '.') = 0)"
	" ORDER BY x.created_at DESC LIMIT 1) e ON true",
	4, {TEXTOID, TEXTOID, INT8OID, TEXTOID}
};

/*
 * The owners of a view: by its full name ($2), or when that is not known by
 * its identity ($3).
 */
static CatalogStatement view_owners = {
	"SELECT owner FROM dune_mv.owners WHERE provider = $1"
	" AND (full_name = $2 OR ($2 IS NULL AND ident = $3))",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

/*
 * Who may act on an execution or job as its owner: the roles that started
 * it through the extension, and the owner of its view.
 */
static CatalogStatement execution_owners = {
	"SELECT r.oid FROM dune_mv.executions e JOIN pg_catalog.pg_roles r ON r.rolname = e.role"
	" WHERE e.provider = $1 AND e.remote_id = $2 AND e.started_by <> 'observed'"
	" UNION SELECT o.owner FROM dune_mv.executions e JOIN dune_mv.owners o"
	" ON o.provider = e.provider AND o.full_name = e.view_name"
	" WHERE e.provider = $1 AND e.remote_id = $2",
	2, {TEXTOID, TEXTOID}
};

static CatalogStatement purge_rows = {
	"WITH keep_calls AS (SELECT DISTINCT ON (v.provider, v.name) c.id"
	" FROM dune_mv.remote_views v JOIN dune_mv.calls c ON c.role = v.role"
	" AND c.provider = v.provider AND c.target IN (v.name, v.full_name)"
	" WHERE v.role = $1 ORDER BY v.provider, v.name, c.id DESC),"
	" keep_executions AS (SELECT e.id FROM dune_mv.remote_views v JOIN dune_mv.executions e"
	" ON e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id"
	" WHERE v.role = $1"
	" UNION SELECT max(e.id) FROM dune_mv.remote_views v JOIN dune_mv.executions e"
	" ON e.role = v.role AND e.provider = v.provider AND e.view_name = v.full_name"
	" WHERE v.role = $1 GROUP BY v.provider, v.name),"
	" old_executions AS (SELECT id FROM dune_mv.executions WHERE role = $1"
	" AND created_at < $2 AND id NOT IN (SELECT id FROM keep_executions)),"
	" del_states AS (DELETE FROM dune_mv.execution_states"
	" WHERE execution_id IN (SELECT id FROM old_executions) RETURNING 1),"
	" del_executions AS (DELETE FROM dune_mv.executions"
	" WHERE id IN (SELECT id FROM old_executions) RETURNING 1),"
	" del_requests AS (DELETE FROM dune_mv.requests WHERE role = $1 AND finished_at < $2"
	" AND state NOT IN ('queued', 'sending') RETURNING 1),"
	" del_calls AS (DELETE FROM dune_mv.calls WHERE role = $1 AND called_at < $2"
	" AND id NOT IN (SELECT id FROM keep_calls) RETURNING 1)"
	" SELECT (SELECT count(*) FROM del_calls), (SELECT count(*) FROM del_executions),"
	" (SELECT count(*) FROM del_states), (SELECT count(*) FROM del_requests)",
	2, {NAMEOID, TIMESTAMPTZOID}
};

/*
 * The caller's row for a view of provider with identity ident; false when
 * there is none.  The strings and the definition live in the caller's
 * memory context.
 */
bool
catalog_find_view(const Provider *provider, const char *ident, FoundView *found)
{
	CatalogScope scope;
	Datum		values[3];
	MemoryContext outer = CurrentMemoryContext;
	bool		exists;

	memset(found, 0, sizeof(*found));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider->name);
	values[2] = CStringGetTextDatum(ident);
	catalog_exec(&find_view, values, NULL);
	exists = SPI_processed > 0;
	if (exists)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		HeapTuple	tuple = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *definition = SPI_getvalue(tuple, desc, 3);

		found->name = SPI_getvalue(tuple, desc, 1);
		found->full_name = SPI_getvalue(tuple, desc, 2);
		found->definition = json_from_jsonb(DirectFunctionCall1(jsonb_in,
																CStringGetDatum(definition)));
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
	return exists;
}

/* A timestamptz column of the current row as a TrackedTime. */
static void
read_time_column(HeapTuple tup, TupleDesc desc, int n, TrackedTime *out)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, n, &isnull);

	out->known = !isnull;
	out->value = isnull ? 0 : DatumGetTimestampTz(d);
}

/*
 * What the catalog last recorded of the caller's execution or job id, into
 * *exec (strings and JSON in the caller's memory context); false when there
 * is no row.  *followed: it was started through the extension.
 */
bool
catalog_read_execution(const Provider *provider, const char *remote_id,
					   TrackedExecution *exec, bool *followed)
{
	CatalogScope scope;
	Datum		values[3];
	MemoryContext outer = CurrentMemoryContext;
	bool		exists;

	memset(exec, 0, sizeof(*exec));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider->name);
	values[2] = CStringGetTextDatum(remote_id);
	catalog_exec(&read_execution, values, NULL);
	exists = SPI_processed > 0;
	if (exists)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(outer);
		bool		isnull;
		char	   *reply = SPI_getvalue(tup, desc, 10);

		exec->remote_id = pstrdup(remote_id);
		exec->state = SPI_getvalue(tup, desc, 1);
		exec->is_finished = DatumGetBool(SPI_getbinval(tup, desc, 2, &isnull));
		read_time_column(tup, desc, 3, &exec->submitted_at);
		read_time_column(tup, desc, 4, &exec->started_at);
		read_time_column(tup, desc, 5, &exec->ended_at);
		read_time_column(tup, desc, 6, &exec->cancelled_at);
		exec->cost_credits = SPI_getvalue(tup, desc, 7);
		exec->error_type = SPI_getvalue(tup, desc, 8);
		exec->error_message = SPI_getvalue(tup, desc, 9);
		exec->reply = reply ? json_from_jsonb(DirectFunctionCall1(jsonb_in,
																  CStringGetDatum(reply))) : NULL;
		*followed = DatumGetBool(SPI_getbinval(tup, desc, 11, &isnull));
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
	return exists;
}

/*
 * Delete the caller's calls, executions and settled requests older than
 * cutoff, keeping each view's latest call and latest execution; returns
 * how many rows went.
 */
void
catalog_purge(TimestampTz cutoff, int64 *calls, int64 *executions, int64 *execution_states,
			  int64 *requests)
{
	CatalogScope scope;
	Datum		values[2];
	int64	   *counts[4] = {calls, executions, execution_states, requests};

	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = TimestampTzGetDatum(cutoff);
	catalog_exec(&purge_rows, values, NULL);
	if (SPI_processed != 1)
		elog(ERROR, "purge returned " UINT64_FORMAT " rows", SPI_processed);
	for (int i = 0; i < 4; i++)
	{
		bool		isnull;

		*counts[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
												 SPI_tuptable->tupdesc, i + 1, &isnull));
	}
	catalog_leave(&scope);
}

/* What the overlap guard needs to know of view identity (see guard_state). */
void
catalog_guard_state(const char *provider, const char *identity, int64 request_id,
					GuardState *out)
{
	CatalogScope scope;
	Datum		values[4];
	MemoryContext outer = CurrentMemoryContext;
	bool		isnull;

	values[0] = CStringGetTextDatum(provider);
	values[1] = CStringGetTextDatum(identity);
	values[2] = Int64GetDatum(request_id);
	values[3] = CStringGetTextDatum(view_last_part(identity));
	catalog_enter(&scope);
	catalog_exec(&guard_state, values, NULL);
	out->sending = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
											  &isnull));
	out->last_finished = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 3, &isnull));
	if (isnull)
		out->last_finished = false;
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		out->last_state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
}

/* The OIDs of the rows a statement returned, in the caller's memory context; *n gets how many. */
static Oid *
owner_oids(MemoryContext cxt, int *n)
{
	Oid		   *oids = MemoryContextAlloc(cxt, sizeof(Oid) * (SPI_processed + 1));

	*n = (int) SPI_processed;
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		oids[i] = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
												 1, &isnull));
	}
	return oids;
}

/*
 * The owners of a view (full_name when known, else ident), across roles;
 * *n gets how many (0: the catalog does not know it).
 */
Oid *
catalog_view_owners(const char *provider, const char *full_name, const char *ident, int *n)
{
	CatalogScope scope;
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	MemoryContext cxt = CurrentMemoryContext;
	Oid		   *oids;

	values[0] = CStringGetTextDatum(provider);
	values[1] = catalog_text_or_null(full_name, &nulls[1]);
	values[2] = catalog_text_or_null(ident, &nulls[2]);
	catalog_enter(&scope);
	catalog_exec(&view_owners, values, nulls);
	oids = owner_oids(cxt, n);
	catalog_leave(&scope);
	return oids;
}

/* The roles that may act on execution or job remote_id as its owners; *n gets how many. */
Oid *
catalog_execution_owners(const char *provider, const char *remote_id, int *n)
{
	CatalogScope scope;
	Datum		values[2];
	MemoryContext cxt = CurrentMemoryContext;
	Oid		   *oids;

	values[0] = CStringGetTextDatum(provider);
	values[1] = CStringGetTextDatum(remote_id);
	catalog_enter(&scope);
	catalog_exec(&execution_owners, values, NULL);
	oids = owner_oids(cxt, n);
	catalog_leave(&scope);
	return oids;
}
