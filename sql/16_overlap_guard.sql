-- Timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- A view is not refreshed again while its last refresh is still running remotely, by
-- any role: the refresh is skipped and recorded, not an error.  Nothing is held while a
-- refresh runs, so an open transaction blocks nobody.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_guarded', 12);
SELECT name FROM dune_mv_upsert('result_unguarded', 13);
-- 1. Another session's refresh is in flight (the server takes 2 s to answer).
\! $DUNE_MV_CTL -q dune fault delay_ms=$((2000 * DUNE_MV_TIME_SLACK)) match=result_guarded/refresh
\! (psql -X -q -d contrib_regression -c "SELECT dune_mv_refresh('result_guarded')" >/dev/null 2>&1 &)
-- (until the request has reached the server)
\! for i in $(seq 600); do $DUNE_MV_CTL dune requests | grep -qF 'result_guarded/refresh' && break; sleep 0.05; done
-- No lock is held meanwhile (the view's lock lives only from the check to the send).
SELECT count(*) AS guard_locks FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 17485;
-- The fully qualified spelling of the same view is guarded too.
SELECT * FROM dune_mv_refresh('dune.testteam.result_guarded');
SELECT * FROM dune_mv_refresh('result_guarded');
SELECT outcome, request, http_status, execution_id FROM dune_mv.calls
WHERE target = 'dune.testteam.result_guarded' AND outcome = 'skipped';
-- Another view is not held up, nor a view of the same name in another team.
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_unguarded');
SELECT test.try($$SELECT dune_mv_refresh('dune.otherteam.result_guarded')$$) ~ 'HTTP' AS sent_not_skipped;
SELECT test.wait_other('SELECT dune_mv_refresh(''result_guarded'')', false);

-- 2. The remote state: once the execution is known to be running (read by the worker, or
-- by dune_mv_status), a refresh is skipped, whoever started it; when asked, it is not.
\! $DUNE_MV_CTL -q dune set pending_ms=1000 executing_ms=1000
SELECT execution_id AS running FROM dune_mv_refresh('result_guarded') \gset
SELECT state FROM dune_mv_status(:'running');
CREATE ROLE guard_other IN ROLE dune_mv_user;
SET ROLE guard_other;
SELECT * FROM dune_mv_refresh('dune.testteam.result_guarded');
RESET ROLE;
DROP ROLE guard_other;
SET dune_mv.refresh_while_running = on;
SELECT execution_id IS NOT NULL AS refreshed_anyway FROM dune_mv_refresh('result_guarded');
RESET dune_mv.refresh_while_running;
-- ... and once the last one has finished, it refreshes again.
SELECT remote_id AS latest FROM dune_mv.executions WHERE view_name = 'dune.testteam.result_guarded'
ORDER BY created_at DESC LIMIT 1 \gset
SELECT state FROM dune_mv_wait(:'latest', '30 seconds');
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_guarded');
\! $DUNE_MV_CTL -q dune set pending_ms=0 executing_ms=0
SELECT max(id) AS before3 FROM dune_mv.calls \gset

-- 3. A refresh whose caller keeps its transaction open: another role's refresh goes on
-- once that execution has finished (the guard reads its state from the API); the same
-- role's is skipped until that transaction ends (its view row is held until then).
\! (psql -X -q -U alice -d contrib_regression -c "BEGIN" -c "SELECT dune_mv_refresh('dune.testteam.result_unguarded')" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &)
SELECT test.wait_other('SELECT pg_sleep(4)', true);
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_unguarded');
SELECT operation, outcome FROM dune_mv.calls WHERE id > :before3 AND role = current_user ORDER BY id;
SELECT test.wait_other('SELECT pg_sleep(4)', false);
\! rm -f "$PGHOST/o16_done"; (psql -X -q -d contrib_regression -c "BEGIN" -c "SELECT dune_mv_refresh('result_unguarded')" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1; touch "$PGHOST/o16_done") &
SELECT test.wait_other('SELECT pg_sleep(4)', true);
SELECT * FROM dune_mv_refresh('result_unguarded');
-- (until that session has committed and ended)
\! for i in $(seq 600); do [ -f "$PGHOST/o16_done" ] && break; sleep 0.05; done; rm -f "$PGHOST/o16_done"
SELECT execution_id IS NOT NULL AS refreshed_after_its_commit FROM dune_mv_refresh('result_unguarded');
SELECT outcome, count(*) FROM dune_mv.calls WHERE target = 'dune.testteam.result_guarded'
AND operation = 'refresh' GROUP BY 1 ORDER BY 1;
