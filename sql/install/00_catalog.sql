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
COMMENT ON SCHEMA dune_mv IS
	'dune_mv''s catalog: calls, known views, executions and jobs; written only by the extension''s functions';
GRANT USAGE ON SCHEMA dune_mv TO dune_mv_user;

-- One row per successful call (and per run skipped by the overlap guard).
-- No CHECK constraints: only the extension writes these tables, and PostgreSQL
-- compiles CHECK expressions anew for every catalog statement (a fifth of the
-- cost of a refresh, see test/bench/README.md).  Values: provider 'dune' or
-- 'lance'; outcome 'ok' or 'skipped', and for a call whose caller's
-- transaction did not keep its record (written by the worker): 'ok', 'error'
-- or 'unknown' (sent, no answer seen).
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
	duration_ms double precision,
	error		text			-- why a call whose record the caller did not keep failed
);
ALTER SEQUENCE dune_mv.calls_id_seq OWNED BY dune_mv.calls.id;
CREATE INDEX calls_role_called_at_idx ON dune_mv.calls (role, called_at);
CREATE INDEX calls_execution_id_idx ON dune_mv.calls (execution_id) WHERE execution_id IS NOT NULL;
CREATE INDEX calls_target_idx ON dune_mv.calls (provider, target);
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
	'''ok'', or ''skipped'' for a refresh not sent because another refresh of the view was in progress; for a call the worker recorded because its caller''s transaction did not keep the record: ''ok'', ''error'' or ''unknown'' (sent, no answer seen)';
COMMENT ON COLUMN dune_mv.calls.request IS 'Method, path and body sent, never a credential; NULL for a skipped refresh';
COMMENT ON COLUMN dune_mv.calls.response IS 'The reply body as received; NULL when there was none';
COMMENT ON COLUMN dune_mv.calls.http_status IS 'HTTP status of the reply; NULL for a skipped refresh';
COMMENT ON COLUMN dune_mv.calls.execution_id IS 'The Dune execution id or Lance job id the call started or was about';
COMMENT ON COLUMN dune_mv.calls.version IS 'The Lance table version the reply reported (create, describe)';
COMMENT ON COLUMN dune_mv.calls.duration_ms IS 'How long the call took in milliseconds, retries and waits included; NULL for a skipped refresh';
COMMENT ON COLUMN dune_mv.calls.error IS
	'For a call recorded by the worker because its caller''s transaction did not keep the record: the error, or why its outcome is unknown';
COMMENT ON SEQUENCE dune_mv.calls_id_seq IS 'Ids of dune_mv.calls';
COMMENT ON INDEX dune_mv.calls_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.calls_role_called_at_idx IS 'A role''s calls by time (dune_mv_purge)';
COMMENT ON INDEX dune_mv.calls_execution_id_idx IS 'The calls about an execution or job';
COMMENT ON INDEX dune_mv.calls_target_idx IS 'The calls about a view, by provider and target';

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

-- Each role sees its own rows; only the extension (as the table owner) writes.
ALTER TABLE dune_mv.calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE dune_mv.remote_views ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.calls FOR SELECT USING (role = current_user);
CREATE POLICY own_rows ON dune_mv.remote_views FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.calls IS 'Each role reads only its own rows';
COMMENT ON POLICY own_rows ON dune_mv.remote_views IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.calls, dune_mv.remote_views, dune_mv.views TO dune_mv_user;

-- Rows are data, not part of the extension's definition: pg_dump keeps them.
SELECT pg_catalog.pg_extension_config_dump('dune_mv.calls', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.calls_id_seq', '');
