-- dune_mv_load: a result into a local table, typed; replace and append; every error
-- leaves the table exactly as it was.
\! $DUNE_MV_CTL -q dune reset
DELETE FROM dune_mv.executions;
SELECT execution_id FROM dune_mv_upsert('result_l51', 511);
CREATE SCHEMA l51;

-- A new table: one typed column per Dune type; an unknown type is text, with a NOTICE.
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.types');
SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
WHERE attrelid = 'l51.types'::regclass AND attnum > 0 ORDER BY attnum;
-- Values: NULLs, extremes, unicode, COPY's \N and \. as text, exact big numbers.
SELECT id, c_varchar, c_bigint, c_integer, c_double, c_boolean, c_date FROM l51.types ORDER BY id;
SELECT id, c_timestamp, c_timestamptz AT TIME ZONE 'UTC' AS c_timestamptz_utc, c_decimal, c_decimal_small
FROM l51.types ORDER BY id;
SELECT id, c_uint256, c_int256, c_varbinary FROM l51.types ORDER BY id;
SELECT id, c_array_varchar, c_array_bigint, c_json, c_row, c_map, c_ipaddress, "Odd ""Name"", ü"
FROM l51.types ORDER BY id;
SELECT c_double::text AS negative_zero, c_double = 0 AS is_zero FROM l51.types WHERE id = 3;
SELECT c_uint256 = 2::numeric ^ 256 - 1 AS uint256_max, c_int256 = -(2::numeric ^ 255) AS int256_min
FROM l51.types WHERE id IN (2, 3) ORDER BY id;
SELECT jsonb_typeof(c_json) AS json_kind, count(*) FROM l51.types GROUP BY 1 ORDER BY 1;
-- The catalog records the load.
SELECT role, provider, target, relid = 'l51.types'::regclass AS relid_ok, source, execution_id, mode,
	rows, pages, jsonb_array_length(columns) AS ncolumns, columns->19 AS ipaddress_column,
	duration_ms >= 0 AS timed
FROM dune_mv.loads ORDER BY id;

-- The same values when Dune writes big numbers as strings, or metadata after rows.
\! $DUNE_MV_CTL -q dune results 01JDMV00000000000000000002 bignum=string metadata_last=1
SELECT execution_id FROM dune_mv_refresh('result_l51');
CREATE TABLE l51.types2 (LIKE l51.types);
SELECT * FROM dune_mv_load('01JDMV00000000000000000002', 'l51.types2', 'append');
SELECT count(*) AS differing_rows FROM
	((SELECT * FROM l51.types EXCEPT SELECT * FROM l51.types2)
	 UNION ALL (SELECT * FROM l51.types2 EXCEPT SELECT * FROM l51.types)) d;

-- replace: the table holds the new result only; append adds to it.  Many pages.
\! $DUNE_MV_CTL -q dune results 01JDMV00000000000000000003 rows=2500
\! $DUNE_MV_CTL -q dune set max_datapoints=21000
SELECT execution_id FROM dune_mv_refresh('result_l51');
SELECT * FROM dune_mv_load('01JDMV00000000000000000003', 'l51.types');
SELECT count(*), count(DISTINCT id), min(id), max(id) FROM l51.types;
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.types', 'append');
SELECT count(*), count(DISTINCT id) FROM l51.types;
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.types', 'replace');
SELECT count(*) FROM l51.types;
SELECT target, execution_id, mode, rows, pages FROM dune_mv.loads ORDER BY id;
\! $DUNE_MV_CTL -q dune set max_datapoints=0
-- A view name loads its latest successful execution.
SELECT * FROM dune_mv_load('result_l51', 'l51.by_view');
SELECT count(*) FROM l51.by_view;

-- An existing table keeps its definition: columns matched by name, others defaulted,
-- values parsed by the table's own types (text into a jsonb column, say).
CREATE TABLE l51.mine (note text DEFAULT 'mine', "c_bigint" numeric, id bigint PRIMARY KEY,
	c_varchar text, c_double float8, c_date text, c_row text, c_json json, c_map jsonb,
	c_timestamp timestamptz, c_timestamptz timestamp, c_integer bigint, c_boolean text,
	c_decimal float8, c_decimal_small text, c_uint256 text, c_int256 numeric(80,0),
	c_varbinary text, c_array_varchar jsonb, c_array_bigint numeric[], c_ipaddress inet,
	"Odd ""Name"", ü" varchar(30));
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.mine');
SELECT note, id, c_bigint, c_double, c_date, c_row, c_json, c_array_varchar, c_array_bigint, c_ipaddress
FROM l51.mine WHERE id IN (0, 3, 4) ORDER BY id;

