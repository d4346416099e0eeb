/*-------------------------------------------------------------------------
 * scope.c
 *	  How catalog statements run: as the catalog's owner, with a safe
 *	  search_path, through plans saved once per backend.
 *
 * Users may only read their own rows (row-level security) and may not write
 * at all, so every statement here runs as the owner of schema dune_mv (the
 * superuser who created the extension), with search_path reduced to
 * pg_catalog and pg_temp so that no object of the caller's can be picked up.
 * The calling role is captured first and written into each row.  Statements
 * are fixed texts with parameters, prepared once per backend.  Only files of
 * catalog/ use this.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/syscache.h"

#include "catalog/scope.h"

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
