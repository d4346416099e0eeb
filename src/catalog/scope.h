/*-------------------------------------------------------------------------
 * scope.h
 *	  Running statements on the catalog (inside catalog/ only).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_CATALOG_SCOPE_H
#define DUNE_MV_CATALOG_SCOPE_H

#include "executor/spi.h"

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

#endif
