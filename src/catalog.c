/*-------------------------------------------------------------------------
 * catalog.c
 *	  Writes to the dune_mv.* tables.
 *
 * Users may only read their own rows (row-level security) and may not write
 * at all, so every statement here runs as the owner of schema dune_mv (the
 * superuser who created the extension), with search_path reduced to
 * pg_catalog and pg_temp so that no object of the caller's can be picked up.
 * The calling role is captured first and written into each row.  Statements
 * are fixed texts with parameters, prepared once per backend.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "json_util.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "catalog.h"

static CatalogStatement insert_call = {
	"INSERT INTO dune_mv.calls (role, provider, operation, target, outcome, request,"
	" response, http_status, execution_id, version, duration_ms)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	11, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID, JSONBOID, INT4OID,
	TEXTOID, INT8OID, FLOAT8OID}
};

#define VIEW_INSERT \
	"INSERT INTO dune_mv.views AS v (role, provider, name, full_name, query_id," \
	" cron_expression, expires_at, performance, is_private, lance_id, lance_delimiter," \
	" kind, version, last_execution_id, last_execution_at)" \
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14," \
	" CASE WHEN $14 IS NULL THEN NULL ELSE clock_timestamp() END)" \
	" ON CONFLICT (role, provider, name) DO UPDATE SET full_name = excluded.full_name,"
#define VIEW_SET_LAST \
	" last_execution_id = coalesce(excluded.last_execution_id, v.last_execution_id)," \
	" last_execution_at = CASE WHEN excluded.last_execution_id IS DISTINCT FROM" \
	" v.last_execution_id AND excluded.last_execution_id IS NOT NULL" \
	" THEN excluded.last_execution_at ELSE v.last_execution_at END," \
	" updated_at = clock_timestamp()"
#define VIEW_ARGTYPES \
	{NAMEOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, TEXTOID, TIMESTAMPTZOID, TEXTOID, \
	BOOLOID, TEXTARRAYOID, TEXTOID, TEXTOID, INT8OID, TEXTOID}

/* Upsert or create: the definition is replaced as a whole. */
static CatalogStatement save_view_definition = {
	VIEW_INSERT
	" query_id = excluded.query_id, cron_expression = excluded.cron_expression,"
	" expires_at = excluded.expires_at, performance = excluded.performance,"
	" is_private = excluded.is_private, lance_id = excluded.lance_id,"
	" lance_delimiter = excluded.lance_delimiter, kind = excluded.kind,"
	" version = coalesce(excluded.version, v.version),"
	VIEW_SET_LAST,
	14, VIEW_ARGTYPES
};

/* Refresh and the like: only what the call revealed changes. */
static CatalogStatement save_view_activity = {
	VIEW_INSERT
	" query_id = coalesce(excluded.query_id, v.query_id),"
	" version = coalesce(excluded.version, v.version),"
	VIEW_SET_LAST,
	14, VIEW_ARGTYPES
};

static CatalogStatement lookup_full_name = {
	"SELECT full_name FROM dune_mv.views"
	" WHERE role = $1 AND provider = $2 AND name = $3",
	3, {NAMEOID, TEXTOID, TEXTOID}
};

/* The owner of schema dune_mv, as whom the catalog is written. */
static Oid
catalog_owner(void)
{
	Oid			nsp = get_namespace_oid("dune_mv", true);
	HeapTuple	tup;
	Oid			owner;

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_SCHEMA),
				 errmsg("schema \"dune_mv\" does not exist"),
				 errhint("Run CREATE EXTENSION dune_mv in this database.")));
	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for namespace %u", nsp);
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Become the catalog's owner with a safe search_path and connect to SPI.
 * An error in between is undone by transaction abort (user id and GUCs).
 */
