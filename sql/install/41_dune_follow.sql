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

CREATE FUNCTION dune_mv_status(execution_id text)
RETURNS dune_mv.execution_status
AS 'MODULE_PATHNAME', 'dune_mv_status'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_status(text) IS
	'Read a Dune execution''s status once (GET /v1/execution/{id}/status)';

CREATE FUNCTION dune_mv_wait(execution_id text, timeout interval DEFAULT '1 hour')
RETURNS dune_mv.execution_status
AS 'MODULE_PATHNAME', 'dune_mv_wait'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_wait(text, interval) IS
	'Wait until a Dune execution is finished, polling its status with backoff';

CREATE FUNCTION dune_mv_cancel(execution_id text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_cancel'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_cancel(text) IS
	'Cancel a Dune execution (POST /v1/execution/{id}/cancel); false when it was already over';

CREATE FUNCTION dune_mv_get(name text)
RETURNS dune_mv.view_info
AS 'MODULE_PATHNAME', 'dune_mv_get'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_get(text) IS
	'Read a Dune materialized view (GET /v1/materialized-views/{name}); the caller''s dune_mv.views row takes its definition';

CREATE FUNCTION dune_mv_list(OUT id text, OUT sql_id text, OUT query_id bigint,
							 OUT is_private boolean, OUT table_size_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dune_mv_list'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 100;
COMMENT ON FUNCTION dune_mv_list() IS
	'Every Dune materialized view of the key''s account, all pages (GET /v1/materialized-views)';

CREATE FUNCTION dune_mv_delete(name text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'dune_mv_delete'
LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION dune_mv_delete(text) IS
	'Delete a Dune materialized view (DELETE /v1/materialized-views/{name}) and the caller''s dune_mv.views row';

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
