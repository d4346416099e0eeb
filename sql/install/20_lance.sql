-- LanceDB materialized views (src/lance_matviews.c).

CREATE TYPE dune_mv.lance_create_result AS (version bigint, job_id text);
COMMENT ON TYPE dune_mv.lance_create_result IS 'What lance_mv_create returns';
COMMENT ON COLUMN dune_mv.lance_create_result.version IS 'The new view''s table version';
COMMENT ON COLUMN dune_mv.lance_create_result.job_id IS 'The refresh job the server started (with_no_data => false), else NULL';
CREATE TYPE dune_mv.lance_refresh_result AS (job_id text);
COMMENT ON TYPE dune_mv.lance_refresh_result IS 'What lance_mv_refresh returns';
COMMENT ON COLUMN dune_mv.lance_refresh_result.job_id IS
	'The refresh job started; NULL when skipped because another refresh of the view was in progress';

CREATE FUNCTION lance_mv_create(id text[], kind text, source_query text, output_schema text,
								udtf_spec jsonb DEFAULT NULL,
								with_no_data boolean DEFAULT true,
								auto_refresh boolean DEFAULT false,
								delimiter text DEFAULT '$')
RETURNS dune_mv.lance_create_result
AS 'MODULE_PATHNAME', 'lance_mv_create'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_create(text[], text, text, text, jsonb, boolean, boolean, text) IS
	'Create a LanceDB materialized view (POST /v1/materialized_view/{id}/create)';

CREATE FUNCTION lance_mv_refresh(id text[], src_version bigint DEFAULT NULL,
								 max_rows_per_fragment integer DEFAULT NULL,
								 concurrency integer DEFAULT NULL,
								 intra_applier_concurrency integer DEFAULT NULL,
								 source_task_size bigint DEFAULT NULL,
								 output_limit bigint DEFAULT NULL,
								 cluster text DEFAULT NULL,
								 manifest jsonb DEFAULT NULL,
								 delimiter text DEFAULT '$')
RETURNS dune_mv.lance_refresh_result
AS 'MODULE_PATHNAME', 'lance_mv_refresh'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_refresh(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text) IS
	'Start a refresh job of a LanceDB materialized view (POST /v1/materialized_view/{id}/refresh)';

REVOKE ALL ON FUNCTION lance_mv_create(text[], text, text, text, jsonb, boolean, boolean, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_refresh(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lance_mv_create(text[], text, text, text, jsonb, boolean, boolean, text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_refresh(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.lance_create_result, dune_mv.lance_refresh_result TO dune_mv_user;
