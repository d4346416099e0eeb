/*
 * arrow_schema.h
 *		Arrow schemas (LanceDB output_schema) from PostgreSQL column types.
 *
 * SQL functions (sql/install/30_arrow.sql): lance_arrow_schema(text),
 * lance_arrow_schema(regclass), lance_arrow_schema_describe(text).
 */
#ifndef DUNE_MV_ARROW_SCHEMA_H
#define DUNE_MV_ARROW_SCHEMA_H

/*
 * Check an output_schema: standard base64 (with padding) of one Arrow IPC
 * encapsulated Schema message with at least one field, top-level names
 * non-empty and distinct.  Raises ERROR with SQLSTATE 22023 (naming the bad
 * field when there is one) otherwise; returns when it is fine.
 */
extern void lance_check_output_schema(const char *b64);

#endif							/* DUNE_MV_ARROW_SCHEMA_H */
