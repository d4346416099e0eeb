-- dune_mv_wait: polls with backoff until the execution is finished; timeout,
-- Upper bounds of timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- cancellation, and rate limiting while waiting.
\! $DUNE_MV_CTL -q dune reset
-- Execution ids restart with the stand-in: forget those of earlier suites.
DELETE FROM dune_mv.executions;
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
-- Poll intervals and the stand-in's state durations scale together with the slack,
-- so the same polls see the same states under valgrind.
SELECT set_config('dune_mv.poll_interval_min', (100 * :slack) || 'ms', false) AS ignored,
	set_config('dune_mv.poll_interval_max', (400 * :slack) || 'ms', false) AS ignored \gset

-- PENDING for 200 ms, EXECUTING until 600 ms, then COMPLETED; polls at about 0, 0.1, 0.3, 0.7 s.
\! $DUNE_MV_CTL -q dune set pending_ms=$((200 * DUNE_MV_TIME_SLACK)) executing_ms=$((400 * DUNE_MV_TIME_SLACK))
SELECT clock_timestamp() AS t0 \gset
SELECT execution_id FROM dune_mv_upsert('result_w42', 301);
SELECT execution_id, state, is_finished, started_at < ended_at AS ordered, cost_credits,
	error_type, raw->>'state' AS raw_state
FROM dune_mv_wait('01JDMV00000000000000000001');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '0.6 s' * :slack AND interval '1.5 s' * :slack AS took_about_700ms;
-- Every poll was recorded, and every state it was seen in.
SELECT state FROM dune_mv.execution_states WHERE remote_id = '01JDMV00000000000000000001' ORDER BY id;
SELECT count(*) BETWEEN 3 AND 5 AS polls_recorded FROM dune_mv.calls
WHERE id > :c0 AND operation = 'status' AND execution_id = '01JDMV00000000000000000001';
SELECT started_by, state, is_finished, ended_at IS NOT NULL AS ended
FROM dune_mv.executions WHERE remote_id = '01JDMV00000000000000000001';
-- A finished execution: one poll, no sleep.
SELECT count(*) AS polls_before FROM dune_mv.calls WHERE operation = 'status' \gset
SELECT state FROM dune_mv_wait('01JDMV00000000000000000001');
SELECT count(*) - :polls_before AS polls FROM dune_mv.calls WHERE operation = 'status';

SET dune_mv.poll_interval_min = '100ms';
SET dune_mv.poll_interval_max = '400ms';
-- Backoff: the intervals between polls (as the server saw them) double
-- from poll_interval_min up to poll_interval_max.
\! $DUNE_MV_CTL -q dune set pending_ms=0 executing_ms=2500
SELECT execution_id FROM dune_mv_refresh('result_w42');
SELECT state FROM dune_mv_wait('01JDMV00000000000000000002');
CREATE TEMP TABLE reqs (line text);
\copy reqs FROM PROGRAM '$DUNE_MV_CTL dune requests times=1' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT e.n AS poll, e.expected AS interval_s,
	g.gap BETWEEN e.expected - 0.005 AND e.expected + 0.15 AS as_expected
FROM (VALUES (2, 0.1), (3, 0.2), (4, 0.4), (5, 0.4), (6, 0.4), (7, 0.4)) e(n, expected)
LEFT JOIN (
	SELECT row_number() OVER (ORDER BY t) AS n, t - lag(t) OVER (ORDER BY t) AS gap
	FROM (SELECT (line::jsonb->>'t')::numeric AS t FROM reqs
		  WHERE line::jsonb->>'path' LIKE '%0002/status') s
) g USING (n)
ORDER BY e.n;

-- Failure: the error comes back in the row.
\! $DUNE_MV_CTL -q dune set pending_ms=0 executing_ms=150 final_state=QUERY_STATE_FAILED
SELECT execution_id FROM dune_mv_refresh('result_w42');
SELECT state, is_finished, error_type, error_message, ended_at IS NOT NULL AS ended
FROM dune_mv_wait('01JDMV00000000000000000003');
-- A final state the API adds later ends the wait too.
\! $DUNE_MV_CTL -q dune set final_state=QUERY_STATE_ARCHIVED
SELECT execution_id FROM dune_mv_refresh('result_w42');
SELECT state, is_finished, raw->'is_execution_finished' AS api_says
FROM dune_mv_wait('01JDMV00000000000000000004');

-- Timeout: 58030 naming the last state; the execution goes on.
\! $DUNE_MV_CTL -q dune set executing_ms=600000 final_state=QUERY_STATE_COMPLETED
SELECT execution_id FROM dune_mv_refresh('result_w42');
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000005', '300 ms')$$);
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '300 ms' AND interval '1 s' * :slack AS on_time;
-- A wait that fails rolls back with its statement: its polls are not recorded.
SELECT count(*) AS recorded FROM dune_mv.calls WHERE id > :c0 AND execution_id = '01JDMV00000000000000000005'
	AND operation = 'status';
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000005', '0')$$);

-- Cancellation: statement_timeout ends a wait at once, also while it sleeps.
SET dune_mv.poll_interval_min = '10s';
SET statement_timeout = '300ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM dune_mv_wait('01JDMV00000000000000000005');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '600 ms' * :slack AS ended_quickly;
SET dune_mv.poll_interval_min = '100ms';
SELECT dune_mv_cancel('01JDMV00000000000000000005');

-- 429 while polling, retried within the poll by the transport (Retry-After 1 s).
\! $DUNE_MV_CTL -q dune set executing_ms=0
SELECT execution_id FROM dune_mv_refresh('result_w42');
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=1 match=/status
SELECT clock_timestamp() AS t0 \gset
SELECT state FROM dune_mv_wait('01JDMV00000000000000000006');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '2 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL dune requests n=2
-- A poll that still ends in 429 (its Retry-After is beyond dune_mv.timeout) does not
-- end the wait: it waits the Retry-After and polls again.
SET dune_mv.timeout = '500ms';
SELECT execution_id FROM dune_mv_refresh('result_w42');
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=1 match=/status
SELECT clock_timestamp() AS t0 \gset
SELECT state FROM dune_mv_wait('01JDMV00000000000000000007');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '2 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL dune requests n=2
SELECT http_status, count(*) FROM dune_mv.calls WHERE id > :c0 AND execution_id = '01JDMV00000000000000000007'
	AND operation = 'status' GROUP BY 1;
RESET dune_mv.timeout;
-- A Retry-After beyond the wait's own timeout ends the wait at once.
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=30 match=/status
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000007', '2 s')$$);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' * :slack AS gave_up_at_once;
-- Other failures end the wait with their own error.
\! $DUNE_MV_CTL -q dune fault status=404 body='{"error": "Object not found"}' match=/status
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000007')$$);
RESET dune_mv.poll_interval_min;
RESET dune_mv.poll_interval_max;
