-- One curl handle per backend: 100 consecutive refreshes travel over one TCP connection.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_keepalive', 11);
-- (one statement refreshes one view 100 times: the guard would read each previous execution)
SET dune_mv.refresh_while_running = on;
SELECT count(*) AS refreshes, count(DISTINCT execution_id) AS distinct_executions
FROM (SELECT (dune_mv_refresh('result_keepalive')).execution_id FROM generate_series(1, 100)) r;
\! $DUNE_MV_CTL dune stats
RESET dune_mv.refresh_while_running;
SELECT count(*) FROM dune_mv.calls WHERE target = 'dune.testteam.result_keepalive' AND operation = 'refresh';
SELECT last_execution_id FROM dune_mv.views WHERE name = 'result_keepalive';
