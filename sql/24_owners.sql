-- Owners of remote views: the role that created a view through the extension (or a
-- role it granted its role to, or dune_mv_admin) may replace, delete, drop it and cancel
-- its executions; every member may read and refresh it.  Refused before any request.
\! $DUNE_MV_CTL -q dune reset
\! $DUNE_MV_CTL -q lance reset
DELETE FROM dune_mv.executions;	-- the stand-in's execution ids start again after a reset
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
CREATE ROLE o24_alice IN ROLE dune_mv_user;
CREATE ROLE o24_bob IN ROLE dune_mv_user;
CREATE ROLE o24_carol IN ROLE dune_mv_admin;
SET ROLE o24_alice;
SELECT execution_id AS alices_run, name FROM dune_mv_upsert('result_o24', 24) \gset
SELECT version FROM lance_mv_create(ARRAY['o24', 'v'], 'query', 'q', :'s1');
SELECT provider, full_name, owner::regrole FROM dune_mv.owners ORDER BY 1, 2;
RESET ROLE;
\! $DUNE_MV_CTL dune stats

-- o24_bob may read and refresh o24_alice's view...
SET ROLE o24_bob;
SET dune_mv.refresh_while_running = on;
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('dune.testteam.result_o24');
SELECT state IS NOT NULL AS read FROM dune_mv_status(:'alices_run');
SELECT count(*) AS owner_rows_bob_sees FROM dune_mv.owners;
-- ... but not replace, delete, cancel or drop it: nothing is sent.
SELECT test.try($$SELECT dune_mv_upsert('result_o24', 25)$$);
SELECT test.try($$SELECT dune_mv_delete('dune.testteam.result_o24')$$);
SELECT test.try(format('SELECT dune_mv_cancel(%L)', :'alices_run'));
SELECT test.try($$SELECT lance_mv_drop(ARRAY['o24', 'v'])$$);
-- nor views that were not created through the extension
SELECT test.try($$SELECT dune_mv_delete('dune.testteam.result_made_elsewhere')$$);
RESET ROLE;
\! $DUNE_MV_CTL dune stats

-- Once o24_alice grants her role to o24_bob, he may.
GRANT o24_alice TO o24_bob;
SET ROLE o24_bob;
SELECT test.try(format('SELECT dune_mv_cancel(%L)', :'alices_run')) ~ '^(ok|.*HTTP)' AS sent;
RESET ROLE;
REVOKE o24_alice FROM o24_bob;

-- A member of dune_mv_admin may act on any view, known or not.
SET ROLE o24_carol;
SELECT test.try($$SELECT dune_mv_delete('dune.testteam.result_made_elsewhere')$$) ~ 'HTTP 404' AS sent_to_the_api;
SELECT lance_mv_drop(ARRAY['o24', 'v']) AS dropped_by_admin;
RESET ROLE;
-- The owner deletes her own view; its owner row goes with it.
SET ROLE o24_alice;
SELECT dune_mv_delete('result_o24') AS deleted;
RESET ROLE;
SELECT count(*) AS owner_rows_left FROM dune_mv.owners WHERE full_name IN ('dune.testteam.result_o24', 'o24$v');
-- (the test roles' catalog rows go with them)
DELETE FROM dune_mv.calls WHERE role IN ('o24_alice', 'o24_bob', 'o24_carol');
DELETE FROM dune_mv.remote_views WHERE role IN ('o24_alice', 'o24_bob', 'o24_carol');
DELETE FROM dune_mv.execution_states WHERE role IN ('o24_alice', 'o24_bob', 'o24_carol');
DELETE FROM dune_mv.executions WHERE role IN ('o24_alice', 'o24_bob', 'o24_carol');
DROP ROLE o24_alice, o24_bob, o24_carol;
