-- Upper bounds of timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- Long calls end at once on statement_timeout and pg_cancel_backend (SQLSTATE 57014).
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_slow', 3);

-- statement_timeout, while the server sits on the answer for 5 s.
\! $DUNE_MV_CTL -q dune fault delay_ms=5000
SET statement_timeout = '300ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM dune_mv_refresh('result_slow');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '800 ms' * :slack AS ended_quickly;

-- pg_cancel_backend from another session, 300 ms into a 5 s wait.
\! $DUNE_MV_CTL -q dune fault delay_ms=5000
\! (sleep 0.3; psql -X -q -d postgres -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query LIKE 'SELECT * FROM dune_mv_refresh(''result_slow'')%' AND pid <> pg_backend_pid()" >/dev/null) &
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM dune_mv_refresh('result_slow');
\echo :LAST_ERROR_SQLSTATE
-- (the canceller's own connection counts in this bound: seconds under memcheck)
SELECT clock_timestamp() - :'t0'::timestamptz < interval '2 s' * :slack AS ended_quickly;

-- Also while waiting out a Retry-After between attempts.
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=20
SET statement_timeout = '500ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM dune_mv_refresh('result_slow');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' * :slack AS ended_quickly;

-- The backend and its connection remain usable afterwards, and nothing was recorded for the failures.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_slow', 3);
SELECT execution_id FROM dune_mv_refresh('result_slow');
SELECT operation, count(*) FROM dune_mv.calls WHERE target LIKE '%result_slow' GROUP BY 1 ORDER BY 1;
