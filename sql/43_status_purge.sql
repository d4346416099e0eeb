-- dune_mv.status (one row per view of the calling role) and dune_mv_purge.
-- Roles of their own, so that the counts do not depend on other suites.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carol') THEN
		CREATE ROLE carol LOGIN IN ROLE dune_mv_user;
		CREATE ROLE dave LOGIN IN ROLE dune_mv_user;
	END IF;
END
$$;
\! $DUNE_MV_CTL -q dune reset
\! $DUNE_MV_CTL -q dune set pending_ms=600000

SET ROLE carol;
SELECT execution_id FROM dune_mv_upsert('result_s43_a', 401);
SELECT execution_id FROM dune_mv_upsert('result_s43_b', 402);
-- Before any poll the state is unknown (NULL).
SELECT provider, name, full_name, execution_id, requested_at IS NOT NULL AS requested,
	started_by, state, is_finished, submitted_at, checked_at
FROM dune_mv.status ORDER BY name;
SELECT state FROM dune_mv_status('01JDMV00000000000000000001');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000001 state=QUERY_STATE_COMPLETED
SELECT execution_id FROM dune_mv_refresh('result_s43_b');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000003 state=QUERY_STATE_FAILED
SELECT state FROM dune_mv_wait('01JDMV00000000000000000003');
SELECT state FROM dune_mv_wait('01JDMV00000000000000000001');
-- Each view's last run: the refresh replaced b's upsert run.
SELECT name, execution_id, started_by, state, is_finished, submitted_at IS NOT NULL AS submitted,
	started_at IS NOT NULL AS started, ended_at IS NOT NULL AS ended, cancelled_at,
	cost_credits, error_type, error_message, checked_at IS NOT NULL AS checked
FROM dune_mv.status ORDER BY name;
RESET ROLE;
SET ROLE dave;
SELECT execution_id FROM dune_mv_upsert('result_s43_dave', 403);
SELECT name, execution_id, state FROM dune_mv.status ORDER BY name;
RESET ROLE;
-- A superuser sees their own views there too (none of these).
SELECT count(*) AS s43_views FROM dune_mv.status WHERE name LIKE 'result_s43%';
SELECT relname, relkind, reloptions FROM pg_class WHERE oid = 'dune_mv.status'::regclass;
SET ROLE mallory;
SELECT test.try($$SELECT count(*) FROM dune_mv.status$$);
RESET ROLE;

-- Purge: carol has 6 calls, 3 executions, 3 state rows.
SET ROLE carol;
SELECT (SELECT count(*) FROM dune_mv.calls) AS calls,
	(SELECT count(*) FROM dune_mv.executions) AS executions,
	(SELECT count(*) FROM dune_mv.execution_states) AS states;
-- Nothing is older than an hour, or than dune_mv.purge_after (30 days).
SELECT * FROM dune_mv_purge('1 hour');
SELECT * FROM dune_mv_purge();
-- Everything is older than 0 seconds, but each view's latest call and
-- latest execution stay; calls by execution id go by age alone.
SELECT * FROM dune_mv_purge('0');
SELECT operation, target FROM dune_mv.calls ORDER BY id;
SELECT remote_id, view_name, state FROM dune_mv.executions ORDER BY id;
SELECT remote_id, state FROM dune_mv.execution_states ORDER BY id;
SELECT name, execution_id, state FROM dune_mv.status ORDER BY name;
RESET ROLE;
-- Only the caller's rows: dave's are all there.
SET ROLE dave;
SELECT (SELECT count(*) FROM dune_mv.calls) AS calls,
	(SELECT count(*) FROM dune_mv.executions) AS executions;
SELECT state FROM dune_mv_status('01JDMV00000000000000000004');
SET dune_mv.refresh_while_running = on;	-- (the upsert's execution is still running)
SELECT execution_id FROM dune_mv_refresh('result_s43_dave');
RESET dune_mv.refresh_while_running;
RESET ROLE;

-- The default age is dune_mv.purge_after (superuser-only).
UPDATE dune_mv.calls SET called_at = called_at - interval '40 days' WHERE role = 'dave';
UPDATE dune_mv.executions SET created_at = created_at - interval '40 days' WHERE role = 'dave';
SET dune_mv.purge_after = '50d';
SET ROLE dave;
SELECT test.try($$SET dune_mv.purge_after = '1min'$$);
SELECT * FROM dune_mv_purge();
RESET ROLE;
RESET dune_mv.purge_after;
SET ROLE dave;
SELECT * FROM dune_mv_purge();
SELECT operation, target FROM dune_mv.calls ORDER BY id;
SELECT remote_id, started_by FROM dune_mv.executions ORDER BY id;
RESET ROLE;

-- A deleted view's rows are no longer kept as its latest.
SET ROLE carol;
SELECT dune_mv_delete('result_s43_a');
SELECT * FROM dune_mv_purge('0');
SELECT operation, target FROM dune_mv.calls ORDER BY id;
SELECT remote_id FROM dune_mv.executions ORDER BY id;
RESET ROLE;

-- Arguments and privileges.
SELECT test.try($$SELECT dune_mv_purge('-1 day')$$);
SET ROLE mallory;
SELECT test.try($$SELECT dune_mv_purge()$$);
RESET ROLE;
