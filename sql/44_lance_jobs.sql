-- lance_mv_job_status; Lance jobs in the executions catalog and dune_mv.status.
\! $DUNE_MV_CTL -q lance reset
-- Job ids restart with the stand-in: forget those of earlier suites.
DELETE FROM dune_mv.executions WHERE provider = 'lance';
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
-- New jobs stay IN_PROGRESS until the suite forces another state.
\! $DUNE_MV_CTL -q lance set pending_ms=600000

-- create with data starts a job, recorded with started_by 'create' and state NULL;
-- create without data starts none, and records none.
SELECT version, job_id FROM lance_mv_create(ARRAY['j44', 'filled'], 'query', 'q', :'s1',
	with_no_data => false);
SELECT version, job_id FROM lance_mv_create(ARRAY['j44', 'empty'], 'query', 'q', :'s1');
SELECT job_id FROM lance_mv_refresh(ARRAY['j44', 'empty']);
SELECT remote_id, provider, view_name, started_by, state, is_finished, submitted_at,
	last_seen_at, reply, created_at IS NOT NULL AS created
FROM dune_mv.executions WHERE provider = 'lance' ORDER BY id;

-- Through the states: IN_PROGRESS, then DONE.
SELECT job_id, job_type, state, is_finished, created_at IS NOT NULL AS created, failure_phase,
	failure_message, failure_retryable, raw->>'job_state' AS raw_state
FROM lance_mv_job_status('job-000001');
\! $DUNE_MV_CTL lance last
SELECT state FROM lance_mv_job_status('job-000001');
\! $DUNE_MV_CTL -q lance set job=job-000001 state=DONE
SELECT state, is_finished, failure_phase FROM lance_mv_job_status('job-000001');
-- created_at is creation_ms (milliseconds since 1970), to the millisecond.
SELECT (extract(epoch FROM created_at) * 1000)::bigint = (raw->>'creation_ms')::bigint AS exact,
	created_at BETWEEN now() - interval '1 minute' AND clock_timestamp() AS recent
FROM lance_mv_job_status('job-000001');
-- One row per job, one state row per change (4 reads, 2 states).
SELECT remote_id, view_name, started_by, state, is_finished, submitted_at IS NOT NULL AS submitted,
	started_at, ended_at, error_type, error_message, last_seen_at >= created_at AS seen_later,
	reply->>'job_state' AS reply_state
FROM dune_mv.executions WHERE provider = 'lance' AND remote_id = 'job-000001';
SELECT s.remote_id, s.provider, s.role, s.state, s.seen_at >= e.created_at AS after_start
FROM dune_mv.execution_states s JOIN dune_mv.executions e ON e.id = s.execution_id
WHERE s.provider = 'lance' AND s.remote_id = 'job-000001' ORDER BY s.id;
-- Every read is a recorded call.
SELECT operation, target, execution_id, http_status, request, response - 'creation_ms' AS response
FROM dune_mv.calls WHERE id > :c0 AND operation = 'job_status' ORDER BY id LIMIT 1;
SELECT count(*) AS job_status_calls FROM dune_mv.calls
WHERE id > :c0 AND provider = 'lance' AND operation = 'job_status' AND execution_id = 'job-000001';

-- FAILED: the failure's fields.
\! $DUNE_MV_CTL -q lance set job=job-000002 state=FAILED
SELECT job_id, state, is_finished, failure_phase, failure_message, failure_retryable,
	raw->'failure' AS failure
FROM lance_mv_job_status('job-000002');
SELECT view_name, started_by, state, is_finished, error_type, error_message
FROM dune_mv.executions WHERE provider = 'lance' AND remote_id = 'job-000002';
-- A retryable failure, as configured for new jobs.
\! $DUNE_MV_CTL -q lance set pending_ms=0 final_state=FAILED failure_phase=apply failure_message='out of memory' failure_retryable=1
SELECT job_id FROM lance_mv_refresh(ARRAY['j44', 'empty']);
SELECT state, failure_phase, failure_message, failure_retryable FROM lance_mv_job_status('job-000003');
\! $DUNE_MV_CTL -q lance set pending_ms=600000 final_state=DONE
-- CANCELLED and TIMED_OUT are final; a state the API adds later is not: the job still runs.
SELECT job_id FROM lance_mv_refresh(ARRAY['j44', 'empty']);
\! $DUNE_MV_CTL -q lance set job=job-000004 state=QUEUED_FOR_GPU
SELECT state, is_finished FROM lance_mv_job_status('job-000004');
\! $DUNE_MV_CTL -q lance set job=job-000004 state=CANCELLED
SELECT state, is_finished, failure_phase FROM lance_mv_job_status('job-000004');
\! $DUNE_MV_CTL -q lance set job=job-000004 state=TIMED_OUT
SELECT state, is_finished FROM lance_mv_job_status('job-000004');
SELECT state FROM dune_mv.execution_states WHERE provider = 'lance' AND remote_id = 'job-000004'
ORDER BY id;

