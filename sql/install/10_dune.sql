-- Dune materialized views.

CREATE TYPE dune_mv.upsert_result AS (execution_id text, name text);
COMMENT ON TYPE dune_mv.upsert_result IS 'What dune_mv_upsert returns';
COMMENT ON COLUMN dune_mv.upsert_result.execution_id IS 'The execution the upsert started';
COMMENT ON COLUMN dune_mv.upsert_result.name IS 'The view''s fully qualified name (dune.<team>.result_...)';
CREATE TYPE dune_mv.refresh_result AS (execution_id text, sql_id text);
COMMENT ON TYPE dune_mv.refresh_result IS 'What dune_mv_refresh returns';
COMMENT ON COLUMN dune_mv.refresh_result.execution_id IS
	'The execution the refresh started; NULL when skipped because another refresh of the view was in progress';
COMMENT ON COLUMN dune_mv.refresh_result.sql_id IS 'The view''s fully qualified name, as Dune reports it (as given when skipped)';

CREATE FUNCTION dune_mv_upsert(name text, query_id bigint, cron text DEFAULT NULL,
							   expires_at timestamptz DEFAULT NULL,
							   is_private boolean DEFAULT NULL,
							   performance text DEFAULT NULL,
							   keep_schedule boolean DEFAULT false)
RETURNS dune_mv.upsert_result
AS 'MODULE_PATHNAME', 'dune_mv_upsert'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) IS
	'Create or replace a Dune materialized view from a saved query (POST /v1/materialized-views); starts a paid execution';

CREATE FUNCTION dune_mv_refresh(name text, performance text DEFAULT NULL)
RETURNS dune_mv.refresh_result
AS 'MODULE_PATHNAME', 'dune_mv_refresh'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_refresh(text, text) IS
	'Refresh a Dune materialized view (POST /v1/materialized-views/{name}/refresh); skipped while another refresh of it is in progress';

REVOKE ALL ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_refresh(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_refresh(text, text) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.upsert_result, dune_mv.refresh_result TO dune_mv_user;
