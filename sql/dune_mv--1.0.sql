-- dune_mv: the catalog.  Tables live in schema dune_mv; functions in the
-- schema the extension is created in.
\echo Use "CREATE EXTENSION dune_mv" to load this file. \quit

-- Members of dune_mv_user may call the functions and read their own rows.
-- Roles are cluster-wide: the role outlives the extension and is shared by
-- every database that creates it.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dune_mv_user') THEN
		CREATE ROLE dune_mv_user NOLOGIN;
	END IF;
END
$$;

CREATE SCHEMA dune_mv;
GRANT USAGE ON SCHEMA dune_mv TO dune_mv_user;

-- One row per successful call (and per run skipped by the overlap guard).
-- No CHECK constraints: only the extension writes these tables, and PostgreSQL
-- compiles CHECK expressions anew for every catalog statement (a fifth of the
-- cost of a refresh, see test/bench/README.md).  Values: provider 'dune' or
-- 'lance'; outcome 'ok' or 'skipped'.
CREATE SEQUENCE dune_mv.calls_id_seq;
CREATE TABLE dune_mv.calls (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.calls_id_seq'),
	called_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	operation	text NOT NULL,
	target		text NOT NULL,
	outcome		text NOT NULL DEFAULT 'ok',
	request		jsonb,			-- method, path and body sent; never credentials
	response	jsonb,			-- the reply body
	http_status integer,
	execution_id text,			-- Dune execution id or Lance job id
	version		bigint,			-- Lance version
	duration_ms double precision
);
ALTER SEQUENCE dune_mv.calls_id_seq OWNED BY dune_mv.calls.id;
CREATE INDEX calls_role_called_at_idx ON dune_mv.calls (role, called_at);
CREATE INDEX calls_execution_id_idx ON dune_mv.calls (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX calls_target_idx ON dune_mv.calls (provider, target);

-- One row per known view and role, kept current by every call.
CREATE TABLE dune_mv.views (
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	name		text NOT NULL,	-- Dune: bare result_... name; Lance: id joined with its delimiter
	full_name	text NOT NULL,	-- Dune: dune.<team>.result_...; Lance: as name
	query_id	bigint,
	cron_expression text,
	expires_at	timestamptz,
	performance text,
	is_private	boolean,
	lance_id	text[],
	lance_delimiter text,
	kind		text,
	version		bigint,
	last_execution_id text,		-- Dune execution id or Lance job id
	last_execution_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	updated_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (role, provider, name)
);
CREATE INDEX views_full_name_idx ON dune_mv.views (role, provider, full_name);

-- Each role sees its own rows; only the extension (as the table owner) writes.
ALTER TABLE dune_mv.calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE dune_mv.views ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.calls FOR SELECT USING (role = current_user);
CREATE POLICY own_rows ON dune_mv.views FOR SELECT USING (role = current_user);
GRANT SELECT ON dune_mv.calls, dune_mv.views TO dune_mv_user;

-- Rows are data, not part of the extension's definition: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('dune_mv.calls', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.calls_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.views', '');
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
-- LanceDB materialized views (src/lance_matviews.c).

CREATE TYPE dune_mv.lance_create_result AS (version bigint, job_id text);
CREATE TYPE dune_mv.lance_refresh_result AS (job_id text);

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
-- Executions (Dune) and jobs (Lance): what each one was last seen doing,
-- every state it was seen in, the per-view status, and purging old rows.
-- Written only by the extension (src/tracking.c); each role reads its own rows.

-- One row per execution or job and role.  upsert, refresh (and Lance create)
-- insert it with state NULL ("not polled yet"); status and wait calls fill in
-- what the API answered.  An id first met through a status call is 'observed'.
CREATE SEQUENCE dune_mv.executions_id_seq;
CREATE TABLE dune_mv.executions (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.executions_id_seq'),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	remote_id	text NOT NULL,	-- Dune execution id or Lance job id
	view_name	text,			-- the view's full name (views.full_name), when known
	started_by	text NOT NULL,
	state		text,			-- verbatim from the API; NULL until first seen
	is_finished boolean NOT NULL DEFAULT false,
	submitted_at timestamptz,
	started_at	timestamptz,
	ended_at	timestamptz,
	cancelled_at timestamptz,
	cost_credits numeric,
	error_type	text,
	error_message text,
	last_seen_at timestamptz,	-- when the state was last read from the API
	reply		jsonb,			-- the last status reply, as received
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	UNIQUE (role, provider, remote_id)
);
ALTER SEQUENCE dune_mv.executions_id_seq OWNED BY dune_mv.executions.id;
CREATE INDEX executions_view_idx ON dune_mv.executions (role, provider, view_name);
CREATE INDEX executions_created_idx ON dune_mv.executions (role, created_at);

-- One row each time an execution was seen in a state other than the last one.
CREATE SEQUENCE dune_mv.execution_states_id_seq;
CREATE TABLE dune_mv.execution_states (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.execution_states_id_seq'),
	execution_id bigint NOT NULL REFERENCES dune_mv.executions (id) ON DELETE CASCADE,
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	remote_id	text NOT NULL,
	state		text NOT NULL,
	seen_at		timestamptz NOT NULL DEFAULT clock_timestamp()
);
ALTER SEQUENCE dune_mv.execution_states_id_seq OWNED BY dune_mv.execution_states.id;
CREATE INDEX execution_states_execution_idx ON dune_mv.execution_states (execution_id, id);

