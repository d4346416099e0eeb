-- Upper bounds of timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- Lance: every validation error (no request sent), credentials, and remote failures.
\! $DUNE_MV_CTL -q lance reset
-- test.s1(): the `id int64` output_schema of API-NOTES.md; test.udtf(): a UDTF envelope.
CREATE FUNCTION test.s1() RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='::text $$;
CREATE FUNCTION test.udtf() RETURNS text LANGUAGE sql IMMUTABLE AS
$$ SELECT 'eyJuYW1lIjogImVtYmVkX3RleHQiLCAibW9kdWxlIjogInVkdGZzLmVtYmVkIn0='::text $$;
-- test.lc(id, kind, spec, delimiter): test.try of lance_mv_create with a valid schema.
CREATE FUNCTION test.lc(id text[], kind text DEFAULT 'query', spec jsonb DEFAULT NULL,
	delimiter text DEFAULT '$') RETURNS text LANGUAGE sql AS $$
	SELECT test.try(format('SELECT lance_mv_create(%L, %L, %L, test.s1(), %L, delimiter => %L)',
		id, kind, 'q', spec, delimiter))
$$;
-- test.spec(kind, changes): a valid udtf_spec with changes applied (a JSON null drops a key).
CREATE FUNCTION test.spec(k text, ch jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
	SELECT jsonb_strip_nulls(jsonb_build_object('kind', k, 'udtf', test.udtf(),
		'udtf_sha', encode(sha256(convert_to(test.udtf(), 'UTF8')), 'hex'),
		'udtf_name', 'embed_text', 'udtf_version', '1.0') || ch)
$$;

-- The id.
SELECT test.try($$SELECT lance_mv_create(NULL, 'query', 'q', 'x')$$);
SELECT test.lc('{}');
SELECT test.lc(array_fill('n'::text, ARRAY[65]));
SELECT test.lc('{{a,b},{c,d}}');
SELECT test.lc(ARRAY['ns', NULL]);
SELECT test.lc(ARRAY['ns', '']);
SELECT test.lc(ARRAY['.', 'v']);
SELECT test.lc(ARRAY['ns', '..']);
SELECT test.lc(ARRAY['ns', repeat('x', 257)]);
SELECT test.lc(ARRAY['ns', E'tab\there']);
SELECT test.lc(ARRAY['ns', E'new\nline']);
SELECT test.lc(ARRAY['price$usd', 'v']);
SELECT test.lc(ARRAY['ns.x', 'v'], delimiter => '.');
SELECT test.lc(ARRAY['a::b', 'v'], delimiter => '::');
-- A name whose percent-encoding holds the delimiter, or overlapping it: ambiguous.
SELECT test.lc(ARRAY['é', 'v'], delimiter => 'A');
SELECT test.lc(ARRAY['xa', 'y'], delimiter => 'aa');
-- The delimiter.
SELECT test.lc(ARRAY['ns', 'v'], delimiter => NULL);
SELECT test.lc(ARRAY['ns', 'v'], delimiter => '');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => '123456789');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => '/');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => ' ');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => '%');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => E'\n');
SELECT test.lc(ARRAY['ns', 'v'], delimiter => '.?');
-- kind, source_query, output_schema.
SELECT test.lc(ARRAY['ns', 'v'], kind => NULL);
SELECT test.lc(ARRAY['ns', 'v'], kind => '');
SELECT test.lc(ARRAY['ns', 'v'], kind => 'scalar_udtf');
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', NULL, 'x')$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', '', 'x')$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', NULL)$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', '')$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', 'not base64!')$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', 'AAAAAAAA')$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', translate(test.s1(), '=', ''))$$);
-- with_no_data and auto_refresh have defaults; NULL is refused.
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', test.s1(), with_no_data => NULL)$$);
SELECT test.try($$SELECT lance_mv_create('{ns,v}', 'query', 'q', test.s1(), auto_refresh => NULL)$$);
-- udtf_spec: present exactly for udtf and chunker, an object, its kind the view's kind.
SELECT test.lc('{ns,v}', 'query', test.spec('udtf'));
SELECT test.lc('{ns,v}', 'udtf');
SELECT test.lc('{ns,v}', 'chunker');
SELECT test.lc('{ns,v}', 'udtf', '[1, 2]');
SELECT test.lc('{ns,v}', 'udtf', '"spec"');
SELECT test.lc('{ns,v}', 'udtf', 'null');
SELECT test.lc('{ns,v}', 'udtf', test.spec('chunker'));
SELECT test.lc('{ns,v}', 'chunker', test.spec('udtf'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('query'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('chunker', '{"batch": true}'));
-- Required fields, unknown fields, JSON types.
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"udtf_name": null}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf') - 'udtf_version');
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf') - 'kind');
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf') || '{"udtf_version": null}'::jsonb);
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"identity": {"api_key": "k"}}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"num_cpu": 1}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"udtf_name": 5}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"udtf_version": ""}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"input_columns": "text"}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"input_columns": ["text", ""]}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"input_columns": [1]}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"num_cpus": -1}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"num_gpus": "1"}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"memory": 1.5}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"memory": -1}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"error_handling": "skip"}'));
SELECT test.lc('{ns,v}', 'chunker', test.spec('chunker', '{"batch": "yes"}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"manifest": {"pip": []}}'));
-- Fields of one kind only; partition keys exclude each other.
SELECT test.lc('{ns,v}', 'chunker', test.spec('chunker', '{"partition_by": "day"}'));
SELECT test.lc('{ns,v}', 'chunker', test.spec('chunker', '{"error_handling": {}}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"batch": true}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"partition_by": "day", "partition_by_indexed_column": "vec"}'));
-- udtf is standard base64, udtf_sha its SHA-256 in lowercase hex; likewise the manifest's checksum.
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('udtf', 'ey=9', 'udtf_sha', encode(sha256('ey=9'), 'hex'))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('udtf', 'e-J_', 'udtf_sha', encode(sha256('e-J_'), 'hex'))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('udtf', 'eyJ9fQ', 'udtf_sha', encode(sha256('eyJ9fQ'), 'hex'))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('udtf_sha', upper(encode(sha256(convert_to(test.udtf(), 'UTF8')), 'hex')))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', '{"udtf_sha": "abc"}'));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('udtf_sha', encode(sha256('other'), 'hex'))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('manifest_checksum', encode(sha256('{}'), 'hex'))));
SELECT test.lc('{ns,v}', 'udtf', test.spec('udtf', jsonb_build_object('manifest', '{}', 'manifest_checksum', encode(sha256('{ }'), 'hex'))));
-- Refresh options.
SELECT test.try($$SELECT lance_mv_refresh(NULL)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', delimiter => NULL)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,""}')$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', src_version => -1)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', max_rows_per_fragment => 0)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', concurrency => -4)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', intra_applier_concurrency => 0)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', source_task_size => 0)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', output_limit => 0)$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', cluster => '')$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', manifest => '[1]')$$);
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}', manifest => '"{\"pip\": []}"')$$);
-- None of the above sent anything.
\! $DUNE_MV_CTL lance stats

