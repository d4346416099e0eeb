-- dune_mv_status and dune_mv_cancel; the executions catalog and its state history.
\! $DUNE_MV_CTL -q dune reset
-- Execution ids restart with the stand-in: forget those of earlier suites.
DELETE FROM dune_mv.executions;
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
-- New executions stay PENDING until the suite forces another state.
\! $DUNE_MV_CTL -q dune set pending_ms=600000
SELECT execution_id FROM dune_mv_upsert('result_e41', 201);
-- upsert recorded the execution it started; state NULL until polled.
SELECT remote_id, provider, view_name, started_by, state, is_finished, submitted_at,
	last_seen_at, reply, created_at IS NOT NULL AS created
FROM dune_mv.executions WHERE view_name LIKE '%result_e41' ORDER BY id;

-- Through the states: PENDING, EXECUTING, COMPLETED.
SELECT execution_id, state, is_finished, submitted_at IS NOT NULL AS submitted, started_at,
	ended_at, cancelled_at, cost_credits, error_type, error_message
FROM dune_mv_status('01JDMV00000000000000000001');
\! $DUNE_MV_CTL dune last
SELECT state FROM dune_mv_status('01JDMV00000000000000000001');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000001 state=QUERY_STATE_EXECUTING
SELECT state, is_finished, started_at IS NOT NULL AS started, ended_at, cost_credits
FROM dune_mv_status('01JDMV00000000000000000001');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000001 state=QUERY_STATE_COMPLETED
SELECT state, is_finished, started_at <= ended_at AS ordered, cancelled_at, cost_credits,
	error_type, raw ? 'expires_at' AS result_expires, raw->>'execution_id' AS raw_id
FROM dune_mv_status('01JDMV00000000000000000001');
-- The stand-in sends 9 fractional digits: kept to the microsecond.
SELECT to_char(submitted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z'
	= raw->>'submitted_at' AS submitted_exact,
	to_char(ended_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '000Z'
	= raw->>'execution_ended_at' AS ended_exact
FROM dune_mv_status('01JDMV00000000000000000001');
-- One row per execution, one state row per change (5 polls, 3 states).
SELECT remote_id, view_name, started_by, state, is_finished, submitted_at IS NOT NULL AS submitted,
	started_at IS NOT NULL AS started, ended_at IS NOT NULL AS ended, cost_credits,
	last_seen_at >= created_at AS seen_later, reply->>'state' AS reply_state
FROM dune_mv.executions WHERE remote_id = '01JDMV00000000000000000001';
SELECT s.remote_id, s.provider, s.role, s.state, s.seen_at >= e.created_at AS after_start
FROM dune_mv.execution_states s JOIN dune_mv.executions e ON e.id = s.execution_id
WHERE s.remote_id = '01JDMV00000000000000000001' ORDER BY s.id;
-- Every poll is a recorded call.
SELECT operation, target, execution_id, http_status, request FROM dune_mv.calls
WHERE id > :c0 AND operation = 'status' AND execution_id = '01JDMV00000000000000000001' ORDER BY id LIMIT 1;
SELECT count(*) AS status_calls FROM dune_mv.calls
WHERE id > :c0 AND operation = 'status' AND execution_id = '01JDMV00000000000000000001';

-- Failure: error_type and error_message come from the error object.
SELECT execution_id FROM dune_mv_refresh('result_e41');
SELECT started_by, state FROM dune_mv.executions WHERE remote_id = '01JDMV00000000000000000002';
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000002 state=QUERY_STATE_FAILED
SELECT state, is_finished, error_type, error_message, raw->'error'->'metadata' AS metadata
FROM dune_mv_status('01JDMV00000000000000000002');
SELECT state, error_type, error_message FROM dune_mv.executions WHERE remote_id = '01JDMV00000000000000000002';
-- A state the API adds later is kept verbatim and counts as finished
-- (the stand-in says is_execution_finished false for it).
SELECT execution_id FROM dune_mv_refresh('result_e41');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000003 state=QUERY_STATE_TELEPORTED
SELECT state, is_finished, raw->'is_execution_finished' AS api_says
FROM dune_mv_status('01JDMV00000000000000000003');
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000003 state=QUERY_STATE_CANCELED
SELECT state, is_finished FROM dune_mv_status('01JDMV00000000000000000003');
SELECT state FROM dune_mv.execution_states WHERE remote_id = '01JDMV00000000000000000003' ORDER BY id;

-- Timestamps: truncated (not rounded) to microseconds, offsets honoured,
-- unreadable ones NULL.  An id never started here is recorded as 'observed'.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"execution_id": "01JDMVFOREIGN0000000000000", "state": "QUERY_STATE_EXECUTING", "is_execution_finished": false, "submitted_at": "2024-12-20T11:04:18.999999999Z", "execution_started_at": "2024-12-20t13:04:19.5+02:00", "execution_ended_at": "not a time", "cancelled_at": "2024-02-30T00:00:00Z", "execution_cost_credits": 12}'
SELECT state, is_finished, submitted_at AT TIME ZONE 'UTC' AS submitted_utc,
	started_at AT TIME ZONE 'UTC' AS started_utc, ended_at, cancelled_at, cost_credits
FROM dune_mv_status('01JDMVFOREIGN0000000000000');
\! $DUNE_MV_CTL -q dune fault status=200 body='{"state": "QUERY_STATE_EXECUTING", "submitted_at": "2024-12-20T11:04:18Z", "execution_started_at": "2024-12-20T06:34:18.25-05:30", "execution_cost_credits": 0.1, "error": "plain text error"}'
SELECT submitted_at AT TIME ZONE 'UTC' AS submitted_utc, started_at AT TIME ZONE 'UTC' AS started_utc,
	cost_credits, error_type, error_message
FROM dune_mv_status('01JDMVFOREIGN0000000000000');
SELECT remote_id, view_name, started_by, state, submitted_at AT TIME ZONE 'UTC' AS submitted_utc
FROM dune_mv.executions WHERE remote_id = '01JDMVFOREIGN0000000000000';
-- A reply without a state is malformed; an unknown execution is 42704.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"execution_id": "x"}'
SELECT test.try($$SELECT dune_mv_status('01JDMV00000000000000000001')$$);
SELECT test.try($$SELECT dune_mv_status('01JDMV00000000000000000099')$$);
-- Status reads are retried like any GET (here a 503).
\! $DUNE_MV_CTL -q dune fault status=503 body='{"error": "busy"}'
SELECT state FROM dune_mv_status('01JDMV00000000000000000001');
\! $DUNE_MV_CTL dune requests n=2
-- Arguments are checked before any request.
SELECT test.try($$SELECT dune_mv_status(NULL)$$);
SELECT test.try($$SELECT dune_mv_status('')$$);
SELECT test.try($$SELECT dune_mv_status('01JDMV 0001')$$);
SELECT test.try($$SELECT dune_mv_cancel(NULL)$$);
SELECT test.try($$SELECT dune_mv_wait(NULL)$$);
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000001', NULL)$$);
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000001', '-1 s')$$);
SELECT test.try($$SELECT dune_mv_wait('01JDMV00000000000000000001', '1000000 years')$$);