-- A job never started here is recorded as 'observed'; its view is unknown.  Fields
-- it lacks are NULL; creation_ms that is not an integer is NULL too.
\! $DUNE_MV_CTL -q lance fault status=200 body='{"job_id": "job-elsewhere", "job_state": "IN_PROGRESS", "creation_ms": 1734692658.5}'
SELECT job_id, job_type, state, is_finished, created_at, failure_phase, failure_retryable
FROM lance_mv_job_status('job-elsewhere');
\! $DUNE_MV_CTL -q lance fault status=200 body='{"job_state": "FAILED", "creation_ms": 1734692658123, "failure": {"phase": "plan", "retryable": false}}'
SELECT state, is_finished, created_at AT TIME ZONE 'UTC' AS created_utc, failure_phase,
	failure_message, failure_retryable
FROM lance_mv_job_status('job-elsewhere');
SELECT remote_id, view_name, started_by, state, is_finished, submitted_at AT TIME ZONE 'UTC' AS submitted_utc,
	error_type, error_message
FROM dune_mv.executions WHERE provider = 'lance' AND remote_id = 'job-elsewhere';
-- A reply without job_state is malformed; an unknown job is 42704.
\! $DUNE_MV_CTL -q lance fault status=200 body='{"job_id": "job-000001", "state": "DONE"}'
SELECT test.try($$SELECT lance_mv_job_status('job-000001')$$);
SELECT test.try($$SELECT lance_mv_job_status('job-999999')$$);
-- Reads are retried like any read (here a 503 without Retry-After).
\! $DUNE_MV_CTL -q lance fault status=503
SELECT state FROM lance_mv_job_status('job-000001');
\! $DUNE_MV_CTL lance requests n=2
-- Arguments are checked before any request (the last request stays the one above).
SELECT test.try($$SELECT lance_mv_job_status(NULL)$$);
SELECT test.try($$SELECT lance_mv_job_status('')$$);
SELECT test.try($$SELECT lance_mv_job_status('job 1')$$);
SELECT test.try($$SELECT lance_mv_job_status(repeat('j', 129))$$);
SELECT test.try($$SELECT lance_mv_wait(NULL)$$);
SELECT test.try($$SELECT lance_mv_wait('job-000001', NULL)$$);
SELECT test.try($$SELECT lance_mv_wait('job-000001', '-1 s')$$);
\! $DUNE_MV_CTL lance last

-- dune_mv.status: each Lance view's last job and what was last seen of it.
SELECT provider, name, full_name, execution_id, requested_at IS NOT NULL AS requested,
	started_by, state, is_finished, submitted_at IS NOT NULL AS submitted, error_type,
	error_message, checked_at IS NOT NULL AS checked
FROM dune_mv.status WHERE provider = 'lance' AND name LIKE 'j44%' ORDER BY name;

-- Each role records and sees its own jobs.
SET ROLE alice;
SELECT job_id FROM lance_mv_create(ARRAY['j44', 'alice'], 'query', 'q', :'s1', with_no_data => false);
SELECT state FROM lance_mv_job_status('job-000005');
RESET ROLE;
SET ROLE bob;
-- bob reads alice's job: his own 'observed' row, without a view name.
SELECT state FROM lance_mv_job_status('job-000005');
SELECT role, remote_id, view_name, started_by, state FROM dune_mv.executions
WHERE provider = 'lance' ORDER BY id;
SELECT name, execution_id, state FROM dune_mv.status WHERE provider = 'lance';
RESET ROLE;
SET ROLE alice;
SELECT role, remote_id, view_name, started_by, state FROM dune_mv.executions
WHERE provider = 'lance' ORDER BY id;
SELECT name, execution_id, started_by, state FROM dune_mv.status WHERE provider = 'lance';
RESET ROLE;
SET ROLE mallory;
SELECT test.try($$SELECT lance_mv_job_status('job-000005')$$);
RESET ROLE;
\! $DUNE_MV_CTL -q lance set pending_ms=0
