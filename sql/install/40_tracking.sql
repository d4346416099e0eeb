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
CREATE INDEX executions_guard_idx ON dune_mv.executions
	(provider, (substring(view_name FROM '[^.]*$')), created_at);
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
COMMENT ON INDEX dune_mv.executions_guard_idx IS
	'Every role''s executions of a view by the last part of its name, newest last (the overlap guard)';

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

ALTER TABLE dune_mv.executions ENABLE ROW LEVEL SECURITY;
ALTER TABLE dune_mv.execution_states ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.executions FOR SELECT USING (role = current_user);
CREATE POLICY own_rows ON dune_mv.execution_states FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.executions IS 'Each role reads only its own rows';
COMMENT ON POLICY own_rows ON dune_mv.execution_states IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.executions, dune_mv.execution_states TO dune_mv_user;

SELECT pg_catalog.pg_extension_config_dump('dune_mv.executions', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.executions_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.execution_states', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.execution_states_id_seq', '');
-- (dune_mv.remote_views is dumped from here, after the 1.0 tables, in the order an
-- upgraded 1.0 install has them)
SELECT pg_catalog.pg_extension_config_dump('dune_mv.remote_views', '');

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
FROM dune_mv.remote_views v
LEFT JOIN dune_mv.executions e
	ON e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id
WHERE v.role = current_user;
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
GRANT SELECT ON dune_mv.status TO dune_mv_user;

-- dune_mv_purge: delete the caller's calls and executions older than the age
-- (NULL: dune_mv.purge_after), keeping each known view's latest call and
-- latest execution.
CREATE TYPE dune_mv.purge_result AS (calls bigint, executions bigint, execution_states bigint,
	requests bigint);
COMMENT ON TYPE dune_mv.purge_result IS 'What dune_mv_purge returns: how many rows it deleted';
COMMENT ON COLUMN dune_mv.purge_result.requests IS 'Settled rows deleted from dune_mv.requests';
COMMENT ON COLUMN dune_mv.purge_result.calls IS 'Rows deleted from dune_mv.calls';
COMMENT ON COLUMN dune_mv.purge_result.executions IS 'Rows deleted from dune_mv.executions';
COMMENT ON COLUMN dune_mv.purge_result.execution_states IS 'Rows deleted from dune_mv.execution_states';

CREATE FUNCTION dune_mv_purge(older_than interval DEFAULT NULL)
RETURNS dune_mv.purge_result
AS 'MODULE_PATHNAME', 'dune_mv_purge'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_purge(interval) IS
	'Delete the caller''s calls, executions and settled requests older than older_than (NULL: dune_mv.purge_after), keeping each known view''s latest call and execution';

REVOKE ALL ON FUNCTION dune_mv_purge(interval) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_purge(interval) TO dune_mv_user;
GRANT USAGE ON TYPE dune_mv.purge_result TO dune_mv_user;
