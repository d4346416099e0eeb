-- Upper bounds of timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- Remote failures: one SQLSTATE per class, the HTTP status and Dune's own text.
\! $DUNE_MV_CTL dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);
\set VERBOSITY default

-- Each class in turn: queue a fault with Dune's error body, then call.
\! $DUNE_MV_CTL -q dune fault status=400 body='{"error": "Bad Request: performance tier not available"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=401 body='{"error": "Invalid API Key"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=402 body='{"error": "billing limit reached"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=403 body='{"error": "Not allowed to execute query"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=404 body='{"error": "Object not found"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=409 body='{"error": "conflicting existing Matview"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=500 body='{"error": "Internal error"}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=503 body='upstream unavailable' content_type=text/plain
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
-- No body at all: the status alone.
\! $DUNE_MV_CTL -q dune fault status=502 body=
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
-- A paid call is not retried after a 5xx: each fault above cost one request.
\! $DUNE_MV_CTL dune requests n=2

-- The real key is checked by the server: a wrong one is an authentication error.
\! $DUNE_MV_CTL -q dune set api_key=some-other-key
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);

-- A reply that is not what Dune sends.
\! $DUNE_MV_CTL -q dune fault malformed=1
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=200 body='{"execution_id": 42}'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL -q dune fault status=200 body='[1, 2]'
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
-- Larger than dune_mv.max_response_size.
SET dune_mv.max_response_size = 1024;
\! $DUNE_MV_CTL -q dune fault oversized=5000
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
RESET dune_mv.max_response_size;

-- A reset connection after the request left: not retried (it may have started paid work).
-- First on a fresh connection (a fresh session)...
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);
\c
\! $DUNE_MV_CTL -q dune fault reset=1
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL dune stats
-- ... then on a reused keep-alive connection, where libcurl would by itself resend the
-- request on a new connection: it cannot rewind the body, so the refresh is sent once.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);
\! $DUNE_MV_CTL -q dune fault reset=1
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
\! $DUNE_MV_CTL dune stats

-- 429 is retried after its Retry-After, and then succeeds.
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=1 body='{"error": "Too many requests"}'
SELECT clock_timestamp() AS t0 \gset
SELECT execution_id FROM dune_mv_refresh('result_errors');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '3 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL dune requests n=2
SELECT http_status, execution_id FROM dune_mv.calls ORDER BY id DESC LIMIT 1;
-- A Retry-After longer than the time left: the 429 is raised at once.
SET dune_mv.timeout = '2s';
\! $DUNE_MV_CTL -q dune fault status=429 retry_after=30 body='{"error": "Too many requests"}'
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' * :slack AS gave_up_at_once;
-- Repeated 429s without Retry-After back off (250 ms, doubling) until the budget is spent.
\! $DUNE_MV_CTL -q dune fault status=429 times=10
SELECT test.try_n($$SELECT dune_mv_refresh('result_errors')$$);
RESET dune_mv.timeout;
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_errors', 9);

-- A user cannot raise the timeout above the superuser's ceiling.
SET dune_mv.max_timeout = '500ms';
SET dune_mv.timeout = '10s';
\! $DUNE_MV_CTL -q dune fault delay_ms=3000
SELECT clock_timestamp() AS t0 \gset
SELECT test.try_n($$SELECT dune_mv_refresh('result_errors')$$);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1.5 s' * :slack AS capped;
RESET dune_mv.max_timeout;
RESET dune_mv.timeout;

-- Connection refused: retried with backoff (the request never left), then 08001.
SET dune_mv.dune_url = 'http://127.0.0.1:9/api';
SET dune_mv.timeout = '10s';
SELECT test.try_n($$SELECT dune_mv_refresh('result_errors')$$);
RESET dune_mv.dune_url;
RESET dune_mv.timeout;
-- A base URL that is not http(s) is refused before any request.
SET dune_mv.dune_url = 'file:///etc';
SELECT test.try($$SELECT dune_mv_refresh('result_errors')$$);
RESET dune_mv.dune_url;