-- Cancel: true while the execution runs, false once it is over.
SELECT execution_id FROM dune_mv_refresh('result_e41');
SELECT dune_mv_cancel('01JDMV00000000000000000004');
\! $DUNE_MV_CTL dune last
SELECT state, is_finished, cancelled_at IS NOT NULL AS cancelled, started_at, ended_at
FROM dune_mv_status('01JDMV00000000000000000004');
SELECT dune_mv_cancel('01JDMV00000000000000000004');
SELECT operation, target, execution_id, response FROM dune_mv.calls
WHERE id > :c0 AND operation = 'cancel' ORDER BY id;
SELECT test.try($$SELECT dune_mv_cancel('01JDMV00000000000000000099')$$);
\! $DUNE_MV_CTL -q dune fault status=200 body='{"ok": true}'
SELECT test.try($$SELECT dune_mv_cancel('01JDMV00000000000000000004')$$);
-- Not resent after a 5xx (it may have arrived), but after a 429.
\! $DUNE_MV_CTL -q dune fault status=502 body='{"error": "bad gateway"}'
SELECT test.try($$SELECT dune_mv_cancel('01JDMV00000000000000000004')$$);
\! $DUNE_MV_CTL dune requests n=1
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=0
SELECT dune_mv_cancel('01JDMV00000000000000000004');
\! $DUNE_MV_CTL dune requests n=2

-- Each role records and sees its own executions.
SET ROLE bob;
SELECT execution_id FROM dune_mv_upsert('result_e41_bob', 202);
RESET ROLE;
SET ROLE alice;
SELECT execution_id FROM dune_mv_upsert('result_e41_alice', 203);
-- alice polls bob's execution: her own 'observed' row, without a view name.
SELECT state FROM dune_mv_status('01JDMV00000000000000000005');
SELECT role, remote_id, view_name, started_by, state FROM dune_mv.executions ORDER BY id;
SELECT role, remote_id, state FROM dune_mv.execution_states ORDER BY id;
-- Only the extension writes.
SELECT test.try($$INSERT INTO dune_mv.executions (provider, remote_id, started_by) VALUES ('dune', 'x', 'observed')$$);
SELECT test.try($$UPDATE dune_mv.executions SET state = 'forged'$$);
SELECT test.try($$DELETE FROM dune_mv.execution_states$$);
RESET ROLE;
SET ROLE bob;
SELECT role, remote_id, view_name, started_by, state FROM dune_mv.executions ORDER BY id;
RESET ROLE;
SET ROLE mallory;
SELECT test.try($$SELECT dune_mv_status('01JDMV00000000000000000005')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv.executions$$);
RESET ROLE;
