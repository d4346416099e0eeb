-- Hardening: what messages quote of input, the poll interval floor, messages
-- left intact by the log redaction, the manifest checksum over UTF-8, integers
-- json-c cannot hold, lance_arrow_schema's work, struct names that outlive
-- their tuple descriptor.
\! $DUNE_MV_CTL -q lance reset
\! $DUNE_MV_CTL -q dune reset
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
\set udtf 'eyJuYW1lIjogImVtYmVkX3RleHQiLCAibW9kdWxlIjogInVkdGZzLmVtYmVkIn0='

-- 1. A message quotes at most 64 characters of an input ("..." marks the cut),
-- control characters escaped: \r, \n, \t, others as \xNN.
SELECT dune_mv_upsert('result_hardening_' || repeat('z', 1000000), 1);
-- ... in the server log too: no ERROR line holds the megabyte.
\! awk '/ERROR:/ && /result_hardening_zzz/ && length > 1000' "$DUNE_MV_LOG" | wc -l
SELECT test.try(format('SELECT dune_mv_refresh(%L)', 'dune.team.result_' || repeat('y', 300)));
SELECT test.try(format('SELECT dune_mv_refresh(%L)', E'result_a\rb'));
SELECT test.try(format('SELECT dune_mv_upsert(%L, 1)', E'result_x\n\x01'));
SELECT test.try(format('SELECT dune_mv_status(%L)', E'01JD\tX'));
SELECT test.try(format('SELECT dune_mv_status(%L)', E'..'));
SELECT test.try(format('SELECT dune_mv_upsert(%L, 1, performance => %L)', 'result_h23', repeat('p', 100000)));
SELECT test.try(format('SELECT dune_mv_upsert(%L, 1, cron => %L)', 'result_h23', E'0 3 * *\x7f 1'));
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L], %L, %L, %L)', 'h23', repeat('k', 100000), 'q', :'s1'));
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L], %L, %L, %L)', 'h23', E'que\rry', 'q', :'s1'));
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L], %L, %L, %L, udtf_spec => %L)', 'h23', 'udtf', 'q', :'s1',
	jsonb_build_object(E'odd\tfield_' || repeat('f', 500), 1)));
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L, %L], %L, %L, %L)', 'h23', repeat('n', 250) || '$', 'query', 'q', :'s1'));
SELECT test.try(format('SELECT dune_mv_load(%L, %L, %L)', '01JDMV00000000000000000001', 'h23_t', repeat(E'm\n', 1000)));
SELECT test.try(format('SELECT lance_arrow_schema(%L)', E'a "no\rsuch\ttype"'));
SELECT test.try(format('SELECT lance_arrow_schema(%L)', 'a ''' || repeat('x', 100000) || ''''));
SELECT test.try(format('SELECT lance_arrow_schema(%L)', E'"a\nb" interval'));
-- Nothing was sent.
\! $DUNE_MV_CTL dune stats | python3 -c 'import json, sys; print("dune requests:", json.load(sys.stdin)["requests"])'
\! $DUNE_MV_CTL lance stats | python3 -c 'import json, sys; print("lance requests:", json.load(sys.stdin)["requests"])'

-- 2. Poll intervals below 1 s are for superusers, postgresql.conf and ALTER SYSTEM.
SET ROLE alice;
SELECT test.try($$SET dune_mv.poll_interval_min = '10ms'$$);
SELECT test.try($$SET dune_mv.poll_interval_max = '999ms'$$);
SELECT test.try($$SELECT set_config('dune_mv.poll_interval_min', '200', false)$$);
SELECT test.try($$ALTER ROLE alice SET dune_mv.poll_interval_min = '10ms'$$);
SHOW dune_mv.poll_interval_min;
SET dune_mv.poll_interval_min = '1s';
SET dune_mv.poll_interval_max = '2s';
SHOW dune_mv.poll_interval_min;
RESET dune_mv.poll_interval_min;
RESET dune_mv.poll_interval_max;
RESET ROLE;
ALTER ROLE alice RESET dune_mv.poll_interval_min;
-- ... nor in the connection's options.
\! PGOPTIONS='-c dune_mv.poll_interval_min=10ms' psql -X -At -U alice -d contrib_regression -c 'SHOW dune_mv.poll_interval_min' 2>&1 | sed 's/^.*FATAL: /FATAL: /'
\! PGOPTIONS='-c dune_mv.poll_interval_min=1500ms' psql -X -At -U alice -d contrib_regression -c 'SHOW dune_mv.poll_interval_min' 2>&1
-- A superuser may.
SET dune_mv.poll_interval_min = '200ms';
SHOW dune_mv.poll_interval_min;
RESET dune_mv.poll_interval_min;

-- 3. Log redaction masks values only: messages that hold none read as written,
-- though the statement names a key (errors, not test.try: the hook sees what is reported).
SET ROLE alice;
SHOW dune_mv.dune_api_key;
SHOW "dune_mv.dune_api_key;";
SHOW dune_mv.dune_api_key.x;
RESET ROLE;
SELECT set_config('dune_mv.dune_api_key', 'x', false) FROM h23_no_such_table;
SELECT current_setting('dune_mv.dune_api_key') FROM h23_no_such_table;
-- Keys and values never appear: a known key in any message, a value being assigned
-- quoted back by a syntax error, a value of a body.
SELECT ('zz' || current_setting('dune_mv.dune_api_key'))::int;
ALTER SYSTEM SET dune_mv.dune_api_key = h23 secret;
ALTER SYSTEM SET dune_mv.dune_api_key = 'h23-secret' 'more';
DO $$ BEGIN PERFORM set_config('dune_mv.dune_api_key', h23 secret, false); END $$;

-- 4. manifest_checksum is the SHA-256 of the UTF-8 that is sent, whatever the
-- database's encoding: a LATIN1 database ("é" is one byte there, two in UTF-8).
CREATE DATABASE h23_latin1 TEMPLATE template0 ENCODING 'LATIN1' LOCALE 'C';
\c h23_latin1
SET client_min_messages = warning;
CREATE EXTENSION dune_mv;
RESET client_min_messages;
CREATE TEMP VIEW h23_manifest AS SELECT '{"pip": ["caf' || chr(233) || '"]}'::text AS m;
SELECT octet_length(m) AS latin1_bytes, octet_length(convert_to(m, 'UTF8')) AS utf8_bytes FROM h23_manifest;
-- The checksum of the UTF-8 bytes is accepted, locally and by the server ...
SELECT version, job_id FROM h23_manifest, lance_mv_create(ARRAY['h23', 'latin1'], 'udtf', 'q', :'s1',
	udtf_spec => jsonb_build_object('kind', 'udtf', 'udtf', :'udtf',
		'udtf_sha', encode(sha256(convert_to(:'udtf', 'UTF8')), 'hex'),
		'udtf_name', 'embed', 'udtf_version', '1', 'manifest', m,
		'manifest_checksum', encode(sha256(convert_to(m, 'UTF8')), 'hex')));
\! $DUNE_MV_CTL lance last | python3 -c 'import json, sys; b = json.load(sys.stdin)["body"]["udtf_spec"]; print(json.dumps({k: b[k] for k in ("manifest", "manifest_checksum")}))'
-- ... the checksum of the database's own bytes is refused before sending.
SELECT version, job_id FROM h23_manifest, lance_mv_create(ARRAY['h23', 'latin1b'], 'udtf', 'q', :'s1',
	udtf_spec => jsonb_build_object('kind', 'udtf', 'udtf', :'udtf',
		'udtf_sha', encode(sha256(convert_to(:'udtf', 'UTF8')), 'hex'),
		'udtf_name', 'embed', 'udtf_version', '1', 'manifest', m,
		'manifest_checksum', encode(sha256(convert_to(m, 'LATIN1')), 'hex')));
\! $DUNE_MV_CTL lance stats | python3 -c 'import json, sys; print("lance requests:", json.load(sys.stdin)["requests"])'
\c contrib_regression
DROP DATABASE h23_latin1 WITH (FORCE);

-- 5. Integers json-c cannot hold (below -2^63, above 2^64 - 1) are refused
-- before sending, naming the argument; the others go out as written.
SET dune_mv.refresh_while_running = on;
SELECT version FROM lance_mv_create(ARRAY['h23', 'v'], 'query', 'q', :'s1');
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['h23', 'v'], manifest => '{"n": 99999999999999999999}')$$);
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['h23', 'v'], manifest => '{"a": [{"n": -9223372036854775809}]}')$$);
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['h23', 'v'], manifest => '{"n": 1e400}')$$);
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L], %L, %L, %L, udtf_spec => %L)', 'h23', 'udtf', 'q', :'s1',
	jsonb_build_object('kind', 'udtf', 'udtf', :'udtf',
		'udtf_sha', encode(sha256(convert_to(:'udtf', 'UTF8')), 'hex'),
		'udtf_name', 'embed', 'udtf_version', '1', 'memory', 100000000000000000000::numeric)));
\! $DUNE_MV_CTL lance stats | python3 -c 'import json, sys; print("lance requests:", json.load(sys.stdin)["requests"])'
SELECT job_id IS NOT NULL AS sent FROM lance_mv_refresh(ARRAY['h23', 'v'],
	manifest => '{"big": 18446744073709551615, "small": -9223372036854775808, "s": "99999999999999999999", "f": 1.5e-30}');
\! $DUNE_MV_CTL lance last | python3 -c 'import json, sys; print(json.loads(sys.stdin.read())["body"]["manifest"])'
RESET dune_mv.refresh_while_running;

-- 6. lance_arrow_schema's work is linear and bounded: a column list of more
-- columns than a schema may have fields is refused at once, so is a composite
-- whose attributes multiply into too many fields; duplicates are found by sorting.
SET statement_timeout = '20s';
SELECT test.try(format('SELECT lance_arrow_schema(%L)', string_agg(format('c%s int', g), ', ')))
FROM generate_series(1, 50000) g;
CREATE TYPE h23_t0 AS (a int, b int, c int, d int, e int, f int, g int, h int, i int, j int);
CREATE TYPE h23_t1 AS (a h23_t0, b h23_t0, c h23_t0, d h23_t0, e h23_t0, f h23_t0, g h23_t0, h h23_t0, i h23_t0, j h23_t0);
CREATE TYPE h23_t2 AS (a h23_t1, b h23_t1, c h23_t1, d h23_t1, e h23_t1, f h23_t1, g h23_t1, h h23_t1, i h23_t1, j h23_t1);
CREATE TYPE h23_t3 AS (a h23_t2, b h23_t2, c h23_t2, d h23_t2, e h23_t2, f h23_t2, g h23_t2, h h23_t2, i h23_t2, j h23_t2);
SELECT arrow_type LIKE 'struct<a: struct<a: struct<a: int32,%' AS nested_1111_fields
FROM lance_arrow_schema_describe(lance_arrow_schema('x h23_t2'));
SELECT test.try($$SELECT lance_arrow_schema('x h23_t3')$$);
SELECT test.try(format('SELECT lance_arrow_schema(%L)', string_agg(format('c%s int', g % 9999), ', ' ORDER BY g)))
FROM generate_series(1, 10000) g;
SELECT test.try(format('SELECT lance_arrow_schema(%L)', string_agg(format('c%s int', g), ', ' ORDER BY g) || ', c2 interval'))
FROM generate_series(1, 9999) g;
SELECT count(*) AS columns FROM lance_arrow_schema_describe((SELECT lance_arrow_schema(string_agg(format('c%s int', g), ', '))
	FROM generate_series(1, 10000) g));
RESET statement_timeout;
DROP TYPE h23_t3, h23_t2, h23_t1, h23_t0;

-- 7. Struct field names are copied: another session renames an attribute of
-- a composite type while lance_arrow_schema runs (it waits for a lock after
-- the first column); the first column keeps the name it was mapped with.
CREATE TYPE h23_inner AS (old_name int);
CREATE TABLE h23_locked (a int);
SELECT count(*) FROM lance_arrow_schema_describe(lance_arrow_schema('warm h23_inner'));
\! (psql -X -q -d contrib_regression -c "BEGIN" -c "LOCK h23_locked" -c "SELECT pg_sleep(1)" -c "ALTER TYPE h23_inner RENAME ATTRIBUTE old_name TO new_name_after_rename" -c "COMMIT" >/dev/null 2>&1 &)
SELECT test.wait_other('SELECT pg_sleep(1)', true);
SELECT * FROM lance_arrow_schema_describe(lance_arrow_schema('s1 h23_inner, s2 h23_locked, s3 h23_inner'));
DROP TABLE h23_locked;
DROP TYPE h23_inner;

-- Leave nothing for the next suites.
DELETE FROM dune_mv.calls WHERE target LIKE 'h23%';
DELETE FROM dune_mv.executions WHERE view_name LIKE 'h23%';
DELETE FROM dune_mv.views WHERE name LIKE 'h23%';
