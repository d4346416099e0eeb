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
