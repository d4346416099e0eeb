/*-------------------------------------------------------------------------
 * results.h
 *	  Reading a Dune execution's result page by page (functions/results.c),
 *	  shared by dune_mv_results and dune_mv_load (functions/load.c).
 *-------------------------------------------------------------------------
 */
#ifndef DUNE_MV_RESULTS_H
#define DUNE_MV_RESULTS_H

#include "core/call.h"
#include "functions/json_scan.h"

extern int	dune_mv_max_result_rows;

/*
 * One result being read.  Everything of one page (its body, its parsed
 * envelope, its row spans) lives in page_cxt, which is reset before the next
 * page is fetched; the columns live in the reader's own context.
 */
typedef struct ResultReader
{
	/* what to read */
	char	   *execution_id;
	int64		limit;			/* rows wanted; -1: all */
	char	   *columns;		/* the columns parameter, or NULL */
	char	   *filters;
	char	   *sort_by;

	/* the result's columns, from the first page (UTF-8 and server encoding) */
	int			ncolumns;
	char	  **names_utf8;
	size_t	   *name_lens;
	char	  **names;
	char	  **types;
	int64		total_rows;		/* metadata.total_row_count, or -1 */

	/* paging */
	MemoryContext cxt;
	MemoryContext page_cxt;
	int64		offset;			/* of the next page to fetch */
	bool		more;			/* another page is to be fetched */
	int64		page_limit;		/* rows to ask for in the next page */
	int64		delivered;		/* rows handed out */
	int			pages;

	/* the current page */
	ApiCall		call;
	JsonSpan   *rows;
	int			nrows;
	int			row;			/* the next row to hand out */
	int		   *key_order;		/* column of each key of the last row split */
} ResultReader;

extern void results_define_settings(void);
extern bool results_names_a_view(const char *source);
extern char *results_resolve_source(const char *source);
extern void results_check_source(const char *source);
extern void results_begin(ResultReader *r, const char *execution_id);
extern bool results_next_row(ResultReader *r, JsonSpan *row);
extern void results_split_row(ResultReader *r, const JsonSpan *row, JsonSpan *values);
extern void results_bad_row(ResultReader *r, const char *what) pg_attribute_noreturn();

#endif
