/*-------------------------------------------------------------------------
 * requests.c
 *	  dune_mv.requests: queued calls, from the caller's insert to the
 *	  worker's final state.
 *
 * A backend inserts a row in its own transaction (state 'queued'); the
 * worker claims queued rows and marks them 'sending' in a transaction it
 * commits before anything is sent, so a row that may have reached the API
 * is never sent again by itself: at the worker's start, rows left
 * 'sending' become 'unknown'.  Then 'done', 'failed', or 'queued' again for
 * a request the API surely did not take (429, no connection).
 * Statements touching one role's rows run with the caller's role; the
 * worker's run across roles.  May call catalog/scope.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/memutils.h"

#include "catalog/catalog.h"
#include "catalog/scope.h"

static CatalogStatement insert_request = {
	"INSERT INTO dune_mv.requests (role, provider, operation, target, call, after)"
	" VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
	6, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, INT8ARRAYOID}
};

/*
 * The oldest queued requests of the providers not held back, locked for the
 * claim; a request with upstream requests only once each has settled, and
 * the execution or job each started has finished.
 */
static CatalogStatement claim_requests = {
	"WITH c AS (SELECT r.id FROM dune_mv.requests r WHERE r.state = 'queued'"
	" AND r.provider <> ALL ($2)"
	" AND (r.after IS NULL OR NOT EXISTS (SELECT 1 FROM dune_mv.requests u"
	" LEFT JOIN dune_mv.executions e ON e.role = u.role AND e.provider = u.provider"
	" AND e.remote_id = u.execution_id WHERE u.id = ANY (r.after)"
	" AND (u.state IN ('queued', 'sending') OR (u.state = 'done' AND u.operation <> 'load'"
	" AND u.execution_id IS NOT NULL AND NOT coalesce(e.is_finished, false)))))"
	" ORDER BY r.id LIMIT $1 FOR UPDATE OF r SKIP LOCKED)"
	" UPDATE dune_mv.requests r SET state = 'sending', sent_at = clock_timestamp()"
	" FROM c WHERE r.id = c.id"
	" RETURNING r.id, r.role, r.provider, r.call::text, r.after, r.operation",
	2, {INT4OID, TEXTARRAYOID}
};

/* The state of each upstream request of a chain, and of the execution it started. */
static CatalogStatement upstream_states = {
	"SELECT r.id, r.state, r.provider, e.state, coalesce(e.is_finished, false)"
	" FROM dune_mv.requests r LEFT JOIN dune_mv.executions e"
	" ON e.role = r.role AND e.provider = r.provider AND e.remote_id = r.execution_id"
	" WHERE r.id = ANY ($1)",
	1, {INT8ARRAYOID}
};

static CatalogStatement finish_request = {
	"UPDATE dune_mv.requests SET state = $2, execution_id = $3, http_status = $4,"
	" sqlstate = $5, message = $6, finished_at = CASE WHEN $2 IN ('queued', 'sending')"
	" THEN NULL ELSE clock_timestamp() END WHERE id = $1",
	6, {INT8OID, TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID}
};

/* A claimed request, for the process that runs it (a queued load's runner). */
static CatalogStatement sending_request = {
	"SELECT role, call::text FROM dune_mv.requests WHERE id = $1 AND state = 'sending'",
	1, {INT8OID}
};

/* A request whose runner stopped before settling it. */
static CatalogStatement fail_sending = {
	"UPDATE dune_mv.requests SET state = 'failed', sqlstate = $2, message = $3,"
	" finished_at = clock_timestamp() WHERE id = $1 AND state = 'sending'",
	3, {INT8OID, TEXTOID, TEXTOID}
};

static CatalogStatement settle_sending = {
	"UPDATE dune_mv.requests SET state = 'unknown', finished_at = clock_timestamp(),"
	" message = 'the worker stopped while sending it: it may have reached the API,"
	" so it is not sent again by itself (dune_mv_request_resend sends it deliberately)'"
	" WHERE state = 'sending'",
	0, {0}
};

/*
 * Executions and jobs started through the extension that are not finished
 * and are due for a status read: never read, or last read longer ago than
 * their age since then, between $2 and $3 milliseconds (backoff); not
 * those resting after failed reads ($5), nor those of dropped roles.
 */