-- Credentials: headers only, at least the key or the token.
ALTER SYSTEM SET dune_mv.lance_api_key = '';
ALTER SYSTEM SET dune_mv.lance_bearer_token = '';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT test.lc('{ns,v}');
SELECT test.try($$SELECT lance_mv_refresh('{ns,v}')$$);
\! $DUNE_MV_CTL lance stats
-- The bearer token alone.
ALTER SYSTEM RESET dune_mv.lance_bearer_token;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT * FROM lance_mv_create('{creds,v}', 'query', 'q', test.s1());
\! $DUNE_MV_CTL lance last headers=1
-- The API key alone.
ALTER SYSTEM RESET dune_mv.lance_api_key;
ALTER SYSTEM SET dune_mv.lance_bearer_token = '';
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT * FROM lance_mv_refresh('{creds,v}');
\! $DUNE_MV_CTL lance last headers=1
ALTER SYSTEM RESET dune_mv.lance_bearer_token;
SELECT pg_reload_conf();
SELECT pg_sleep(1);
SELECT * FROM lance_mv_refresh('{creds,v}');
\! $DUNE_MV_CTL lance last headers=1

-- Remote failures: the SQLSTATE of the HTTP status, the Lance code and text, the request.
\set VERBOSITY default
SELECT count(*) AS calls_before FROM dune_mv.calls WHERE provider = 'lance' \gset
SELECT max(id) AS lance_c0 FROM dune_mv.calls \gset
-- 400 InvalidInput (code 13).
\! $DUNE_MV_CTL -q lance fault status=400 body='{"code": 13, "error": "invalid source_query", "detail": "source_query: unknown table docs", "instance": "/v1/materialized_view/creds$v/refresh"}'
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
-- 401 Unauthenticated (code 16): the server no longer takes our key or token.
\! $DUNE_MV_CTL -q lance set api_key=rotated-key token=rotated-token
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
\! $DUNE_MV_CTL -q lance set api_key=$DUNE_MV_LANCE_KEY token=$DUNE_MV_LANCE_TOKEN
-- 401 when the deployment needs x-lancedb-database and none is set; 403 (code 15) for another one.
SET dune_mv.lance_database = '';
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
SET dune_mv.lance_database = 'someone_elses_db';
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
-- A header value with a line break is refused before sending.
SET dune_mv.lance_database = E'testdb\r\nx-forged: 1';
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
RESET dune_mv.lance_database;
-- 404 TableNotFound (code 4) and NamespaceNotFound (code 1).
SELECT test.try($$SELECT lance_mv_refresh('{creds,nothing}')$$);
SELECT test.try($$SELECT lance_mv_refresh('{nowhere,nothing}')$$);
-- 409 TableAlreadyExists (code 5).
SELECT test.lc('{creds,v}');
-- 500 Internal (code 18), not retried.
\! $DUNE_MV_CTL -q lance fault status=500
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
-- 503 ServiceUnavailable (code 17) without Retry-After: not retried.
\! $DUNE_MV_CTL -q lance fault status=503
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
\! $DUNE_MV_CTL lance requests n=2
-- RFC 7807 problem documents and plain text bodies.
\! $DUNE_MV_CTL -q lance fault status=422 content_type=application/problem+json body='{"type": "https://lancedb.com/errors/invalid-input", "title": "Invalid input", "status": 422, "detail": "output_schema field 0 has no name"}'
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
\! $DUNE_MV_CTL -q lance fault status=502 content_type=text/plain body='upstream connect error or disconnect/reset before headers'
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
-- Each failed call that may have changed remote state keeps its record: the
-- worker writes it from the journal, with the error (worker/journal.c).
SELECT test.calls_after(:lance_c0, 10);
SELECT count(*) - :calls_before AS calls_recorded FROM dune_mv.calls WHERE provider = 'lance';
SELECT outcome, count(*), bool_and(error IS NOT NULL) AS with_error
FROM dune_mv.calls WHERE id > :lance_c0 GROUP BY 1;

