-- dune_mv 1.0 -> 1.1.  An upgraded 1.0 install must equal a fresh 1.1 one
-- (test/suites/upgrade.sh compares them): every change made to
-- sql/install/*.sql since 1.0 is repeated here.
\echo Use "ALTER EXTENSION dune_mv UPDATE TO '1.1'" to load this file. \quit

-- COMMENT ON everything (issue 7).  The comments on the Lance and Arrow functions
-- that 1.0 already had are unchanged.  Each block follows the install file that
-- holds the same statements next to their objects.

-- 00_catalog.sql
COMMENT ON SCHEMA dune_mv IS
	'dune_mv''s catalog: calls, known views, executions and jobs; written only by the extension''s functions';
COMMENT ON TABLE dune_mv.calls IS
	'One row per successful call to the Dune or LanceDB API, and per refresh skipped by the overlap guard';
COMMENT ON COLUMN dune_mv.calls.id IS 'Row id, increasing in call order';
COMMENT ON COLUMN dune_mv.calls.called_at IS 'When the call was recorded: just after it returned, or when it was skipped';
COMMENT ON COLUMN dune_mv.calls.role IS 'The role that made the call; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.calls.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.calls.operation IS
	'What was called: upsert, refresh, get, list, delete, status or cancel (Dune); create, refresh, describe, exists, drop, list or job_status (Lance)';
COMMENT ON COLUMN dune_mv.calls.target IS
	'What the call was about: the view (a Lance id joined with its delimiter), an execution or job id, a listed namespace, or * for a Dune list';
COMMENT ON COLUMN dune_mv.calls.outcome IS
	'''ok'', or ''skipped'' for a refresh not sent because another refresh of the view was in progress';
COMMENT ON COLUMN dune_mv.calls.request IS 'Method, path and body sent, never a credential; NULL for a skipped refresh';
COMMENT ON COLUMN dune_mv.calls.response IS 'The reply body as received; NULL when there was none';
COMMENT ON COLUMN dune_mv.calls.http_status IS 'HTTP status of the reply; NULL for a skipped refresh';
COMMENT ON COLUMN dune_mv.calls.execution_id IS 'The Dune execution id or Lance job id the call started or was about';
COMMENT ON COLUMN dune_mv.calls.version IS 'The Lance table version the reply reported (create, describe)';
COMMENT ON COLUMN dune_mv.calls.duration_ms IS 'How long the call took in milliseconds, retries and waits included; NULL for a skipped refresh';
COMMENT ON SEQUENCE dune_mv.calls_id_seq IS 'Ids of dune_mv.calls';
COMMENT ON INDEX dune_mv.calls_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.calls_role_called_at_idx IS 'A role''s calls by time (dune_mv_purge)';
COMMENT ON INDEX dune_mv.calls_execution_id_idx IS 'The calls about an execution or job';
COMMENT ON INDEX dune_mv.calls_target_idx IS 'The calls about a view, by provider and target';

-- 10_dune.sql
COMMENT ON TYPE dune_mv.upsert_result IS 'What dune_mv_upsert returns';
COMMENT ON COLUMN dune_mv.upsert_result.execution_id IS 'The execution the upsert started';
COMMENT ON COLUMN dune_mv.upsert_result.name IS 'The view''s fully qualified name (dune.<team>.result_...)';
COMMENT ON TYPE dune_mv.refresh_result IS 'What dune_mv_refresh returns';
COMMENT ON COLUMN dune_mv.refresh_result.execution_id IS
	'The execution the refresh started; NULL when skipped because another refresh of the view was in progress';
COMMENT ON COLUMN dune_mv.refresh_result.sql_id IS 'The view''s fully qualified name, as Dune reports it (as given when skipped)';
COMMENT ON FUNCTION dune_mv_upsert(text, bigint, text, timestamptz, boolean, text, boolean) IS
	'Create or replace a Dune materialized view from a saved query (POST /v1/materialized-views); starts a paid execution';
COMMENT ON FUNCTION dune_mv_refresh(text, text) IS
	'Refresh a Dune materialized view (POST /v1/materialized-views/{name}/refresh); skipped while another refresh of it is in progress';

-- 20_lance.sql
COMMENT ON TYPE dune_mv.lance_create_result IS 'What lance_mv_create returns';
COMMENT ON COLUMN dune_mv.lance_create_result.version IS 'The new view''s table version';
COMMENT ON COLUMN dune_mv.lance_create_result.job_id IS 'The refresh job the server started (with_no_data => false), else NULL';
COMMENT ON TYPE dune_mv.lance_refresh_result IS 'What lance_mv_refresh returns';
COMMENT ON COLUMN dune_mv.lance_refresh_result.job_id IS
	'The refresh job started; NULL when skipped because another refresh of the view was in progress';

-- 40_tracking.sql
COMMENT ON TABLE dune_mv.executions IS
	'One row per Dune execution or LanceDB job and role: what it was last seen doing';
COMMENT ON COLUMN dune_mv.executions.id IS 'Row id';
COMMENT ON COLUMN dune_mv.executions.role IS 'The role that started or looked up the execution; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.executions.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.executions.remote_id IS 'The Dune execution id or Lance job id';
COMMENT ON COLUMN dune_mv.executions.view_name IS 'The view''s full name (dune_mv.views.full_name), when known';
COMMENT ON COLUMN dune_mv.executions.started_by IS
	'The call that started it (upsert, refresh, create), or observed when first met through a status call';
COMMENT ON COLUMN dune_mv.executions.state IS 'The state as the API last reported it, verbatim; NULL until first seen';
COMMENT ON COLUMN dune_mv.executions.is_finished IS 'Whether the last state seen is final';
COMMENT ON COLUMN dune_mv.executions.submitted_at IS 'Dune: when it was submitted; Lance: when the job was created';
COMMENT ON COLUMN dune_mv.executions.started_at IS 'Dune: when the execution started';
COMMENT ON COLUMN dune_mv.executions.ended_at IS 'Dune: when the execution ended';
COMMENT ON COLUMN dune_mv.executions.cancelled_at IS 'Dune: when the execution was cancelled';
COMMENT ON COLUMN dune_mv.executions.cost_credits IS 'Dune: the credits the execution cost';
COMMENT ON COLUMN dune_mv.executions.error_type IS 'Dune: the error''s type; Lance: the failure''s phase';
COMMENT ON COLUMN dune_mv.executions.error_message IS 'Dune: the error''s message; Lance: the failure''s message';
COMMENT ON COLUMN dune_mv.executions.last_seen_at IS 'When the state was last read from the API';
COMMENT ON COLUMN dune_mv.executions.reply IS 'The last status reply, as received';
COMMENT ON COLUMN dune_mv.executions.created_at IS 'When the row was first written';
COMMENT ON SEQUENCE dune_mv.executions_id_seq IS 'Ids of dune_mv.executions';
COMMENT ON INDEX dune_mv.executions_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.executions_role_provider_remote_id_key IS 'One row per role, provider and remote id';
COMMENT ON INDEX dune_mv.executions_view_idx IS 'A role''s executions of a view';
COMMENT ON INDEX dune_mv.executions_created_idx IS 'A role''s executions by age (dune_mv_purge)';
CREATE INDEX executions_guard_idx ON dune_mv.executions
	(provider, (substring(view_name FROM '[^.]*$')), created_at);
COMMENT ON INDEX dune_mv.executions_guard_idx IS
	'Every role''s executions of a view by the last part of its name, newest last (the overlap guard)';
COMMENT ON TABLE dune_mv.execution_states IS
	'One row each time an execution or job was seen in a state other than the last one: its history';
COMMENT ON COLUMN dune_mv.execution_states.id IS 'Row id, increasing in the order the states were seen';
COMMENT ON COLUMN dune_mv.execution_states.execution_id IS 'The dune_mv.executions row (its id); deleted with it';
COMMENT ON COLUMN dune_mv.execution_states.role IS 'As in dune_mv.executions; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.execution_states.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.execution_states.remote_id IS 'The Dune execution id or Lance job id';
COMMENT ON COLUMN dune_mv.execution_states.state IS 'The state seen, verbatim from the API';
COMMENT ON COLUMN dune_mv.execution_states.seen_at IS 'When the state was read from the API';
COMMENT ON SEQUENCE dune_mv.execution_states_id_seq IS 'Ids of dune_mv.execution_states';
COMMENT ON INDEX dune_mv.execution_states_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.execution_states_execution_idx IS 'An execution''s states in the order seen';
COMMENT ON POLICY own_rows ON dune_mv.executions IS 'Each role reads only its own rows';
COMMENT ON POLICY own_rows ON dune_mv.execution_states IS 'Each role reads only its own rows';
COMMENT ON VIEW dune_mv.status IS
	'One row per view of the calling role: its last Dune execution or Lance job and what is known of it';
COMMENT ON COLUMN dune_mv.status.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.status.name IS 'As in dune_mv.views';
COMMENT ON COLUMN dune_mv.status.full_name IS 'As in dune_mv.views';
COMMENT ON COLUMN dune_mv.status.execution_id IS 'The Dune execution or Lance job last started for the view';
COMMENT ON COLUMN dune_mv.status.requested_at IS 'When it was recorded (dune_mv.views.last_execution_at)';
COMMENT ON COLUMN dune_mv.status.started_by IS 'As in dune_mv.executions: upsert, refresh, create or observed';
COMMENT ON COLUMN dune_mv.status.state IS 'The state last seen, verbatim; NULL until polled';
COMMENT ON COLUMN dune_mv.status.is_finished IS 'Whether it was seen finished (false until then)';
COMMENT ON COLUMN dune_mv.status.submitted_at IS 'Dune: when it was submitted; Lance: when the job was created';
COMMENT ON COLUMN dune_mv.status.started_at IS 'Dune: when the execution started';
COMMENT ON COLUMN dune_mv.status.ended_at IS 'Dune: when the execution ended';
COMMENT ON COLUMN dune_mv.status.cancelled_at IS 'Dune: when the execution was cancelled';
COMMENT ON COLUMN dune_mv.status.cost_credits IS 'Dune: the credits the execution cost';
COMMENT ON COLUMN dune_mv.status.error_type IS 'Dune: the error''s type; Lance: the failure''s phase';
COMMENT ON COLUMN dune_mv.status.error_message IS 'Dune: the error''s message; Lance: the failure''s message';
COMMENT ON COLUMN dune_mv.status.checked_at IS 'When the state was last read from the API';
COMMENT ON TYPE dune_mv.purge_result IS 'What dune_mv_purge returns: how many rows it deleted';
COMMENT ON COLUMN dune_mv.purge_result.calls IS 'Rows deleted from dune_mv.calls';
COMMENT ON COLUMN dune_mv.purge_result.executions IS 'Rows deleted from dune_mv.executions';
COMMENT ON COLUMN dune_mv.purge_result.execution_states IS 'Rows deleted from dune_mv.execution_states';
COMMENT ON FUNCTION dune_mv_purge(interval) IS
	'Delete the caller''s calls and executions older than older_than (NULL: dune_mv.purge_after), keeping each known view''s latest call and execution';

-- 41_dune_follow.sql
COMMENT ON TYPE dune_mv.execution_status IS 'A Dune execution''s status (dune_mv_status, dune_mv_wait)';
COMMENT ON COLUMN dune_mv.execution_status.execution_id IS 'The execution id';
COMMENT ON COLUMN dune_mv.execution_status.state IS 'The state, verbatim (QUERY_STATE_...)';
COMMENT ON COLUMN dune_mv.execution_status.is_finished IS
	'True when Dune says so or the state is neither QUERY_STATE_PENDING nor QUERY_STATE_EXECUTING';
COMMENT ON COLUMN dune_mv.execution_status.submitted_at IS 'When the execution was submitted';
COMMENT ON COLUMN dune_mv.execution_status.started_at IS 'When it started (execution_started_at)';
COMMENT ON COLUMN dune_mv.execution_status.ended_at IS 'When it ended (execution_ended_at)';
COMMENT ON COLUMN dune_mv.execution_status.cancelled_at IS 'When it was cancelled';
COMMENT ON COLUMN dune_mv.execution_status.cost_credits IS 'The credits it cost (execution_cost_credits)';
COMMENT ON COLUMN dune_mv.execution_status.error_type IS 'The error''s type, when it failed';
COMMENT ON COLUMN dune_mv.execution_status.error_message IS 'The error''s message, when it failed';
COMMENT ON COLUMN dune_mv.execution_status.raw IS 'The whole status reply';
COMMENT ON TYPE dune_mv.view_info IS 'A Dune materialized view as Dune describes it (dune_mv_get)';
COMMENT ON COLUMN dune_mv.view_info.id IS 'The view''s id, its fully qualified name';
COMMENT ON COLUMN dune_mv.view_info.sql_id IS 'The name to query it by in Dune SQL';
COMMENT ON COLUMN dune_mv.view_info.query_id IS 'The saved query it is built from';
COMMENT ON COLUMN dune_mv.view_info.is_private IS 'Whether the view is private';
COMMENT ON COLUMN dune_mv.view_info.table_size_bytes IS 'The size of its table in bytes';
COMMENT ON COLUMN dune_mv.view_info.last_execution_ids IS 'Its latest executions';
COMMENT ON COLUMN dune_mv.view_info.cron_expression IS 'Its refresh schedule (UTC); NULL without a schedule';
COMMENT ON COLUMN dune_mv.view_info.performance IS 'The engine size of scheduled refreshes; NULL without a schedule';
COMMENT ON COLUMN dune_mv.view_info.next_execution_time IS 'The next scheduled refresh; NULL without a schedule';
COMMENT ON COLUMN dune_mv.view_info.expires_at IS 'When the schedule ends; NULL without a schedule';
COMMENT ON COLUMN dune_mv.view_info.raw IS 'The whole reply';
COMMENT ON FUNCTION dune_mv_status(text) IS
	'Read a Dune execution''s status once (GET /v1/execution/{id}/status)';
COMMENT ON FUNCTION dune_mv_wait(text, interval) IS
	'Wait until a Dune execution is finished, polling its status with backoff';
COMMENT ON FUNCTION dune_mv_cancel(text) IS
	'Cancel a Dune execution (POST /v1/execution/{id}/cancel); false when it was already over';
COMMENT ON FUNCTION dune_mv_get(text) IS
	'Read a Dune materialized view (GET /v1/materialized-views/{name}); the caller''s dune_mv.views row takes its definition';
COMMENT ON FUNCTION dune_mv_list() IS
	'Every Dune materialized view of the key''s account, all pages (GET /v1/materialized-views)';
COMMENT ON FUNCTION dune_mv_delete(text) IS
	'Delete a Dune materialized view (DELETE /v1/materialized-views/{name}) and the caller''s dune_mv.views row';

-- 42_lance_follow.sql
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
COMMENT ON TYPE dune_mv.lance_table_info IS 'A LanceDB table or materialized view as described (lance_mv_describe)';
COMMENT ON COLUMN dune_mv.lance_table_info.version IS 'The table''s version';
COMMENT ON COLUMN dune_mv.lance_table_info.location IS 'Where the table is stored';
COMMENT ON COLUMN dune_mv.lance_table_info.schema IS 'Its schema (JsonArrowSchema), as the server sends it';
COMMENT ON COLUMN dune_mv.lance_table_info.properties IS 'Its properties (materialized_view.kind, ...)';
COMMENT ON COLUMN dune_mv.lance_table_info.stats IS 'Its statistics';
COMMENT ON COLUMN dune_mv.lance_table_info.raw IS 'The whole reply';

-- 50_schedule.sql
COMMENT ON FUNCTION dune_mv_schedule(text, text, text) IS
	'Schedule a command with pg_cron (cron.schedule), owned by and run as the caller; SQLSTATE 55000 when pg_cron is not installed in this database';

-- Provider-specific view columns move into dune_mv.remote_views.definition
-- (jsonb); dune_mv.views becomes a view that shows them as the 1.0 columns.
-- One row per known view and role, kept current by every call.  The columns
-- every provider has are columns; what only one provider knows of a view is
-- in definition (jsonb), which dune_mv.views (below) shows as columns.
CREATE TABLE dune_mv.remote_views (
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	name		text NOT NULL,	-- Dune: bare result_... name; Lance: id joined with its delimiter
	full_name	text NOT NULL,	-- Dune: dune.<team>.result_...; Lance: as name
	ident		text NOT NULL,	-- the same for every spelling of the view
	definition	jsonb NOT NULL DEFAULT '{}',
	last_execution_id text,		-- Dune execution id or Lance job id
	last_execution_at timestamptz,
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	updated_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (role, provider, name)
);
CREATE INDEX remote_views_full_name_idx ON dune_mv.remote_views (role, provider, full_name);
CREATE INDEX remote_views_ident_idx ON dune_mv.remote_views (role, provider, ident);
COMMENT ON TABLE dune_mv.remote_views IS
	'One row per view (Dune or LanceDB) a role knows, kept current by every call about it';
COMMENT ON COLUMN dune_mv.remote_views.role IS 'The role whose view this is; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.remote_views.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.remote_views.name IS 'Dune: the bare result_... name; Lance: the id joined with its delimiter';
COMMENT ON COLUMN dune_mv.remote_views.full_name IS 'Dune: the fully qualified dune.<team>.result_... name; Lance: as name';
COMMENT ON COLUMN dune_mv.remote_views.ident IS
	'The view''s identity whatever spelling named it: Dune: the bare name; Lance: the id''s names joined with U+001F';
COMMENT ON COLUMN dune_mv.remote_views.definition IS
	'What only its provider knows of the view: Dune: query_id, cron_expression, expires_at, performance, is_private; Lance: id, delimiter, kind, version';
COMMENT ON COLUMN dune_mv.remote_views.last_execution_id IS 'The Dune execution or Lance job last started for the view';
COMMENT ON COLUMN dune_mv.remote_views.last_execution_at IS 'When last_execution_id was recorded';
COMMENT ON COLUMN dune_mv.remote_views.created_at IS 'When the row was first written';
COMMENT ON COLUMN dune_mv.remote_views.updated_at IS 'When the row was last written';
COMMENT ON INDEX dune_mv.remote_views_pkey IS 'One row per role, provider and name';
COMMENT ON INDEX dune_mv.remote_views_full_name_idx IS 'A role''s view by its full name';
COMMENT ON INDEX dune_mv.remote_views_ident_idx IS 'A role''s view by its identity';

INSERT INTO dune_mv.remote_views (role, provider, name, full_name, ident, definition,
	last_execution_id, last_execution_at, created_at, updated_at)
SELECT role, provider, name, full_name,
	CASE WHEN provider = 'lance' AND lance_id IS NOT NULL
		THEN array_to_string(lance_id, E'\x1f') ELSE name END,
	jsonb_strip_nulls(jsonb_build_object('query_id', query_id, 'cron_expression', cron_expression,
		'expires_at', expires_at, 'performance', performance, 'is_private', is_private,
		'id', to_jsonb(lance_id), 'delimiter', lance_delimiter, 'kind', kind, 'version', version)),
	last_execution_id, last_execution_at, created_at, updated_at
FROM dune_mv.views;

CREATE OR REPLACE VIEW dune_mv.status WITH (security_invoker = true, security_barrier = true) AS
SELECT v.provider, v.name, v.full_name,
	v.last_execution_id AS execution_id,
	v.last_execution_at AS requested_at,
	e.started_by, e.state, coalesce(e.is_finished, false) AS is_finished,
	e.submitted_at, e.started_at, e.ended_at, e.cancelled_at, e.cost_credits,
	e.error_type, e.error_message,
	e.last_seen_at AS checked_at
FROM dune_mv.remote_views v
LEFT JOIN dune_mv.executions e
	ON e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id
WHERE v.role = current_user;

ALTER EXTENSION dune_mv DROP TABLE dune_mv.views;
DROP TABLE dune_mv.views;

-- The views with the provider-specific fields as columns (the 1.0 layout).
CREATE VIEW dune_mv.views WITH (security_invoker = true) AS
SELECT role, provider, name, full_name,
	(definition->>'query_id')::bigint AS query_id,
	definition->>'cron_expression' AS cron_expression,
	(definition->>'expires_at')::timestamptz AS expires_at,
	definition->>'performance' AS performance,
	(definition->>'is_private')::boolean AS is_private,
	CASE WHEN definition ? 'id' THEN ARRAY(SELECT e FROM jsonb_array_elements_text(definition->'id')
		WITH ORDINALITY AS t(e, n) ORDER BY n) END AS lance_id,
	definition->>'delimiter' AS lance_delimiter,
	definition->>'kind' AS kind,
	(definition->>'version')::bigint AS version,
	last_execution_id, last_execution_at, created_at, updated_at
FROM dune_mv.remote_views;
COMMENT ON VIEW dune_mv.views IS
	'dune_mv.remote_views with each provider''s fields as columns: one row per view a role knows';
COMMENT ON COLUMN dune_mv.views.role IS 'The role whose view this is; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.views.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.views.name IS 'Dune: the bare result_... name; Lance: the id joined with its delimiter';
COMMENT ON COLUMN dune_mv.views.full_name IS 'Dune: the fully qualified dune.<team>.result_... name; Lance: as name';
COMMENT ON COLUMN dune_mv.views.query_id IS 'Dune: the saved query the view is built from';
COMMENT ON COLUMN dune_mv.views.cron_expression IS 'Dune: the refresh schedule (5 fields, UTC); NULL: none';
COMMENT ON COLUMN dune_mv.views.expires_at IS 'Dune: when the refresh schedule ends';
COMMENT ON COLUMN dune_mv.views.performance IS 'Dune: the engine size asked for (small, medium or large)';
COMMENT ON COLUMN dune_mv.views.is_private IS 'Dune: whether the view is private';
COMMENT ON COLUMN dune_mv.views.lance_id IS 'Lance: the namespace path then the view''s name';
COMMENT ON COLUMN dune_mv.views.lance_delimiter IS 'Lance: the delimiter that joins lance_id into name';
COMMENT ON COLUMN dune_mv.views.kind IS 'Lance: the view''s kind (query, udtf or chunker)';
COMMENT ON COLUMN dune_mv.views.version IS 'Lance: the table version last reported (create, describe)';
COMMENT ON COLUMN dune_mv.views.last_execution_id IS 'The Dune execution or Lance job last started for the view';
COMMENT ON COLUMN dune_mv.views.last_execution_at IS 'When last_execution_id was recorded';
COMMENT ON COLUMN dune_mv.views.created_at IS 'When the row was first written';
COMMENT ON COLUMN dune_mv.views.updated_at IS 'When the row was last written';

ALTER TABLE dune_mv.remote_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.remote_views FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.remote_views IS 'Each role reads only its own rows';
COMMENT ON POLICY own_rows ON dune_mv.calls IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.remote_views, dune_mv.views TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.remote_views', '');

-- 60_results.sql: reading results (dune_mv_results, dune_mv_load, dune_mv.loads).

-- One row per successful dune_mv_load, written in the caller's transaction.
-- A table holds the execution of its latest 'replace' load plus those of the
-- 'append' loads after it.
CREATE SEQUENCE dune_mv.loads_id_seq;
CREATE TABLE dune_mv.loads (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.loads_id_seq'),
	loaded_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	target		text NOT NULL,	-- the table, schema-qualified and quoted as needed
	relid		oid NOT NULL,
	source		text NOT NULL,	-- the source argument as given
	execution_id text NOT NULL,
	mode		text NOT NULL,	-- replace or append
	rows		bigint NOT NULL,
	pages		integer NOT NULL,
	columns		jsonb NOT NULL,	-- [{name, dune_type, column_type}]
	duration_ms double precision
);
ALTER SEQUENCE dune_mv.loads_id_seq OWNED BY dune_mv.loads.id;
CREATE INDEX loads_role_relid_idx ON dune_mv.loads (role, relid, id);
COMMENT ON TABLE dune_mv.loads IS
	'One row per dune_mv_load: which Dune execution was loaded into which local table';
COMMENT ON COLUMN dune_mv.loads.id IS 'Row id, increasing in load order';
COMMENT ON COLUMN dune_mv.loads.loaded_at IS 'When the load finished';
COMMENT ON COLUMN dune_mv.loads.role IS 'The role that loaded; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.loads.provider IS '''dune''';
COMMENT ON COLUMN dune_mv.loads.target IS 'The local table, schema-qualified';
COMMENT ON COLUMN dune_mv.loads.relid IS 'The local table''s oid at the time of the load';
COMMENT ON COLUMN dune_mv.loads.source IS 'The source as given: an execution id or a view name';
COMMENT ON COLUMN dune_mv.loads.execution_id IS 'The Dune execution whose result was loaded';
COMMENT ON COLUMN dune_mv.loads.mode IS '''replace'' (the table now holds this execution) or ''append''';
COMMENT ON COLUMN dune_mv.loads.rows IS 'Rows loaded';
COMMENT ON COLUMN dune_mv.loads.pages IS 'Result pages read (each one a dune_mv.calls row, operation results)';
COMMENT ON COLUMN dune_mv.loads.columns IS 'The result''s columns: name, Dune type and the table column''s type';
COMMENT ON COLUMN dune_mv.loads.duration_ms IS 'How long the load took in milliseconds';
COMMENT ON SEQUENCE dune_mv.loads_id_seq IS 'Ids of dune_mv.loads';
COMMENT ON INDEX dune_mv.loads_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.loads_role_relid_idx IS 'A role''s loads into a table, in order';

ALTER TABLE dune_mv.loads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.loads FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.loads IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.loads TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.loads', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.loads_id_seq', '');

CREATE FUNCTION dune_mv_results(source text, "limit" bigint DEFAULT NULL,
								columns text[] DEFAULT NULL, filters text DEFAULT NULL,
								sort_by text DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'dune_mv_results'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION dune_mv_results(text, bigint, text[], text, text) IS
	'The rows of a Dune execution''s result (or of a view''s latest successful execution) as jsonb, every page (GET /v1/execution/{id}/results)';

CREATE FUNCTION dune_mv_load(source text, target text, mode text DEFAULT 'replace')
RETURNS TABLE (rows bigint, execution_id text)
AS 'MODULE_PATHNAME', 'dune_mv_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION dune_mv_load(text, text, text) IS
	'Load a Dune execution''s result (or a view''s latest successful one) into a local table, created with typed columns when missing; mode replace (atomic) or append';

REVOKE ALL ON FUNCTION dune_mv_results(text, bigint, text[], text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_load(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_results(text, bigint, text[], text, text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_load(text, text, text) TO dune_mv_user;

-- Queued calls and the background worker (70_worker.sql).

-- One row per queued call.  Inserted in the caller's transaction by the
-- *_async functions; the worker of this database sends it after that
-- transaction commits (a rolled-back row is never seen) and records the
-- outcome here and in dune_mv.calls, as the role that queued it.
CREATE SEQUENCE dune_mv.requests_id_seq;
CREATE TABLE dune_mv.requests (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.requests_id_seq'),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	operation	text NOT NULL,
	target		text NOT NULL,
	call		jsonb NOT NULL,		-- the prepared request: method, path, body, retry, view; never credentials
	after		bigint[],			-- requests that must succeed first
	state		text NOT NULL DEFAULT 'queued',
	execution_id text,
	http_status integer,
	sqlstate	text,
	message		text,
	resent_from bigint,
	queued_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	sent_at		timestamptz,
	finished_at timestamptz
);
ALTER SEQUENCE dune_mv.requests_id_seq OWNED BY dune_mv.requests.id;
CREATE INDEX requests_open_idx ON dune_mv.requests (id) WHERE state IN ('queued', 'sending');
CREATE INDEX requests_role_queued_at_idx ON dune_mv.requests (role, queued_at);
COMMENT ON TABLE dune_mv.requests IS
	'One row per queued call: sent by the background worker after the queuing transaction commits';
COMMENT ON COLUMN dune_mv.requests.id IS 'The request id the *_async function returned';
COMMENT ON COLUMN dune_mv.requests.role IS 'The role that queued it, as whom it is sent and recorded';
COMMENT ON COLUMN dune_mv.requests.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.requests.operation IS 'upsert, refresh or load (Dune); create or refresh (Lance)';
COMMENT ON COLUMN dune_mv.requests.target IS 'The view it is about; for a load, the local table';
COMMENT ON COLUMN dune_mv.requests.call IS
	'The prepared request (method, path, body, retry policy, the view row it changes); credentials are added at send time and never stored';
COMMENT ON COLUMN dune_mv.requests.after IS
	'Requests that must have finished successfully (their execution or job too) before this one is sent';
COMMENT ON COLUMN dune_mv.requests.state IS
	'queued, sending, done, failed, cancelled, skipped (an upstream request failed), or unknown (it may have reached the API before a crash; never resent by itself)';
COMMENT ON COLUMN dune_mv.requests.execution_id IS 'The Dune execution or Lance job it started; for a load, the execution loaded';
COMMENT ON COLUMN dune_mv.requests.http_status IS 'The HTTP status of the answer, when one came';
COMMENT ON COLUMN dune_mv.requests.sqlstate IS 'The SQLSTATE of the failure';
COMMENT ON COLUMN dune_mv.requests.message IS 'Why it failed, was skipped or is unknown; for a load done, the rows loaded';
COMMENT ON COLUMN dune_mv.requests.resent_from IS 'The request this one resends (dune_mv_request_resend)';
COMMENT ON COLUMN dune_mv.requests.queued_at IS 'When it was queued';
COMMENT ON COLUMN dune_mv.requests.sent_at IS 'When the worker began sending it';
COMMENT ON COLUMN dune_mv.requests.finished_at IS 'When it reached its final state';
COMMENT ON SEQUENCE dune_mv.requests_id_seq IS 'Ids of dune_mv.requests';
COMMENT ON INDEX dune_mv.requests_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.requests_open_idx IS 'The requests the worker still has to send or settle';
COMMENT ON INDEX dune_mv.requests_role_queued_at_idx IS 'A role''s requests by time (dune_mv_purge)';
ALTER TABLE dune_mv.requests ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.requests FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.requests IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.requests TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.requests', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.requests_id_seq', '');

-- The queued variants: the same arguments and checks as the synchronous
-- functions, plus after; they return the request id.
CREATE FUNCTION dune_mv_upsert_async(name text, query_id bigint, cron text DEFAULT NULL,
									 expires_at timestamptz DEFAULT NULL,
									 is_private boolean DEFAULT NULL,
									 performance text DEFAULT NULL,
									 keep_schedule boolean DEFAULT false,
									 after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_upsert_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) IS
	'Queue dune_mv_upsert: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION dune_mv_refresh_async(name text, performance text DEFAULT NULL,
									  after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_refresh_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) IS
	'Queue dune_mv_refresh: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION lance_mv_create_async(id text[], kind text, source_query text, output_schema text,
									  udtf_spec jsonb DEFAULT NULL,
									  with_no_data boolean DEFAULT true,
									  auto_refresh boolean DEFAULT false,
									  delimiter text DEFAULT '$',
									  after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lance_mv_create_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) IS
	'Queue lance_mv_create: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION lance_mv_refresh_async(id text[], src_version bigint DEFAULT NULL,
									   max_rows_per_fragment integer DEFAULT NULL,
									   concurrency integer DEFAULT NULL,
									   intra_applier_concurrency integer DEFAULT NULL,
									   source_task_size bigint DEFAULT NULL,
									   output_limit bigint DEFAULT NULL,
									   cluster text DEFAULT NULL,
									   manifest jsonb DEFAULT NULL,
									   delimiter text DEFAULT '$',
									   after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'lance_mv_refresh_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) IS
	'Queue lance_mv_refresh: sent by the background worker after this transaction commits; returns the request id';

CREATE FUNCTION dune_mv_load_async(source text, target text, mode text DEFAULT 'replace',
								   after bigint[] DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_load_async'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) IS
	'Queue dune_mv_load: run by the background worker after this transaction commits and once the requests of after have succeeded; returns the request id';

CREATE FUNCTION dune_mv_request_cancel(id bigint)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_request_cancel'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_request_cancel(bigint) IS
	'Cancel a queued request of the caller''s that has not been sent; true when it was still queued';

CREATE FUNCTION dune_mv_request_resend(id bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'dune_mv_request_resend'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_request_resend(bigint) IS
	'Queue again a request of the caller''s that ended unknown or failed (deliberately: it may pay twice); returns the new request id';

CREATE FUNCTION dune_mv_worker_status(OUT database name, OUT pid integer, OUT alive boolean,
									  OUT queued bigint, OUT in_flight integer,
									  OUT rate_limited_until timestamptz, OUT last_error text,
									  OUT last_error_at timestamptz)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dune_mv_worker_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_worker_status() IS
	'The background worker of each database: alive, requests queued and in flight, rate limited until when, last error';

CREATE VIEW dune_mv.worker WITH (security_invoker = true) AS
SELECT * FROM dune_mv_worker_status() WHERE database = current_database();
COMMENT ON VIEW dune_mv.worker IS 'The background worker of this database';
COMMENT ON COLUMN dune_mv.worker.database IS 'The database it serves';
COMMENT ON COLUMN dune_mv.worker.pid IS 'Its process id (pg_stat_activity.pid)';
COMMENT ON COLUMN dune_mv.worker.alive IS 'Whether it is running';
COMMENT ON COLUMN dune_mv.worker.queued IS 'Requests queued and not yet sent, as it last counted them';
COMMENT ON COLUMN dune_mv.worker.in_flight IS 'Requests being sent now';
COMMENT ON COLUMN dune_mv.worker.rate_limited_until IS 'Until when a 429 holds the queue back, if it does';
COMMENT ON COLUMN dune_mv.worker.last_error IS 'The last error it met';
COMMENT ON COLUMN dune_mv.worker.last_error_at IS 'When';

REVOKE ALL ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_request_cancel(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_request_resend(bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_worker_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_upsert_async(text, bigint, text, timestamptz, boolean, text, boolean, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_refresh_async(text, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_create_async(text[], text, text, text, jsonb, boolean, boolean, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION lance_mv_refresh_async(text[], bigint, integer, integer, integer, bigint, bigint, text, jsonb, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_load_async(text, text, text, bigint[]) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_request_cancel(bigint) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_request_resend(bigint) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_worker_status() TO dune_mv_user;
GRANT SELECT ON dune_mv.worker TO dune_mv_user;

-- Wake this database's worker when the extension is created (it starts one
-- if none runs; called at commit).
CREATE FUNCTION dune_mv_worker_start()
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_worker_start'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_worker_start() IS
	'Ask the launcher to start this database''s background worker at commit (CREATE EXTENSION calls it)';
REVOKE ALL ON FUNCTION dune_mv_worker_start() FROM PUBLIC;
SELECT dune_mv_worker_start();

-- Calls whose caller's transaction did not keep their record are written by
-- the worker (src/worker/journal.c), with their error.
ALTER TABLE dune_mv.calls ADD COLUMN error text;
COMMENT ON COLUMN dune_mv.calls.error IS
	'For a call recorded by the worker because its caller''s transaction did not keep the record: the error, or why its outcome is unknown';
COMMENT ON COLUMN dune_mv.calls.outcome IS
	'''ok'', or ''skipped'' for a refresh not sent because another refresh of the view was in progress; for a call the worker recorded because its caller''s transaction did not keep the record: ''ok'', ''error'' or ''unknown'' (sent, no answer seen)';

-- dune_mv_purge also deletes settled requests.
ALTER TYPE dune_mv.purge_result ADD ATTRIBUTE requests bigint;
COMMENT ON COLUMN dune_mv.purge_result.requests IS 'Settled rows deleted from dune_mv.requests';
COMMENT ON FUNCTION dune_mv_purge(interval) IS
	'Delete the caller''s calls, executions and settled requests older than older_than (NULL: dune_mv.purge_after), keeping each known view''s latest call and execution';

-- Who owns each remote view (src/functions/ownership.c checks, src/catalog/
-- record.c writes): the role that created it through the extension.  Other
-- members may read and refresh it; replacing, deleting or dropping it, or
-- cancelling its executions, needs that role (or a role it was granted to)
-- or dune_mv_admin, which may also act on views the catalog does not know.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dune_mv_admin') THEN
		CREATE ROLE dune_mv_admin NOLOGIN;
	END IF;
END
$$;
GRANT dune_mv_user TO dune_mv_admin;

CREATE TABLE dune_mv.owners (
	provider	text NOT NULL,
	full_name	text NOT NULL,	-- Dune: dune.<team>.result_...; Lance: the id joined with its delimiter
	ident		text NOT NULL,	-- the view whatever spelling names it (remote_views.ident)
	owner		oid NOT NULL,	-- the role that created it
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (provider, full_name)
);
CREATE INDEX owners_ident_idx ON dune_mv.owners (provider, ident);
COMMENT ON TABLE dune_mv.owners IS
	'The role that created each remote view through the extension: it (or a role it was granted to, or dune_mv_admin) may replace, delete or drop it and cancel its executions';
COMMENT ON COLUMN dune_mv.owners.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.owners.full_name IS 'Dune: the fully qualified name; Lance: the id joined with its delimiter';
COMMENT ON COLUMN dune_mv.owners.ident IS 'The view''s identity whatever spelling named it (as remote_views.ident)';
COMMENT ON COLUMN dune_mv.owners.owner IS 'The OID of the role that created it (pg_roles.oid)';
COMMENT ON COLUMN dune_mv.owners.created_at IS 'When it was created through the extension';
COMMENT ON INDEX dune_mv.owners_pkey IS 'One owner per view';
COMMENT ON INDEX dune_mv.owners_ident_idx IS 'A view by its identity';
ALTER TABLE dune_mv.owners ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.owners FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
COMMENT ON POLICY own_rows ON dune_mv.owners IS 'Each role reads the rows of the views it may act on as owner';
GRANT SELECT ON dune_mv.owners TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.owners', '');
-- Views created through 1.0: the role whose successful upsert or create made them.
INSERT INTO dune_mv.owners (provider, full_name, ident, owner, created_at)
SELECT DISTINCT ON (v.provider, v.full_name) v.provider, v.full_name, v.ident, r.oid, v.created_at
FROM dune_mv.remote_views v
JOIN pg_catalog.pg_roles r ON r.rolname = v.role
WHERE EXISTS (SELECT 1 FROM dune_mv.calls c WHERE c.role = v.role AND c.provider = v.provider
			  AND c.operation IN ('upsert', 'create') AND c.outcome = 'ok'
			  AND c.target IN (v.name, v.full_name))
ORDER BY v.provider, v.full_name, v.created_at;