ALTER TABLE dune_mv.executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dune_mv.execution_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.executions FOR SELECT USING (role = current_user);
CREATE POLICY own_rows ON dune_mv.execution_states FOR SELECT USING (role = current_user);
GRANT SELECT ON dune_mv.executions, dune_mv.execution_states TO dune_mv_user;

SELECT pg_catalog.pg_extension_config_dump('dune_mv.executions', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.executions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.execution_states', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.execution_states_id_seq', '');

-- One row per view of the calling role: its last run and what is known of it.
-- security_invoker: the tables' row-level security applies to the caller.
CREATE VIEW dune_mv.status WITH (security_invoker = true, security_barrier = true) AS
SELECT v.provider, v.name, v.full_name,
	v.last_execution_id AS execution_id,
	v.last_execution_at AS requested_at,
	e.started_by, e.state, coalesce(e.is_finished, false) AS is_finished,
	e.submitted_at, e.started_at, e.ended_at, e.cancelled_at, e.cost_credits,
	e.error_type, e.error_message,
	e.last_seen_at AS checked_at
FROM dune_mv.views v
LEFT JOIN dune_mv.executions e
	ON e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id
WHERE v.role = current_user;
GRANT SELECT ON dune_mv.status TO dune_mv_user;

-- dune_mv_purge: delete the caller's calls and executions older than the age
-- (NULL: dune_mv.purge_after), keeping each known view's latest call and
-- latest execution.
CREATE TYPE dune_mv.purge_result AS (calls bigint, executions bigint, execution_states bigint);

CREATE FUNCTION dune_mv_purge(older_than interval DEFAULT NULL)
RETURNS dune_mv.purge_result
AS 'MODULE_PATHNAME', 'dune_mv_purge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION dune_mv_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_purge(interval) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.purge_result TO dune_mv_user;
-- Dune follow-through: execution status, waiting, cancelling; get, list, delete.

CREATE TYPE dune_mv.execution_status AS (
	execution_id text,
	state		text,
	is_finished boolean,
	submitted_at timestamptz,
	started_at	timestamptz,
	ended_at	timestamptz,
	cancelled_at timestamptz,
	cost_credits numeric,
	error_type	text,
	error_message text,
	raw			jsonb
);

CREATE TYPE dune_mv.view_info AS (
	id			text,
	sql_id		text,
	query_id	bigint,
	is_private	boolean,
	table_size_bytes bigint,
	last_execution_ids text[],
	cron_expression text,
	performance text,
	next_execution_time timestamptz,
	expires_at	timestamptz,
	raw			jsonb
);

CREATE FUNCTION dune_mv_status(execution_id text)
RETURNS dune_mv.execution_status
AS 'MODULE_PATHNAME', 'dune_mv_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dune_mv_wait(execution_id text, timeout interval DEFAULT '1 hour')
RETURNS dune_mv.execution_status
AS 'MODULE_PATHNAME', 'dune_mv_wait'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dune_mv_cancel(execution_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_cancel'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dune_mv_get(name text)
RETURNS dune_mv.view_info
AS 'MODULE_PATHNAME', 'dune_mv_get'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION dune_mv_list(OUT id text, OUT sql_id text, OUT query_id bigint,
							 OUT is_private boolean, OUT table_size_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dune_mv_list'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;

CREATE FUNCTION dune_mv_delete(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_delete'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION dune_mv_status(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_wait(text, interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_cancel(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_get(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_list() FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_delete(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_status(text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_wait(text, interval) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_cancel(text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_get(text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_list() TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_delete(text) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.execution_status, dune_mv.view_info TO dune_mv_user;
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

CREATE TYPE dune_mv.lance_table_info AS (
	version		bigint,
	location	text,
	schema		jsonb,			-- JsonArrowSchema, as the server sends it
	properties	jsonb,
	stats		jsonb,
	raw			jsonb
);

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
-- Scheduling refreshes with pg_cron.

-- dune_mv_schedule(job_name, cron, command): cron.schedule() when pg_cron is
-- installed in this database, a clear error otherwise.  The job belongs to the
-- caller and runs as the caller.
CREATE FUNCTION dune_mv_schedule(job_name text, cron text, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cron_schema name;
	job_id bigint;
BEGIN
	IF job_name IS NULL OR cron IS NULL OR command IS NULL THEN
		RAISE EXCEPTION 'job_name, cron and command must not be NULL'
			USING ERRCODE = '22023';
	END IF;
	-- cron.schedule(job_name, schedule, command), found through the extension's
	-- members: pg_cron keeps its objects in schema cron, not its extension schema.
	SELECT n.nspname INTO cron_schema
	FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_cron'
	WHERE p.proname = 'schedule' AND p.pronargs = 3;
	IF cron_schema IS NULL THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = '55000',
				  HINT = 'Install pg_cron (shared_preload_libraries = ''pg_cron,dune_mv'', cron.database_name = this database), then CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE format('SELECT %I.schedule($1, $2, $3)', cron_schema)
		INTO job_id USING job_name, cron, command;
	RETURN job_id;
END
$$;

REVOKE ALL ON FUNCTION dune_mv_schedule(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_schedule(text, text, text) TO dune_mv_user;
