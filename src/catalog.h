/*-------------------------------------------------------------------------
 * catalog.h
 *	  Writes to the dune_mv.* tables.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CATALOG_H
#define DUNE_MV_CATALOG_H

#include "executor/spi.h"

#include "api.h"

/* A view's state as the catalog keeps it; NULL/has_* fields are "unknown". */
typedef struct ViewRecord
{
	const char *provider;
	const char *name;
	const char *full_name;
	bool		has_query_id;
	int64		query_id;
	const char *cron_expression;
	bool		has_expires_at;
	TimestampTz expires_at;
	const char *performance;
	bool		has_is_private;
	bool		is_private;
	Datum		lance_id;		/* text[] or 0 */
	const char *lance_delimiter;
	const char *kind;
	bool		has_version;
	int64		version;
	const char *last_execution_id;
} ViewRecord;

/* Bracket for statements run as the catalog's owner with a safe search_path. */
typedef struct CatalogScope
{
	Oid			save_userid;
	int			save_sec_context;
	int			guc_nestlevel;
	NameData	role;			/* the calling role */
} CatalogScope;

/* A fixed statement on the catalog, prepared on first use. */
typedef struct CatalogStatement
{
	const char *sql;
	int			nargs;
	Oid			argtypes[16];
	SPIPlanPtr	plan;
} CatalogStatement;

extern void catalog_enter(CatalogScope *scope);
extern void catalog_leave(CatalogScope *scope);
extern int	catalog_exec(CatalogStatement *stmt, Datum *values, const char *nulls);
extern Datum catalog_text_or_null(const char *s, char *null);
extern void catalog_record_call(const ApiCall *call, const char *outcome);
extern void catalog_save_view(const ViewRecord *view, bool replace_definition);
extern char *catalog_view_full_name(const char *provider, const char *name);

#endif