static CatalogStatement due_executions = {
	"SELECT role, provider, remote_id FROM dune_mv.executions"
	" WHERE NOT is_finished AND started_by <> 'observed' AND provider <> ALL ($4)"
	" AND remote_id <> ALL ($5) AND role IN (SELECT rolname FROM pg_catalog.pg_roles)"
	" AND (last_seen_at IS NULL OR last_seen_at < clock_timestamp() - least($3,"
	" greatest($2, (extract(epoch FROM last_seen_at - created_at) * 1000)::bigint))"
	" * interval '1 millisecond')"
	" ORDER BY coalesce(last_seen_at, created_at) LIMIT $1",
	5, {INT4OID, INT8OID, INT8OID, TEXTARRAYOID, TEXTARRAYOID}
};

static CatalogStatement count_queued = {
	"SELECT count(*) FROM dune_mv.requests WHERE state = 'queued'",
	0, {0}
};

static CatalogStatement cancel_request = {
	"UPDATE dune_mv.requests SET state = 'cancelled', finished_at = clock_timestamp()"
	" WHERE id = $1 AND role = $2 AND state = 'queued' RETURNING id",
	2, {INT8OID, NAMEOID}
};

static CatalogStatement resend_request = {
	"INSERT INTO dune_mv.requests (role, provider, operation, target, call, resent_from)"
	" SELECT role, provider, operation, target, call, id FROM dune_mv.requests"
	" WHERE id = $1 AND role = $2 AND state IN ('unknown', 'failed', 'skipped', 'cancelled')"
	" RETURNING id",
	2, {INT8OID, NAMEOID}
};

/* An int64 from column n of the first result row (inside the scope). */
static int64
first_int64(int n)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, n, &isnull);

	return isnull ? 0 : DatumGetInt64(d);
}

/* Queue a prepared call of the caller's; returns its request id. */
int64
catalog_queue_request(const char *provider, const char *operation, const char *target,
					  const char *call_json, Datum after)
{
	CatalogScope scope;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int64		id;

	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider);
	values[2] = CStringGetTextDatum(operation);
	values[3] = CStringGetTextDatum(target);
	values[4] = json_text_jsonb(call_json);
	values[5] = after;
	nulls[5] = after ? ' ' : 'n';
	catalog_exec(&insert_request, values, nulls);
	id = first_int64(1);
	catalog_leave(&scope);
	return id;
}

/*
 * Claim up to limit queued requests (none of the providers in held_back),
 * marking them 'sending'; fn(claimed, arg) is called for each, in the
 * caller's memory context, before the claim is committed by the caller.
 */
void
catalog_claim_requests(int limit, Datum held_back, ClaimedRequestFn fn, void *arg)
{
	CatalogScope scope;
	Datum		values[2];
	MemoryContext outer = CurrentMemoryContext;
	SPITupleTable *tuptable;
	uint64		n;

	catalog_enter(&scope);
	values[0] = Int32GetDatum(limit);
	values[1] = held_back;
	catalog_exec(&claim_requests, values, NULL);
	tuptable = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		TupleDesc	desc = tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(outer);
		ClaimedRequest req;
		bool		isnull;
		Datum		after;

		req.id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		req.role = SPI_getvalue(tup, desc, 2);
		req.provider = SPI_getvalue(tup, desc, 3);
		req.call_json = SPI_getvalue(tup, desc, 4);
		after = SPI_getbinval(tup, desc, 5, &isnull);
		req.after = isnull ? (Datum) 0 : PointerGetDatum(DatumGetArrayTypePCopy(after));
		req.operation = SPI_getvalue(tup, desc, 6);
		MemoryContextSwitchTo(old);
		fn(&req, arg);
	}
	catalog_leave(&scope);
}

/*
 * The upstream requests of a chain: fn(id, request state, provider,
 * execution state or NULL, execution finished, arg) for each one found.
 */
void
catalog_upstream_states(Datum ids, UpstreamFn fn, void *arg)
{
	CatalogScope scope;

	catalog_enter(&scope);
	catalog_exec(&upstream_states, &ids, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		finished = DatumGetBool(SPI_getbinval(tup, desc, 5, &isnull));

		fn(DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull)), SPI_getvalue(tup, desc, 2),
		   SPI_getvalue(tup, desc, 3), SPI_getvalue(tup, desc, 4), finished, arg);
	}
	catalog_leave(&scope);
}

