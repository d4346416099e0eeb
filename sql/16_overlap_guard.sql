-- Two refreshes of one view never overlap: the second is skipped and recorded, not an error.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_guarded', 12);
-- Another session refreshes the view while the server takes 2 s to answer.
\! $DUNE_MV_CTL -q dune fault delay_ms=2000 match=result_guarded/refresh
\! (psql -X -q -d contrib_regression -c "SELECT dune_mv_refresh('result_guarded')" >/dev/null 2>&1 &)
-- Wait until that session holds the view's guard (an advisory lock in dune_mv's own key space).
CREATE FUNCTION pg_temp.wait_guard(held boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..400 LOOP
		EXIT WHEN held = EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'
								 AND objsubid = 17485 AND granted AND pid <> pg_backend_pid());
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
SELECT pg_temp.wait_guard(true);
-- SQL cannot take that lock: the advisory functions use another key space.
SELECT count(*) AS guard_locks_of_sql FROM pg_locks WHERE locktype = 'advisory' AND objsubid IN (1, 2);
-- The fully qualified spelling of the same view is guarded too.
SELECT * FROM dune_mv_refresh('dune.testteam.result_guarded');
SELECT * FROM dune_mv_refresh('result_guarded');
SELECT outcome, request, http_status, execution_id FROM dune_mv.calls
WHERE target = 'dune.testteam.result_guarded' AND outcome = 'skipped';
-- Another view is not held up.
SELECT name FROM dune_mv_upsert('result_unguarded', 13);
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_unguarded');
-- Once the other run is over, the view refreshes again.
SELECT pg_temp.wait_guard(false);
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_guarded');
SELECT outcome, count(*) FROM dune_mv.calls WHERE target = 'dune.testteam.result_guarded' GROUP BY 1 ORDER BY 1;
