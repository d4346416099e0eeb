/*
 * arrow_schema.h
 *		Arrow schemas (LanceDB output_schema) from PostgreSQL column types.
 *
 * SQL functions (sql/install/30_arrow.sql): lance_arrow_schema(text),
 * lance_arrow_schema(regclass) (arrow_schema.c) and
 * lance_arrow_schema_describe(text) (arrow_describe.c).
 */
#ifndef DUNE_MV_ARROW_SCHEMA_H
#define DUNE_MV_ARROW_SCHEMA_H

#include "arrow_ipc.h"

/* palloc-based memory for the Arrow encoder and decoder (arrow_schema.c) */
extern const ArrowAllocator pg_arrow_mem;

/*
 * Check an output_schema (arrow_describe.c): standard base64 (with padding)
 * of one Arrow IPC encapsulated Schema message with at least one field,
 * top-level names non-empty and distinct.  Raises ERROR with SQLSTATE 22023 (naming the bad
 * field when there is one) otherwise; returns when it is fine.
 */
extern void lance_check_output_schema(const char *b64);

/*
 * The smallest index i whose name equals an earlier one, or -1 when the n
 * names are distinct; sorts copies of the pointers, O(n log n)
 * (arrow_describe.c).
 */
extern int	arrow_first_duplicate(const char *const *names, int n);

#endif							/* DUNE_MV_ARROW_SCHEMA_H */
