/*-------------------------------------------------------------------------
 * loads.c
 *	  The catalog's part in reading results: the latest successful
 *	  execution of a view, and dune_mv.loads (which execution a local table
 *	  was loaded from).
 *
 * As everywhere in catalog/, statements run as the catalog's owner with a
 * safe search_path and touch only rows of the calling role.  In a read-only
 * transaction nothing is written (a load cannot run there anyway).  May call
 * catalog/scope.c only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "core/json_util.h"

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "catalog/catalog.h"
#include "catalog/scope.h"

/*
 * The caller's newest execution of a view named $3 (as the execution
 * recorded it) or known by identity $4, and whether its state is one of the
 * success states $5.
 */
static CatalogStatement newest_execution = {
	"SELECT e.remote_id, coalesce(e.state = ANY ($5), false) FROM dune_mv.executions e"
	" WHERE e.role = $1 AND e.provider = $2"
	" AND (e.view_name = $3 OR e.view_name IN (SELECT v.full_name FROM dune_mv.remote_views v"
	" WHERE v.role = $1 AND v.provider = $2 AND v.ident = $4))"
	" ORDER BY e.id DESC LIMIT 1",
	5, {NAMEOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID}
};

static CatalogStatement insert_load = {
	"INSERT INTO dune_mv.loads (role, provider, target, relid, source, execution_id, mode,"
	" rows, pages, columns, duration_ms)"
	" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
	11, {NAMEOID, TEXTOID, TEXTOID, OIDOID, TEXTOID, TEXTOID, TEXTOID, INT8OID, INT4OID,
	JSONBOID, FLOAT8OID}
};

/*
 * The id of the caller's newest execution of a view when the catalog knows
 * it ended in one of the provider's success states; NULL when the newest one
 * is unknown, running or failed (the caller then asks the API, which may
 * know an older success or a newer state).  name is the view as given (bare
 * or fully qualified), ident its identity.
 */
char *
catalog_latest_success(const Provider *provider, const char *name, const char *ident)
{
	const char *const *states = provider->status->success_states;
	CatalogScope scope;
	Datum		values[5];
	Datum	   *elems;
	int			n = 0;
	char	   *id = NULL;
	bool		isnull;
	MemoryContext outer = CurrentMemoryContext;

	while (states[n] != NULL)
		n++;
	elems = palloc(sizeof(Datum) * n);
	for (int i = 0; i < n; i++)
		elems[i] = CStringGetTextDatum(states[i]);
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(provider->name);
	values[2] = CStringGetTextDatum(name);
	values[3] = CStringGetTextDatum(ident);
	values[4] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	catalog_exec(&newest_execution, values, NULL);
	if (SPI_processed > 0 &&
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)))
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		id = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		MemoryContextSwitchTo(old);
	}
	catalog_leave(&scope);
	return id;
}

/* Record a finished load into a local table (one dune_mv.loads row). */
void
catalog_record_load(const LoadRecord *load)
{
	CatalogScope scope;
	Datum		values[11];

	if (catalog_read_only())
		return;
	catalog_enter(&scope);
	values[0] = NameGetDatum(&scope.role);
	values[1] = CStringGetTextDatum(load->provider->name);
	values[2] = CStringGetTextDatum(load->target);
	values[3] = ObjectIdGetDatum(load->relid);
	values[4] = CStringGetTextDatum(load->source);
	values[5] = CStringGetTextDatum(load->execution_id);
	values[6] = CStringGetTextDatum(load->mode);
	values[7] = Int64GetDatum(load->rows);
	values[8] = Int32GetDatum(load->pages);
	values[9] = json_jsonb(load->columns);
	values[10] = Float8GetDatum(load->duration_ms);
	catalog_exec(&insert_load, values, NULL);
	catalog_leave(&scope);
}