-- 503 with Retry-After is retried after it (LanceDB asks for it), then succeeds.
\! $DUNE_MV_CTL -q lance fault status=503 retry_after=1
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM lance_mv_refresh('{creds,v}');
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '3 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL lance requests n=2
-- 429 Throttling (code 21) with Retry-After: the same.
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=1
SELECT clock_timestamp() AS t0 \gset
SELECT * FROM lance_mv_create('{creds,throttled}', 'query', 'q', test.s1());
SELECT clock_timestamp() - :'t0'::timestamptz BETWEEN interval '1 s' AND interval '3 s' * :slack AS waited_retry_after;
\! $DUNE_MV_CTL lance requests n=2
-- 429 without Retry-After backs off until dune_mv.timeout is spent, then raises code 21.
SET dune_mv.timeout = '2s';
\! $DUNE_MV_CTL -q lance fault status=429 times=10
SELECT test.try_n($$SELECT lance_mv_refresh('{creds,v}')$$);
-- A Retry-After beyond the time left: raised at once.
\! $DUNE_MV_CTL -q lance reset
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=30
SELECT clock_timestamp() AS t0 \gset
SELECT test.try($$SELECT lance_mv_refresh('{creds,v}')$$);
SELECT clock_timestamp() - :'t0'::timestamptz < interval '1 s' * :slack AS gave_up_at_once;
RESET dune_mv.timeout;

-- Malformed 2xx replies.
\! $DUNE_MV_CTL -q lance reset
SELECT version FROM lance_mv_create('{bad,v}', 'query', 'q', test.s1());
\! $DUNE_MV_CTL -q lance fault malformed=1
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
\! $DUNE_MV_CTL -q lance fault status=202 body='{"job": "job-000009"}'
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
\! $DUNE_MV_CTL -q lance fault status=202 body='{"job_id": 9}'
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
\! $DUNE_MV_CTL -q lance fault status=202 body='[{"job_id": "job-000009"}]'
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
\! $DUNE_MV_CTL -q lance fault status=201 body=
SELECT test.lc('{bad,w}');
\! $DUNE_MV_CTL -q lance fault status=201 body='{"version": "1"}'
SELECT test.lc('{bad,w}');
\! $DUNE_MV_CTL -q lance fault status=201 body='{"version": -1}'
SELECT test.lc('{bad,w}');
\! $DUNE_MV_CTL -q lance fault status=201 body='{"version": 1, "job_id": 7}'
SELECT test.lc('{bad,w}');

-- A reset connection after the request left: not retried (it may have started a job).
\c
\! $DUNE_MV_CTL -q lance reset
\! $DUNE_MV_CTL -q lance fault reset=1
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
\! $DUNE_MV_CTL lance stats
-- No base URL.
SET dune_mv.lance_url = '';
SELECT test.try($$SELECT lance_mv_refresh('{bad,v}')$$);
RESET dune_mv.lance_url;
