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
