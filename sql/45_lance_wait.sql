-- lance_mv_wait: polls with backoff until the job is finished; timeout,
-- Upper bounds of timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- cancellation, and rate limiting while waiting.
\! $DUNE_MV_CTL -q lance reset
-- Job ids restart with the stand-in: forget those of earlier suites.
DELETE FROM dune_mv.executions WHERE provider = 'lance';
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
-- Poll intervals and the stand-in's state durations scale together with the slack,
-- so the same polls see the same states under valgrind.
SELECT set_config('dune_mv.poll_interval_min', (100 * :slack) || 'ms', false) AS ignored,
	set_config('dune_mv.poll_interval_max', (400 * :slack) || 'ms', false) AS ignored \gset

-- IN_PROGRESS for 600 ms, then DONE; polls at about 0, 0.1, 0.3, 0.7 s.
\! $DUNE_MV_CTL -q lance set pending_ms=$((200 * DUNE_MV_TIME_SLACK)) executing_ms=$((400 * DUNE_MV_TIME_SLACK))
SELECT clock_timestamp() AS t0 \gset
SELECT job_id FROM lance_mv_create(ARRAY['w45', 'view'], 'query', 'q', :'s1', with_no_data => false);
SELECT job_id, job_type, state, is_finished, created_at IS NOT NULL AS created, failure_phase,
	raw->>'job_state' AS raw_state
FROM lance_mv_wait('job-000001');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '0.6 s' * :slack AND interval '1.5 s' * :slack AS took_about_700ms;
-- Every poll was recorded, and every state it was seen in.
SELECT state FROM dune_mv.execution_states WHERE provider = 'lance' AND remote_id = 'job-000001'
ORDER BY id;
SELECT count(*) BETWEEN 3 AND 5 AS polls_recorded FROM dune_mv.calls
WHERE id > :c0 AND operation = 'job_status' AND execution_id = 'job-000001';
SELECT view_name, started_by, state, is_finished FROM dune_mv.executions
WHERE provider = 'lance' AND remote_id = 'job-000001';
-- A finished job: one poll, no sleep.
SELECT count(*) AS polls_before FROM dune_mv.calls WHERE operation = 'job_status' \gset
SELECT state FROM lance_mv_wait('job-000001');
SELECT count(*) - :polls_before AS polls FROM dune_mv.calls WHERE operation = 'job_status';

SET dune_mv.poll_interval_min = '100ms';
SET dune_mv.poll_interval_max = '400ms';
-- Backoff: the intervals between polls (as the server saw them) double
-- from poll_interval_min up to poll_interval_max.
\! $DUNE_MV_CTL -q lance set pending_ms=0 executing_ms=2500
SELECT job_id FROM lance_mv_refresh(ARRAY['w45', 'view']);
SELECT state FROM lance_mv_wait('job-000002');
CREATE TEMP TABLE reqs (line text);
\copy reqs FROM PROGRAM '$DUNE_MV_CTL lance requests times=1' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
SELECT e.n AS poll, e.expected AS interval_s,
	g.gap BETWEEN e.expected - 0.005 AND e.expected + 0.15 AS as_expected
FROM (VALUES (2, 0.1), (3, 0.2), (4, 0.4), (5, 0.4), (6, 0.4), (7, 0.4)) e(n, expected)
LEFT JOIN (
	SELECT row_number() OVER (ORDER BY t) AS n, t - lag(t) OVER (ORDER BY t) AS gap
	FROM (SELECT (line::jsonb->>'t')::numeric AS t FROM reqs
		  WHERE line::jsonb->>'path' = '/v1/jobs/describe'
		  AND line::jsonb->'body'->>'job_id' = 'job-000002') s
) g USING (n)
ORDER BY e.n;
-- The same intervals in the recorded calls.
SELECT count(*) >= 7 AS polls_recorded,
	bool_and(gap IS NULL OR gap >= interval '95 ms') AS none_sooner_than_min,
	max(gap) < interval '550 ms' AS none_later_than_max
FROM (SELECT called_at - lag(called_at) OVER (ORDER BY id) AS gap FROM dune_mv.calls
	  WHERE id > :c0 AND operation = 'job_status' AND execution_id = 'job-000002') g;

