-- Arrow schemas for LanceDB's output_schema (src/arrow_schema.c).

CREATE FUNCTION lance_arrow_schema(columns text) RETURNS text
    AS 'MODULE_PATHNAME', 'lance_arrow_schema_text'
    LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION lance_arrow_schema(text) IS
    'Base64 Arrow IPC schema message for a column list written as in CREATE TABLE, e.g. ''id bigint NOT NULL, embedding real[768]''';
REVOKE ALL ON FUNCTION lance_arrow_schema(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lance_arrow_schema(text) TO dune_mv_user;

CREATE FUNCTION lance_arrow_schema(rel regclass) RETURNS text
    AS 'MODULE_PATHNAME', 'lance_arrow_schema_rel'
    LANGUAGE C STRICT STABLE PARALLEL SAFE;
COMMENT ON FUNCTION lance_arrow_schema(regclass) IS
    'Base64 Arrow IPC schema message for the columns of a table, view or materialized view (arrays become List)';
REVOKE ALL ON FUNCTION lance_arrow_schema(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lance_arrow_schema(regclass) TO dune_mv_user;

CREATE FUNCTION lance_arrow_schema_describe(output_schema text)
    RETURNS TABLE(name text, arrow_type text, nullable boolean)
    AS 'MODULE_PATHNAME', 'lance_arrow_schema_describe'
    LANGUAGE C STRICT STABLE PARALLEL SAFE ROWS 10;
COMMENT ON FUNCTION lance_arrow_schema_describe(text) IS
    'The top-level fields of a base64 Arrow IPC schema message (an output_schema)';
REVOKE ALL ON FUNCTION lance_arrow_schema_describe(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lance_arrow_schema_describe(text) TO dune_mv_user;
