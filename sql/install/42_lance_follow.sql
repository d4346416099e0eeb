-- LanceDB follow-through: job status and waiting (src/lance_jobs.c); describe,
-- exists, drop and list of tables (src/lance_tables.c).

CREATE TYPE dune_mv.lance_job_status AS (
	job_id		text,
	job_type	text,
	state		text,			-- job_state, verbatim
	is_finished boolean,		-- DONE, FAILED, CANCELLED, TIMED_OUT
	created_at	timestamptz,	-- creation_ms
	failure_phase text,
	failure_message text,
	failure_retryable boolean,
	raw			jsonb
);
COMMENT ON TYPE dune_mv.lance_job_status IS 'A LanceDB job''s state (lance_mv_job_status, lance_mv_wait)';
COMMENT ON COLUMN dune_mv.lance_job_status.job_id IS 'The job id';
COMMENT ON COLUMN dune_mv.lance_job_status.job_type IS 'The job''s type, as reported';
COMMENT ON COLUMN dune_mv.lance_job_status.state IS 'job_state, verbatim';
COMMENT ON COLUMN dune_mv.lance_job_status.is_finished IS 'True for DONE, FAILED, CANCELLED and TIMED_OUT';
COMMENT ON COLUMN dune_mv.lance_job_status.created_at IS 'When the job was created (creation_ms)';
COMMENT ON COLUMN dune_mv.lance_job_status.failure_phase IS 'The failure''s phase, when it failed';
COMMENT ON COLUMN dune_mv.lance_job_status.failure_message IS 'The failure''s message, when it failed';
COMMENT ON COLUMN dune_mv.lance_job_status.failure_retryable IS 'Whether the failure is retryable, when the server says';
COMMENT ON COLUMN dune_mv.lance_job_status.raw IS 'The whole reply';

CREATE TYPE dune_mv.lance_table_info AS (
	version		bigint,
	location	text,
	schema		jsonb,			-- JsonArrowSchema, as the server sends it
	properties	jsonb,
	stats		jsonb,
	raw			jsonb
);
COMMENT ON TYPE dune_mv.lance_table_info IS 'A LanceDB table or materialized view as described (lance_mv_describe)';
COMMENT ON COLUMN dune_mv.lance_table_info.version IS 'The table''s version';
COMMENT ON COLUMN dune_mv.lance_table_info.location IS 'Where the table is stored';
COMMENT ON COLUMN dune_mv.lance_table_info.schema IS 'Its schema (JsonArrowSchema), as the server sends it';
COMMENT ON COLUMN dune_mv.lance_table_info.properties IS 'Its properties (materialized_view.kind, ...)';
COMMENT ON COLUMN dune_mv.lance_table_info.stats IS 'Its statistics';
COMMENT ON COLUMN dune_mv.lance_table_info.raw IS 'The whole reply';

CREATE FUNCTION lance_mv_job_status(job_id text)
RETURNS dune_mv.lance_job_status
AS 'MODULE_PATHNAME', 'lance_mv_job_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_job_status(text) IS
	'Read the state of a LanceDB job (POST /v1/jobs/describe)';

CREATE FUNCTION lance_mv_wait(job_id text, timeout interval DEFAULT '1 hour')
RETURNS dune_mv.lance_job_status
AS 'MODULE_PATHNAME', 'lance_mv_wait'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_wait(text, interval) IS
	'Wait until a LanceDB job is finished, polling its state with backoff';

CREATE FUNCTION lance_mv_describe(id text[], delimiter text DEFAULT '$')
RETURNS dune_mv.lance_table_info
AS 'MODULE_PATHNAME', 'lance_mv_describe'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_describe(text[], text) IS
	'Describe a LanceDB table or materialized view (POST /v1/table/{id}/describe)';

CREATE FUNCTION lance_mv_exists(id text[], delimiter text DEFAULT '$')
RETURNS boolean
AS 'MODULE_PATHNAME', 'lance_mv_exists'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_exists(text[], text) IS
	'Whether a LanceDB table or materialized view exists (POST /v1/table/{id}/exists)';

CREATE FUNCTION lance_mv_drop(id text[], delimiter text DEFAULT '$')
RETURNS boolean
AS 'MODULE_PATHNAME', 'lance_mv_drop'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_drop(text[], text) IS
	'Drop a LanceDB table or materialized view and its data (POST /v1/table/{id}/drop)';

CREATE FUNCTION lance_mv_list(namespace text[] DEFAULT '{}', delimiter text DEFAULT '$')
RETURNS TABLE (name text)
AS 'MODULE_PATHNAME', 'lance_mv_list'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION lance_mv_list(text[], text) IS
	'The tables of a LanceDB namespace, every page (GET /v1/namespace/{id}/table/list)';

REVOKE ALL ON FUNCTION lance_mv_job_status(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_wait(text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_describe(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_exists(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_drop(text[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_list(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lance_mv_job_status(text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_wait(text, interval) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_describe(text[], text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_exists(text[], text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_drop(text[], text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_list(text[], text) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.lance_job_status, dune_mv.lance_table_info TO dune_mv_user;