-- FAILED ends the wait; the failure comes back in the row.
\! $DUNE_MV_CTL -q lance set executing_ms=150 final_state=FAILED failure_phase=write failure_message='disk full'
SELECT job_id FROM lance_mv_refresh(ARRAY['w45', 'view']);
SELECT state, is_finished, failure_phase, failure_message, failure_retryable
FROM lance_mv_wait('job-000003');
SELECT state, error_type, error_message FROM dune_mv.executions
WHERE provider = 'lance' AND remote_id = 'job-000003';
-- So do CANCELLED and TIMED_OUT; a state the API adds later does not.
\! $DUNE_MV_CTL -q lance set final_state=CANCELLED
SELECT job_id FROM lance_mv_refresh(ARRAY['w45', 'view']);
SELECT state, is_finished FROM lance_mv_wait('job-000004');
\! $DUNE_MV_CTL -q lance set final_state=PAUSED
SELECT job_id FROM lance_mv_refresh(ARRAY['w45', 'view']);
SELECT test.try($$SELECT lance_mv_wait('job-000005', '500 ms')$$);
\! $DUNE_MV_CTL -q lance set job=job-000005 state=TIMED_OUT
SELECT state, is_finished FROM lance_mv_wait('job-000005');

-- Timeout: 58030 naming the last state; the job goes on.
\! $DUNE_MV_CTL -q lance set executing_ms=600000 final_state=DONE
SELECT job_id FROM lance_mv_refresh(ARRAY['w45', 'view']);
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT lance_mv_wait('job-000006', '300 ms')$$);
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '300 ms' AND interval '1 s' * :slack AS on_time;
-- A wait that fails rolls back with its statement: its polls are not recorded.
SELECT count(*) AS recorded FROM dune_mv.calls WHERE id > :c0 AND execution_id = 'job-000006'
	AND operation = 'job_status';
SELECT test.try($$SELECT lance_mv_wait('job-000006', '0')$$);

-- Cancellation: statement_timeout ends a wait at once, also while it sleeps.
SET dune_mv.poll_interval_min = '10s';
SET statement_timeout = '300ms';
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM lance_mv_wait('job-000006');
\echo :LAST_ERROR_SQLSTATE
RESET statement_timeout;
SELECT clock_timestamp() - :'t0'::timestamptz < interval '600 ms' AS ended_quickly;
SET dune_mv.poll_interval_min = '100ms';

-- 429 while polling, retried within the poll by the transport (Retry-After 1 s).
\! $DUNE_MV_CTL -q lance set job=job-000006 state=DONE
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=1 match=/jobs/describe
SELECT clock_timestamp() AS t0 \gset
SELECT state FROM lance_mv_wait('job-000006');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '2 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL lance requests n=2
-- A poll that still ends in 429 (its Retry-After is beyond dune_mv.timeout) does not
-- end the wait: it waits the Retry-After and polls again.
SET dune_mv.timeout = '500ms';
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=1 match=/jobs/describe
SELECT clock_timestamp() AS t0 \gset
SELECT state FROM lance_mv_wait('job-000006');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '2 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL lance requests n=2
RESET dune_mv.timeout;
-- A Retry-After beyond the wait's own timeout ends the wait at once.
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=30 match=/jobs/describe
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT lance_mv_wait('job-000006', '2 s')$$);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' AS gave_up_at_once;
-- Other failures end the wait with their own error.
SELECT test.try($$SELECT lance_mv_wait('job-000099')$$);
\! $DUNE_MV_CTL -q lance fault status=500 match=/jobs/describe
SELECT test.try($$SELECT lance_mv_wait('job-000006')$$);

-- The view's row in dune_mv.status follows its last job.
SELECT name, execution_id, started_by, state, is_finished FROM dune_mv.status
WHERE provider = 'lance' AND name = 'w45$view';
RESET dune_mv.poll_interval_min;
RESET dune_mv.poll_interval_max;
\! $DUNE_MV_CTL -q lance set pending_ms=0 executing_ms=0
