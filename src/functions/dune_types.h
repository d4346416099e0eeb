/*-------------------------------------------------------------------------
 * dune_types.h
 *	  Dune's (Trino's) column types as PostgreSQL types, and result values
 *	  as COPY text for a column of a local table (functions/dune_types.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_DUNE_TYPES_H
#define DUNE_MV_DUNE_TYPES_H

#include "functions/json_scan.h"

/* How a value is written for the type of the column it goes into. */
typedef enum ValueCategory
{
	VALUE_TEXT,					/* the value's text, for the type's input function */
	VALUE_JSON,					/* json, jsonb: JSON text */
	VALUE_BYTEA,				/* "0x..." becomes \x... */
	VALUE_ARRAY					/* a JSON array becomes an array literal */
} ValueCategory;

/* One result column and the table column it is loaded into. */
typedef struct LoadColumn
{
	const char *name;			/* server encoding, as the table column is named */
	const char *dune_type;		/* as metadata.column_types says */
	bool		dune_json;		/* Dune type json: a string holding JSON text */
	bool		elem_json;		/* array(json) */
	ValueCategory cat;
	ValueCategory elem_cat;		/* of an array's elements */
} LoadColumn;

extern char *dune_type_to_pg(const char *dune_type, bool *known);
extern void dune_column_init(LoadColumn *col, const char *name, const char *dune_type,
							 Oid typid);
extern void dune_copy_value(const LoadColumn *col, const JsonSpan *value, StringInfo out,
							StringInfo scratch);

#endif
