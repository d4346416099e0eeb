/*-------------------------------------------------------------------------
 * record.c
 *	  catalog_record(): the one function that records a call, with what it
 *	  started, read and changed, in one catalog scope.
 *
 * For every call api_call() ran (core/call.c):
 *	  - a dune_mv.calls row: outcome 'ok' (or 'skipped' by the overlap
 *		guard), the request (method, path, body; never headers), the reply,
 *		status, execution or job id, version and duration;
 *	  - the execution or job it started (dune_mv.executions, state NULL:
 *		"not polled yet");
 *	  - the state a status read saw: the executions row is updated, and
 *		dune_mv.execution_states gets a row when the state differs from the
 *		one before, so the history of states survives; an id first met
 *		through a status read is recorded as started_by 'observed';
 *	  - the caller's row for the view (dune_mv.remote_views): defined
 *		anew, its activity merged, updated, or forgotten.
 * Rows belong to the calling role.  In a read-only transaction or on a
 * standby nothing is written: only reads get there (core/call.c refuses
 * every call that changes remote state before it is sent), and their record
 * is the one thing that cannot be kept.  May call catalog/scope.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "utils/timestamp.h"

#include "catalog/catalog.h"
#include "catalog/scope.h"

static CatalogStatement insert_call = {
	"INSERT INTO dune_mv.calls (role, provider, operation, target, outcome, request,"
	" response, http_status, execution_id, version, duration_ms, error)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
	12, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, INT4OID,
	TEXTOID, INT8OID, FLOAT8OID, TEXTOID}
};

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
	" VALUES ($1, $2, $3, coalesce($4, (SELECT v.full_name FROM dune_mv.remote_views v"
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

/*
 * Insert or update the caller's row for a view.  $9 true (define): the
 * definition is replaced as a whole; false (activity): a new row gets the
 * definition with the updates, an existing one only the updates.
 */
static CatalogStatement save_view = {
	"INSERT INTO dune_mv.remote_views AS v (role, provider, name, full_name, ident,"
	" definition, last_execution_id, last_execution_at)"
	" VALUES ($1, $2, $3, $4, $5, coalesce($6, '{}') || coalesce($8, '{}'), $7,"
	" CASE WHEN $7 IS NULL THEN NULL ELSE clock_timestamp() END)"
	" ON CONFLICT (role, provider, name) DO UPDATE SET full_name = excluded.full_name,"
	" ident = excluded.ident,"
	" definition = CASE WHEN $9 THEN excluded.definition"
	" ELSE v.definition || coalesce($8, '{}') END,"
	" last_execution_id = coalesce(excluded.last_execution_id, v.last_execution_id),"
	" last_execution_at = CASE WHEN excluded.last_execution_id IS DISTINCT FROM"
	" v.last_execution_id AND excluded.last_execution_id IS NOT NULL"
	" THEN excluded.last_execution_at ELSE v.last_execution_at END,"
	" updated_at = clock_timestamp()",
	9, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, JSONBOID, BOOLOID}
};

/* Merge updates into the caller's existing rows for a view (any spelling). */
static CatalogStatement update_view = {
	"UPDATE dune_mv.remote_views SET definition = definition || $4,"
	" updated_at = clock_timestamp()"
	" WHERE role = $1 AND provider = $2 AND ident = $3",
	4, {NAMEOID, TEXTOID, TEXTOID, JSONBOID}
};

/* A deleted or dropped view's rows of the caller; its calls and executions stay. */
static CatalogStatement forget_view = {
	"DELETE FROM dune_mv.remote_views WHERE role = $1 AND provider = $2 AND ident = $3"
	" AND full_name = coalesce($4, full_name)",
	4, {NAMEOID, TEXTOID, TEXTOID, TEXTOID}
};

/* A view created through the extension belongs to the role that created it. */
static CatalogStatement claim_owner = {
	"INSERT INTO dune_mv.owners (provider, full_name, ident, owner)"
	" SELECT $2, $3, $4, oid FROM pg_catalog.pg_roles WHERE rolname = $1"
	" ON CONFLICT DO NOTHING",
	4, {NAMEOID, TEXTOID, TEXTOID, TEXTOID}
};

/* A deleted or dropped view has no owner any more. */
static CatalogStatement forget_owner = {
	"DELETE FROM dune_mv.owners WHERE provider = $1 AND ident = $2"
	" AND full_name = coalesce($3, full_name)",
	3, {TEXTOID, TEXTOID, TEXTOID}
};

/* A jsonb Datum of obj, or a null marker when obj is NULL. */
static Datum
jsonb_or_null(json_object *obj, char *null)
{
	*null = obj ? ' ' : 'n';
	return obj ? json_jsonb(obj) : (Datum) 0;
}

/* A timestamptz Datum, or a null marker when unknown. */
static Datum
time_or_null(const TrackedTime *t, char *null)
{
	*null = t->known ? ' ' : 'n';
	return t->known ? TimestampTzGetDatum(t->value) : (Datum) 0;
}

