-- Two refreshes of one view never overlap: the second is skipped and recorded, not an error.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_guarded', 12);
-- Another session refreshes the view while the server takes 2 s to answer.
\! $DUNE_MV_CTL -q dune fault delay_ms=2000 match=result_guarded/refresh
\! (psql -X -q -d contrib_regression -c "SELECT dune_mv_refresh('result_guarded')" >/dev/null 2>&1 &)
-- Wait until that session holds the view's guard (an advisory lock tagged "dune").
DO $$
BEGIN
	FOR i IN 1..200 LOOP
		EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE locktype = 'advisory'
						  AND classid = x'64756e65'::int::oid AND granted AND pid <> pg_backend_pid());
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
SELECT * FROM dune_mv_refresh('result_guarded');
SELECT outcome, request, http_status, execution_id FROM dune_mv.calls
WHERE target = 'dune.testteam.result_guarded' AND outcome = 'skipped';
-- Another view is not held up.
SELECT name FROM dune_mv_upsert('result_unguarded', 13);
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_unguarded');
-- Once the other run is over, the view refreshes again.
SELECT pg_sleep(2);
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_guarded');
SELECT outcome, count(*) FROM dune_mv.calls WHERE target = 'dune.testteam.result_guarded' GROUP BY 1 ORDER BY 1;