/* Set a request's state and what is known of its outcome (NULLs allowed). */
void
catalog_finish_request(int64 id, const char *state, const char *execution_id,
					   int http_status, const char *sqlstate, const char *message)
{
	CatalogScope scope;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};

	catalog_enter(&scope);
	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(state);
	values[2] = catalog_text_or_null(execution_id, &nulls[2]);
	values[3] = Int32GetDatum(http_status);
	nulls[3] = http_status > 0 ? ' ' : 'n';
	values[4] = catalog_text_or_null(sqlstate, &nulls[4]);
	values[5] = catalog_text_or_null(message, &nulls[5]);
	catalog_exec(&finish_request, values, nulls);
	catalog_leave(&scope);
}

/* At the worker's start: requests left 'sending' become 'unknown'; returns how many. */
int64
catalog_settle_sending(void)
{
	CatalogScope scope;
	int64		n;

	catalog_enter(&scope);
	catalog_exec(&settle_sending, NULL, NULL);
	n = (int64) SPI_processed;
	catalog_leave(&scope);
	return n;
}

/*
 * Up to limit executions or jobs due for a status read (providers in
 * held_back excepted): fn(role, provider, remote_id, arg) for each.
 */
void
catalog_due_executions(int limit, int64 min_ms, int64 max_ms, Datum held_back,
					   Datum resting, DueExecutionFn fn, void *arg)
{
	CatalogScope scope;
	Datum		values[5];
	MemoryContext outer = CurrentMemoryContext;
	SPITupleTable *tuptable;
	uint64		n;

	catalog_enter(&scope);
	values[0] = Int32GetDatum(limit);
	values[1] = Int64GetDatum(min_ms);
	values[2] = Int64GetDatum(max_ms);
	values[3] = held_back;
	values[4] = resting;
	catalog_exec(&due_executions, values, NULL);
	tuptable = SPI_tuptable;
	n = SPI_processed;
	for (uint64 i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);
		char	   *role = SPI_getvalue(tuptable->vals[i], tuptable->tupdesc, 1);
		char	   *provider = SPI_getvalue(tuptable->vals[i], tuptable->tupdesc, 2);
		char	   *remote_id = SPI_getvalue(tuptable->vals[i], tuptable->tupdesc, 3);

		MemoryContextSwitchTo(old);
		fn(role, provider, remote_id, arg);
	}
	catalog_leave(&scope);
}

/* How many requests are queued. */
int64
catalog_count_queued(void)
{
	CatalogScope scope;
	int64		n;

	catalog_enter(&scope);
	catalog_exec(&count_queued, NULL, NULL);
	n = first_int64(1);
	catalog_leave(&scope);
	return n;
}

/* Cancel a queued request of the caller's; false when it was not queued (or not theirs). */
bool
catalog_cancel_request(int64 id)
{
	CatalogScope scope;
	Datum		values[2];
	bool		cancelled;

	catalog_enter(&scope);
	values[0] = Int64GetDatum(id);
	values[1] = NameGetDatum(&scope.role);
	catalog_exec(&cancel_request, values, NULL);
	cancelled = SPI_processed > 0;
	catalog_leave(&scope);
	return cancelled;
}

/* Queue again a settled request of the caller's; returns the new id, or 0. */
int64
catalog_resend_request(int64 id)
{
	CatalogScope scope;
	Datum		values[2];
	int64		new_id = 0;

	catalog_enter(&scope);
	values[0] = Int64GetDatum(id);
	values[1] = NameGetDatum(&scope.role);
	catalog_exec(&resend_request, values, NULL);
	if (SPI_processed > 0)
		new_id = first_int64(1);
	catalog_leave(&scope);
	return new_id;
}

/*
 * The role and stored call of a request being sent (state 'sending'), in
 * the caller's memory context; false when there is no such request.
 */
bool
catalog_sending_request(int64 id, char **role, char **call_json)
{
	CatalogScope scope;
	Datum		value = Int64GetDatum(id);
	MemoryContext outer = CurrentMemoryContext;
	bool		found;

	catalog_enter(&scope);
	catalog_exec(&sending_request, &value, NULL);
	found = SPI_processed == 1;
	if (found)
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		*role = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*call_json = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
	return found;
}

/* Fail a request still 'sending' whose runner stopped; true when it was. */
bool
catalog_fail_sending(int64 id, const char *sqlstate, const char *message)
{
	CatalogScope scope;
	Datum		values[3];
	bool		failed;

	values[0] = Int64GetDatum(id);
	values[1] = CStringGetTextDatum(sqlstate);
	values[2] = CStringGetTextDatum(message);
	catalog_enter(&scope);
	catalog_exec(&fail_sending, values, NULL);
	failed = SPI_processed == 1;
	catalog_leave(&scope);
	return failed;
}
