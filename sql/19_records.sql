-- A call that changes remote state keeps its record whatever follows the
-- request: the caller's transaction records it when it commits; otherwise
-- the worker does, from the journal, in its own transaction.
CREATE FUNCTION test.calls_after(c0 bigint, n int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '30 seconds';
BEGIN
	WHILE (SELECT count(*) FROM dune_mv.calls WHERE id > c0) < n
		AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
SELECT name FROM dune_mv_upsert('result_r19', 19);
SELECT max(id) AS c0 FROM dune_mv.calls \gset

-- 1. A plain rollback.
BEGIN;
SELECT execution_id IS NOT NULL AS started FROM dune_mv_refresh('result_r19');
ROLLBACK;
-- 2. A savepoint rolled back.
BEGIN;
SAVEPOINT s;
SELECT execution_id IS NOT NULL AS started FROM dune_mv_refresh('result_r19');
ROLLBACK TO s;
COMMIT;
-- 3. An exception block.
DO $$
BEGIN
	PERFORM dune_mv_refresh('result_r19');
	RAISE EXCEPTION 'something after the refresh failed';
EXCEPTION WHEN OTHERS THEN
	NULL;
END
$$;
-- 4. A later statement of the transaction fails.
BEGIN;
SELECT execution_id IS NOT NULL AS started FROM dune_mv_refresh('result_r19');
SELECT 1 / 0;
ROLLBACK;
-- 5. A trigger's statement fails after the trigger refreshed.
CREATE TABLE test.r19 (n int CHECK (n > 0));
CREATE FUNCTION test.r19_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM dune_mv_refresh('result_r19');
	RETURN NEW;
END
$$;
CREATE TRIGGER r19 BEFORE INSERT ON test.r19 FOR EACH ROW EXECUTE FUNCTION test.r19_refresh();
INSERT INTO test.r19 VALUES (-1);
-- 6. statement_timeout after the request left (the stand-in holds it 3 s).
\! $DUNE_MV_CTL -q dune fault delay_ms=3000 match=/refresh
SET statement_timeout = '500ms';
SELECT test.try($$SELECT dune_mv_refresh('result_r19')$$);
RESET statement_timeout;
-- 7. The connection breaks after the request was sent.
\! $DUNE_MV_CTL -q dune fault reset=1 match=/refresh
SELECT test.try($$SELECT dune_mv_refresh('result_r19')$$);
-- 8. A 2xx reply that cannot be read (no execution id).
\! $DUNE_MV_CTL -q dune fault status=200 body='{"sql_id": "dune.testteam.result_r19"}' match=/refresh
SELECT test.try($$SELECT dune_mv_refresh('result_r19')$$);
-- 9. A reply with an error status.
\! $DUNE_MV_CTL -q dune fault status=402 body='{"error": "billing limit reached"}' match=/refresh
SELECT test.try($$SELECT dune_mv_refresh('result_r19')$$);

SELECT test.calls_after(:c0, 9);
SELECT operation, outcome, http_status, execution_id IS NOT NULL AS has_execution, error
FROM dune_mv.calls WHERE id > :c0 ORDER BY outcome, http_status, error;
-- The executions those refreshes started are known, and followed like any other.
SELECT count(*) AS executions_recorded FROM dune_mv.calls c JOIN dune_mv.executions e
	ON e.remote_id = c.execution_id AND e.started_by = 'refresh'
WHERE c.id > :c0;
-- A committed call is recorded once, by its own transaction.
SELECT max(id) AS c1 FROM dune_mv.calls \gset
SELECT execution_id IS NOT NULL AS started FROM dune_mv_refresh('result_r19');
SELECT pg_sleep(0.5);
SELECT count(*) AS recorded_once FROM dune_mv.calls WHERE id > :c1;
