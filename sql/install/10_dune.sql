-- Dune materialized views.

CREATE TYPE dune_mv.upsert_result AS (execution_id text, name text);
CREATE TYPE dune_mv.refresh_result AS (execution_id text, sql_id text);

CREATE FUNCTION dune_mv_upsert(name text, query_id bigint, cron text DEFAULT NULL,
							   expires_at timestamptz DEFAULT NULL,
							   is_private boolean DEFAULT NULL,
							   performance text DEFAULT NULL,
							   keep_schedule boolean DEFAULT false)
RETURNS dune_mv.upsert_result
AS 'MODULE_PATHNAME', 'dune_mv_upsert'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dune_mv_refresh(name text, performance text DEFAULT NULL)
RETURNS dune_mv.refresh_result
AS 'MODULE_PATHNAME', 'dune_mv_refresh'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_refresh(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_refresh(text, text) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.upsert_result, dune_mv.refresh_result TO dune_mv_user;