-- Bad input, before any request: mode, NULLs, the target.
\! $DUNE_MV_CTL -q dune reset
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.x', 'merge')$$);
SELECT test.try($$SELECT * FROM dune_mv_load(NULL, 'l51.x')$$);
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', NULL)$$);
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.x', NULL)$$);
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'a.b.c.d')$$);
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'nosuchschema.x')$$);
CREATE VIEW l51.v AS SELECT 1 AS id;
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.v')$$);
SELECT test.try($$SELECT * FROM dune_mv_load('x y', 'l51.x')$$);
\! $DUNE_MV_CTL dune stats

-- Every failure leaves the table as it was: an existing table keeps its rows, a
-- new one does not appear.  The fingerprint of l51.types before:
SELECT execution_id FROM dune_mv_upsert('result_l51', 511);
\! $DUNE_MV_CTL -q dune set max_datapoints=105
SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS before FROM l51.types t \gset
SELECT count(*) AS nloads FROM dune_mv.loads \gset
CREATE FUNCTION l51.fails(fault text, mode text DEFAULT 'replace') RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
	res text;
BEGIN
	res := test.try(format('SELECT * FROM dune_mv_load(%L, %L, %L)', '01JDMV00000000000000000001',
						   'l51.types', mode));
	RETURN regexp_replace(res, ' DETAIL: GET .*', '');
END
$f$;
CREATE FUNCTION l51.unchanged(before text) RETURNS text LANGUAGE sql AS $f$
	SELECT CASE WHEN md5(string_agg(t::text, '|' ORDER BY id)) = before THEN 'unchanged' ELSE 'CHANGED' END
	FROM l51.types t
$f$;
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=malformed
SELECT l51.fails('malformed'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=truncated
SELECT l51.fails('truncated'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=rename_column
SELECT l51.fails('rename_column'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=10 results=drop_column
SELECT l51.fails('drop_column', 'append'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=repeat_offset
SELECT l51.fails('repeat_offset'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=rows_not_array
SELECT l51.fails('rows_not_array'), l51.unchanged(:'before');
-- (fault is only a label.)  A value that does not parse as its column's type: the error names line and column.
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_bigint row=2
SELECT l51.fails('bad_value bigint'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=10 results=bad_value column=c_integer value=2147483648
SELECT l51.fails('bad_value integer', 'append'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_double
SELECT l51.fails('bad_value double'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_boolean
SELECT l51.fails('bad_value boolean'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_date
SELECT l51.fails('bad_value date'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_timestamp
SELECT l51.fails('bad_value timestamp'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_timestamptz
SELECT l51.fails('bad_value timestamptz'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_decimal_small value=123456789.5
SELECT l51.fails('bad_value decimal'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_uint256
SELECT l51.fails('bad_value uint256'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_varbinary
SELECT l51.fails('bad_value varbinary'), l51.unchanged(:'before');
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_json value={nope
SELECT l51.fails('bad_value json'), l51.unchanged(:'before');
-- A server error on a later page, and the row cap.
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=10 status=500
SELECT l51.fails('500'), l51.unchanged(:'before');
SET dune_mv.max_result_rows = 11;
SELECT l51.fails('cap'), l51.unchanged(:'before');
RESET dune_mv.max_result_rows;
-- A new table is not left behind.
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_date
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.fresh')$$) ~ '^22008' AS failed,
	to_regclass('l51.fresh') AS fresh;
-- The same holds in the caller's own transaction: the error rolls it back.
BEGIN;
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=bad_value column=c_date
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.types');
ROLLBACK;
SELECT l51.unchanged(:'before');
SELECT count(*) - :nloads AS loads_recorded_for_failures FROM dune_mv.loads;
\! $DUNE_MV_CTL -q dune set max_datapoints=0

-- Privileges: a role loads into its own tables only; it sees its own loads only.
GRANT USAGE, CREATE ON SCHEMA l51 TO alice, bob;
SET ROLE alice;
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.alices');
SELECT target, rows FROM dune_mv.loads ORDER BY id;
-- COPY FROM does not apply row-level security: such a table is refused.
CREATE TABLE l51.rls (id bigint);
ALTER TABLE l51.rls ENABLE ROW LEVEL SECURITY;
ALTER TABLE l51.rls FORCE ROW LEVEL SECURITY;
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.rls')$$);
RESET ROLE;
SET ROLE bob;
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.alices', 'append')$$);
SELECT count(*) AS bob_sees FROM dune_mv.loads;
RESET ROLE;
GRANT INSERT ON l51.alices TO bob;
SET ROLE bob;
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.alices')$$);
SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.alices', 'append');
RESET ROLE;
SET ROLE mallory;
SELECT test.try($$SELECT * FROM dune_mv_load('01JDMV00000000000000000001', 'l51.m')$$);
RESET ROLE;
SELECT count(*) FROM l51.alices;
DROP SCHEMA l51 CASCADE;
