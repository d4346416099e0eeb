-- A call that changes remote state is refused, before any request, where its
-- record could not be written (here a READ ONLY transaction; a standby is the
-- same check).  Reads work there, and record nothing.
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
SELECT version FROM lance_mv_create(ARRAY['ro17', 'v'], 'query', 'q', :'s1');
SELECT name FROM dune_mv_upsert('result_ro17', 17);
SELECT last_execution_id AS e17 FROM dune_mv.views WHERE name = 'result_ro17' \gset
SELECT count(*) AS calls_before FROM dune_mv.calls \gset

BEGIN READ ONLY;
SELECT test.try($$SELECT dune_mv_upsert('result_ro17', 17)$$);
SELECT test.try($$SELECT dune_mv_refresh('result_ro17')$$);
SELECT test.try($$SELECT dune_mv_delete('result_ro17')$$);
SELECT test.try(format('SELECT dune_mv_cancel(%L)', :'e17'));
-- The last request the Dune stand-in saw is still the upsert made before.
\! $DUNE_MV_CTL dune last
SELECT test.try(format('SELECT lance_mv_create(ARRAY[%L, %L], %L, %L, %L)', 'ro17', 'w', 'query', 'q', :'s1'));
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['ro17', 'v'])$$);
SELECT test.try($$SELECT lance_mv_drop(ARRAY['ro17', 'v'])$$);
\! $DUNE_MV_CTL lance last
-- Reads go out and answer.
SELECT state IS NOT NULL AS has_state FROM dune_mv_status(:'e17');
SELECT id FROM dune_mv_get('result_ro17');
SELECT lance_mv_exists(ARRAY['ro17', 'v']);
SELECT version FROM lance_mv_describe(ARRAY['ro17', 'v']);
COMMIT;
\! $DUNE_MV_CTL dune last
-- Nothing was recorded in the read-only transaction.
SELECT count(*) - :calls_before AS recorded FROM dune_mv.calls;
-- Leave nothing behind for the suites that list views.
SELECT lance_mv_drop(ARRAY['ro17', 'v']);
SELECT dune_mv_delete('result_ro17');
DELETE FROM dune_mv.calls WHERE target IN ('ro17$v', 'result_ro17', 'dune.testteam.result_ro17')
	OR execution_id IN (SELECT remote_id FROM dune_mv.executions WHERE view_name = 'dune.testteam.result_ro17');
DELETE FROM dune_mv.executions WHERE view_name IN ('ro17$v', 'dune.testteam.result_ro17');
