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