/* The dune_mv.calls row. */
static void
insert_call_row(const CatalogScope *scope, const ApiCall *call)
{
	Datum		values[12];
	char		nulls[12];
	bool		sent = call->outcome != CALL_SKIPPED;
	const char *outcome = call->recorded_outcome ? call->recorded_outcome :
		sent ? "ok" : "skipped";

	memset(nulls, ' ', sizeof(nulls));
	values[0] = NameGetDatum(&scope->role);
	values[1] = CStringGetTextDatum(call->provider->name);
	values[2] = CStringGetTextDatum(call->operation);
	values[3] = CStringGetTextDatum(call->target);
	values[4] = CStringGetTextDatum(outcome);
	values[5] = sent ? json_text_jsonb(api_request_json(call)) : (Datum) 0;
	nulls[5] = sent ? ' ' : 'n';
	values[6] = jsonb_or_null(call->reply, &nulls[6]);
	values[7] = Int32GetDatum((int32) call->resp.status);
	nulls[7] = sent && call->resp.status > 0 ? ' ' : 'n';
	values[8] = catalog_text_or_null(call->remote_id, &nulls[8]);
	values[9] = Int64GetDatum(call->version);
	nulls[9] = call->has_version ? ' ' : 'n';
	values[10] = Float8GetDatum(call->resp.duration_ms);
	nulls[10] = sent ? ' ' : 'n';
	values[11] = catalog_text_or_null(call->error_text, &nulls[11]);
	catalog_exec(&insert_call, values, nulls);
}

/* The first three parameters of the executions statements: role, provider, id. */
static void
execution_key(Datum *values, const CatalogScope *scope, const ApiCall *call,
			  const char *remote_id)
{
	values[0] = NameGetDatum(&scope->role);
	values[1] = CStringGetTextDatum(call->provider->name);
	values[2] = CStringGetTextDatum(remote_id);
}

/* The executions row of an execution or job the call started. */
static void
insert_start_row(const CatalogScope *scope, const ApiCall *call)
{
	Datum		values[5];
	char		nulls[5];

	memset(nulls, ' ', sizeof(nulls));
	execution_key(values, scope, call, call->remote_id);
	values[3] = catalog_text_or_null(call->execution_view, &nulls[3]);
	values[4] = CStringGetTextDatum(call->operation);
	catalog_exec(&insert_start, values, nulls);
}

/* What a status read saw; a changed state gets a history row. */
static void
record_seen_row(const CatalogScope *scope, const ApiCall *call)
{
	const TrackedExecution *exec = call->seen;
	Datum		values[14];
	char		nulls[14];

	memset(nulls, ' ', sizeof(nulls));
	execution_key(values, scope, call, exec->remote_id);
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
	values[13] = jsonb_or_null(exec->reply, &nulls[13]);
	catalog_exec(&record_seen, values, nulls);
}

/* What the call did to the caller's row for its view. */
static void
change_view_row(const CatalogScope *scope, const ApiCall *call)
{
	const ViewRecord *view = &call->view;
	Datum		values[9];
	char		nulls[9];

	memset(nulls, ' ', sizeof(nulls));
	values[0] = NameGetDatum(&scope->role);
	values[1] = CStringGetTextDatum(call->provider->name);
	switch (view->change)
	{
		case VIEW_UNCHANGED:
			return;
		case VIEW_DEFINE:
		case VIEW_ACTIVITY:
			values[2] = CStringGetTextDatum(view->name);
			values[3] = CStringGetTextDatum(view->full_name);
			values[4] = CStringGetTextDatum(view->ident);
			values[5] = jsonb_or_null(view->definition, &nulls[5]);
			values[6] = catalog_text_or_null(view->last_execution_id, &nulls[6]);
			values[7] = jsonb_or_null(view->updates, &nulls[7]);
			values[8] = BoolGetDatum(view->change == VIEW_DEFINE);
			catalog_exec(&save_view, values, nulls);
			if (view->change == VIEW_DEFINE && call->writes_remote)
			{
				/* created (or replaced) through the extension: its owner, if it has none */
				Datum		owner[4] = {values[0], values[1], values[3], values[4]};

				catalog_exec(&claim_owner, owner, NULL);
			}
			break;
		case VIEW_UPDATE:
			values[2] = CStringGetTextDatum(view->ident);
			values[3] = json_jsonb(view->updates);
			catalog_exec(&update_view, values, nulls);
			break;
		case VIEW_FORGET:
			values[2] = CStringGetTextDatum(view->ident);
			values[3] = catalog_text_or_null(view->full_name, &nulls[3]);
			catalog_exec(&forget_view, values, nulls);
			catalog_exec(&forget_owner, values + 1, nulls + 1);
			break;
	}
}

/* True where the catalog cannot be written: a read-only transaction, a standby. */
bool
catalog_read_only(void)
{
	return XactReadOnly || RecoveryInProgress();
}

/* Record everything about one call that api_call() ran, in one scope. */
void
catalog_record(const ApiCall *call)
{
	CatalogScope scope;

	if (catalog_read_only())
		return;
	catalog_enter(&scope);
	insert_call_row(&scope, call);
	if (call->outcome == CALL_OK)
	{
		if (call->starts_execution && call->remote_id != NULL)
			insert_start_row(&scope, call);
		if (call->seen != NULL)
			record_seen_row(&scope, call);
		change_view_row(&scope, call);
	}
	catalog_leave(&scope);
}
