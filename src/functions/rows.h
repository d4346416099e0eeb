/*-------------------------------------------------------------------------
 * rows.h
 *	  Building the composite rows the SQL functions return.
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_ROWS_H
#define DUNE_MV_ROWS_H

#include "fmgr.h"

extern Datum rows_form(FunctionCallInfo fcinfo, Datum *values, bool *nulls);
extern Datum rows_text_or_null(const char *s, bool *isnull);
extern char *rows_text_arg(FunctionCallInfo fcinfo, int n);

#endif