void
catalog_enter(CatalogScope *scope)
{
	namestrcpy(&scope->role, GetUserNameFromId(GetUserId(), false));
	GetUserIdAndSecContext(&scope->save_userid, &scope->save_sec_context);
	SetUserIdAndSecContext(catalog_owner(),
						   scope->save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	scope->guc_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/* Leave the scope entered by catalog_enter. */
void
catalog_leave(CatalogScope *scope)
{
	SPI_finish();
	AtEOXact_GUC(false, scope->guc_nestlevel);
	SetUserIdAndSecContext(scope->save_userid, scope->save_sec_context);
}

/*
 * Run a catalog statement (inside catalog_enter) with the given parameters;
 * nulls uses SPI's ' '/'n' convention.  Returns the SPI result code.
 */
int
catalog_exec(CatalogStatement *stmt, Datum *values, const char *nulls)
{
	int			rc;

	if (stmt->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(stmt->sql, stmt->nargs, stmt->argtypes);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s", stmt->sql,
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		stmt->plan = plan;
	}
	rc = SPI_execute_plan(stmt->plan, values, nulls, false, 0);
	if (rc < 0)
		elog(ERROR, "catalog statement failed: %s", SPI_result_code_string(rc));
	return rc;
}

/* A text Datum, or a null marker when s is NULL. */
Datum
catalog_text_or_null(const char *s, char *null)
{
	*null = s ? ' ' : 'n';
	return s ? CStringGetTextDatum(s) : (Datum) 0;
}

/* Record one call (outcome 'ok' or 'skipped') in dune_mv.calls. */
void
catalog_record_call(const ApiCall *call, const char *outcome)
{
	CatalogScope scope;
	Datum		values[11];
	char		nulls[11];
	bool		sent = call->req.method != NULL;

	memset(nulls, ' ', sizeof(nulls));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(call->provider);
	values[2] = CStringGetTextDatum(call->operation);
	values[3] = CStringGetTextDatum(call->target);
	values[4] = CStringGetTextDatum(outcome);
	values[5] = sent ? json_text_jsonb(api_request_json(call)) : (Datum) 0;
	nulls[5] = sent ? ' ' : 'n';
	values[6] = call->reply ? json_jsonb(call->reply) : (Datum) 0;
	nulls[6] = call->reply ? ' ' : 'n';
	values[7] = Int32GetDatum((int32) call->resp.status);
	nulls[7] = sent ? ' ' : 'n';
	values[8] = catalog_text_or_null(call->remote_id, &nulls[8]);
	values[9] = Int64GetDatum(call->version);
	nulls[9] = call->has_version ? ' ' : 'n';
	values[10] = Float8GetDatum(call->resp.duration_ms);
	nulls[10] = sent ? ' ' : 'n';
	catalog_exec(&insert_call, values, nulls);
	catalog_leave(&scope);
}

/*
 * Insert or update the caller's row for a view.  With replace_definition
 * (upsert, create) every definition column takes the record's value;
 * otherwise only what is known changes.
 */
void
catalog_save_view(const ViewRecord *view, bool replace_definition)
{
	CatalogScope scope;
	Datum		values[14];
	char		nulls[14];

	memset(nulls, ' ', sizeof(nulls));
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(view->provider);
	values[2] = CStringGetTextDatum(view->name);
	values[3] = CStringGetTextDatum(view->full_name);
	values[4] = Int64GetDatum(view->query_id);
	nulls[4] = view->has_query_id ? ' ' : 'n';
	values[5] = catalog_text_or_null(view->cron_expression, &nulls[5]);
	values[6] = TimestampTzGetDatum(view->expires_at);
	nulls[6] = view->has_expires_at ? ' ' : 'n';
	values[7] = catalog_text_or_null(view->performance, &nulls[7]);
	values[8] = BoolGetDatum(view->is_private);
	nulls[8] = view->has_is_private ? ' ' : 'n';
	values[9] = view->lance_id;
	nulls[9] = view->lance_id ? ' ' : 'n';
	values[10] = catalog_text_or_null(view->lance_delimiter, &nulls[10]);
	values[11] = catalog_text_or_null(view->kind, &nulls[11]);
	values[12] = Int64GetDatum(view->version);
	nulls[12] = view->has_version ? ' ' : 'n';
	values[13] = catalog_text_or_null(view->last_execution_id, &nulls[13]);
	catalog_exec(replace_definition ? &save_view_definition : &save_view_activity,
				 values, nulls);
	catalog_leave(&scope);
}

/* The full name the caller's catalog row records for a view, or NULL. */
char *
catalog_view_full_name(const char *provider, const char *name)
{
	CatalogScope scope;
	Datum		values[3];
	char	   *result = NULL;
	MemoryContext outer = CurrentMemoryContext;

	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider);
	values[2] = CStringGetTextDatum(name);
	catalog_exec(&lookup_full_name, values, NULL);
	if (SPI_processed > 0)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			result = TextDatumGetCString(d);
			MemoryContextSwitchTo(old);
		}
	}
	catalog_leave(&scope);
	return result;
}
