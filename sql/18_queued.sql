-- Queued calls: checked like the synchronous ones, sent by the worker only
-- after the queuing transaction commits, recorded as synchronous calls are.
CREATE FUNCTION test.settled(ids bigint[]) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 seconds';
	open int;
BEGIN
	LOOP
		SELECT count(*) INTO open FROM dune_mv.requests
		WHERE id = ANY (ids) AND state IN ('queued', 'sending');
		EXIT WHEN open = 0 OR clock_timestamp() > deadline;
		PERFORM pg_sleep(0.05);
	END LOOP;
	RETURN CASE WHEN open = 0 THEN 'settled' ELSE open || ' still open' END;
END
$$;
SELECT alive FROM dune_mv.worker;
\! $DUNE_MV_CTL -q dune set pending_ms=300 executing_ms=300
SELECT name FROM dune_mv_upsert('result_q18', 18);
SELECT name FROM dune_mv_upsert('result_q18b', 19);
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset

-- Bad input fails at once, and nothing is queued.
SELECT test.try($$SELECT dune_mv_refresh_async('not a view')$$);
SELECT test.try($$SELECT dune_mv_refresh_async('result_q18', 'huge')$$);
SELECT test.try($$SELECT dune_mv_upsert_async('result_q18', 18, keep_schedule => true)$$);
SELECT test.try($$SELECT dune_mv_refresh_async('result_q18', after => ARRAY[-1]::bigint[])$$);
SELECT test.try($$SELECT lance_mv_refresh_async(ARRAY['q18', 'v'], concurrency => 0)$$);
SELECT count(*) AS queued FROM dune_mv.requests;

-- A rolled-back transaction sends nothing.
BEGIN;
SELECT dune_mv_refresh_async('result_q18') > 0 AS queued;
ROLLBACK;
SELECT pg_sleep(0.5);
SELECT count(*) AS requests FROM dune_mv.requests;
\! $DUNE_MV_CTL dune last

-- A committed one is sent exactly once, and recorded as a synchronous call is.
SELECT dune_mv_refresh_async('result_q18') AS r1 \gset
SELECT test.settled(ARRAY[:r1]);
SELECT state, execution_id IS NOT NULL AS has_execution, http_status, sqlstate,
	sent_at >= queued_at AS sent_after_queued, finished_at >= sent_at AS finished_after_sent
FROM dune_mv.requests WHERE id = :r1;
SELECT c.operation, c.target, c.outcome, c.http_status, c.execution_id = r.execution_id AS same_execution
FROM dune_mv.calls c, dune_mv.requests r WHERE c.id > :c0 AND r.id = :r1;
SELECT e.started_by, v.last_execution_id = e.remote_id AS view_knows_it
FROM dune_mv.requests r JOIN dune_mv.executions e ON e.remote_id = r.execution_id
JOIN dune_mv.views v ON v.name = 'result_q18' WHERE r.id = :r1;
\! $DUNE_MV_CTL dune last

-- Cancelled before it is sent: never sent.
BEGIN;
SELECT dune_mv_refresh_async('result_q18') AS r2 \gset
SELECT dune_mv_request_cancel(:r2) AS cancelled;
COMMIT;
SELECT dune_mv_request_cancel(:r2) AS cancelled_again;
SELECT state FROM dune_mv.requests WHERE id = :r2;

-- A trigger queues: the writing statement does not wait for the network (the
-- stand-in holds this refresh for 3 seconds).
CREATE TABLE test.q18_source (n int);
CREATE FUNCTION test.q18_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM dune_mv_refresh_async('result_q18');
	RETURN NULL;
END
$$;
CREATE TRIGGER q18 AFTER INSERT ON test.q18_source
	FOR EACH STATEMENT EXECUTE FUNCTION test.q18_refresh();
\! $DUNE_MV_CTL -q dune fault delay_ms=3000 match=/refresh
SELECT clock_timestamp() AS t0 \gset
INSERT INTO test.q18_source VALUES (1);
SELECT clock_timestamp() - :'t0' < interval '2 seconds' AS insert_did_not_wait;
SELECT max(id) AS r3 FROM dune_mv.requests \gset
SELECT test.settled(ARRAY[:r3]);
SELECT state FROM dune_mv.requests WHERE id = :r3;

-- A failure keeps the status, SQLSTATE and the API's text; a resend is deliberate.
\! $DUNE_MV_CTL -q dune fault status=500 body='{"error": "boom"}' match=/refresh
SELECT dune_mv_refresh_async('result_q18') AS r4 \gset
SELECT test.settled(ARRAY[:r4]);
SELECT state, http_status, sqlstate, message FROM dune_mv.requests WHERE id = :r4;
SELECT dune_mv_request_resend(:r4) AS r5 \gset
SELECT test.settled(ARRAY[:r5]);
SELECT state, resent_from = :r4 AS resends FROM dune_mv.requests WHERE id = :r5;
SELECT regexp_replace(test.try(format('SELECT dune_mv_request_resend(%s)', :r5)), '[0-9]+ cannot', 'N cannot');

-- A 429 sends the request back to the queue and holds it back for Retry-After.
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=1 match=/refresh
SELECT dune_mv_refresh_async('result_q18') AS r6 \gset
SELECT test.settled(ARRAY[:r6]);
SELECT state FROM dune_mv.requests WHERE id = :r6;
\! $DUNE_MV_CTL dune requests n=2
SELECT rate_limited_until IS NOT NULL AS held_back FROM dune_mv.worker;

-- Requests go out in parallel: four the stand-in holds for 1 second each
-- were all in flight at once.
\! $DUNE_MV_CTL -q dune fault delay_ms=1000 times=4 match=/refresh
-- (two of each view: the second of each is skipped while the worker sends the first)
SELECT array_agg(dune_mv_refresh_async(v)) AS batch
FROM (VALUES ('result_q18'), ('result_q18b'), ('result_q18'), ('result_q18b')) t(v) \gset
SELECT test.settled(:'batch');
SELECT count(*) FILTER (WHERE state = 'done') AS done,
	max(sent_at) < min(finished_at) AS all_in_flight_together
FROM dune_mv.requests WHERE id = ANY (:'batch');

-- Chains: the downstream request goes out once the upstream one is done and
-- its execution finished successfully; it is skipped when the upstream failed.
SELECT dune_mv_refresh_async('result_q18') AS up \gset
SELECT dune_mv_refresh_async('result_q18b', after => ARRAY[:up]) AS down \gset
SELECT test.settled(ARRAY[:up]);
SELECT pg_sleep(0.3);
SELECT state AS waits FROM dune_mv.requests WHERE id = :down;
SELECT state FROM dune_mv_wait((SELECT execution_id FROM dune_mv.requests WHERE id = :up), '30 seconds');
SELECT test.settled(ARRAY[:down]);
SELECT state FROM dune_mv.requests WHERE id = :down;
\! $DUNE_MV_CTL -q dune fault status=500 match=/refresh
SELECT dune_mv_refresh_async('result_q18') AS up2 \gset
SELECT dune_mv_refresh_async('result_q18b', after => ARRAY[:up2]) AS down2 \gset
SELECT test.settled(ARRAY[:up2, :down2]);
SELECT id = :up2 AS upstream, state, replace(message, :'up2', 'UP') AS message
FROM dune_mv.requests WHERE id IN (:up2, :down2) ORDER BY id;

-- The worker follows executions to their final state without any wait call,
-- and dune_mv_wait then reads what it records: this session cannot reach the
-- API itself and the wait still answers.
ALTER SYSTEM SET dune_mv.worker_follow = on;
ALTER SYSTEM SET dune_mv.poll_interval_min = '200ms';
ALTER SYSTEM SET dune_mv.poll_interval_max = '400ms';
-- (the executions that earlier suites left unfinished are read too: room for all)
ALTER SYSTEM SET dune_mv.worker_status_reads_per_minute = 100000;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
CREATE FUNCTION test.finished(request bigint) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 seconds';
	done boolean;
BEGIN
	LOOP
		SELECT e.is_finished INTO done FROM dune_mv.requests r
		JOIN dune_mv.executions e ON e.remote_id = r.execution_id WHERE r.id = request;
		EXIT WHEN done OR clock_timestamp() > deadline;
		PERFORM pg_sleep(0.1);
	END LOOP;
	RETURN CASE WHEN done THEN 'finished' ELSE 'not finished' END;
END
$$;
SELECT dune_mv_refresh_async('result_q18') AS f1 \gset
SELECT test.settled(ARRAY[:f1]);
SELECT test.finished(:f1);
SELECT e.state, e.is_finished,
	(SELECT count(*) FROM dune_mv.calls c WHERE c.operation = 'status'
	 AND c.execution_id = e.remote_id) > 0 AS read_by_the_worker
FROM dune_mv.requests r JOIN dune_mv.executions e ON e.remote_id = r.execution_id
WHERE r.id = :f1;
SELECT dune_mv_refresh_async('result_q18') AS f2 \gset
SELECT test.settled(ARRAY[:f2]);
SET dune_mv.dune_url = 'http://127.0.0.1:9/api';
SELECT state, is_finished FROM dune_mv_wait((SELECT execution_id FROM dune_mv.requests WHERE id = :f2), '30 seconds');
RESET dune_mv.dune_url;
ALTER SYSTEM RESET dune_mv.worker_follow;
ALTER SYSTEM RESET dune_mv.poll_interval_min;
ALTER SYSTEM RESET dune_mv.poll_interval_max;
ALTER SYSTEM RESET dune_mv.worker_status_reads_per_minute;
SELECT pg_reload_conf();

-- Row-level security: a role sees its own requests only.
CREATE ROLE q18_user IN ROLE dune_mv_user;
SET ROLE q18_user;
SELECT count(*) AS visible FROM dune_mv.requests;
SELECT dune_mv_request_cancel(:r1) AS cancels_anothers;
SELECT regexp_replace(test.try(format('SELECT dune_mv_request_resend(%s)', :r4)), '[0-9]+ cannot', 'N cannot');
RESET ROLE;
DROP ROLE q18_user;
