-- Non-superusers cannot redirect the key, read it, see others' rows, or write the catalog.
\! $DUNE_MV_CTL -q dune reset
SET ROLE alice;

-- Base URLs and ceilings are superuser settings; keys cannot even be SET.
SELECT test.try($$SET dune_mv.dune_url = 'http://attacker.example/api'$$);
SELECT test.try($$SET dune_mv.lance_url = 'http://attacker.example'$$);
SELECT test.try($$SET dune_mv.max_timeout = '1h'$$);
SELECT test.try($$SET dune_mv.max_response_size = '1GB'$$);
SELECT test.try($$SET dune_mv.dune_api_key = 'x'$$);
ALTER SYSTEM SET dune_mv.dune_url = 'http://attacker.example/api';
-- Users may lower their own timeouts.
SET dune_mv.timeout = '5s';
SET dune_mv.connect_timeout = '1s';
RESET dune_mv.timeout;
RESET dune_mv.connect_timeout;

-- Keys are invisible: SHOW, current_setting and pg_settings.
SELECT test.try($$SHOW dune_mv.dune_api_key$$);
SELECT test.try($$SELECT current_setting('dune_mv.dune_api_key')$$);
SELECT test.try($$SELECT current_setting('dune_mv.lance_api_key')$$);
SELECT test.try($$SELECT current_setting('dune_mv.lance_bearer_token')$$);
SELECT name, context FROM pg_settings WHERE name LIKE 'dune_mv.%' ORDER BY 1;
SELECT count(*) AS secrets_in_show_all FROM (SELECT * FROM pg_show_all_settings()) s
WHERE s.name LIKE 'dune_mv.%' AND (s.name LIKE '%key%' OR s.name LIKE '%token%');
RESET ROLE;
-- A superuser sees that they are set, without this suite printing them.
SELECT current_setting('dune_mv.dune_api_key') <> '' AS dune_key_set,
	current_setting('dune_mv.lance_api_key') <> '' AS lance_key_set;
SELECT name, context FROM pg_settings WHERE name IN ('dune_mv.dune_api_key', 'dune_mv.lance_bearer_token') ORDER BY 1;

-- Each role sees its own rows only.
SET ROLE alice;
SELECT name FROM dune_mv_upsert('result_alice_view', 21);
RESET ROLE;
SET ROLE bob;
SELECT name FROM dune_mv_upsert('result_bob_view', 22);
SELECT role, operation, target FROM dune_mv.calls ORDER BY id;
SELECT role, name FROM dune_mv.views ORDER BY name;
-- Bob's bare names resolve against his own rows only: alice's view is sent as given.
SELECT test.try($$SELECT dune_mv_refresh('result_alice_view')$$);
\! $DUNE_MV_CTL dune last

-- Only the extension writes the catalog.
SELECT test.try($$INSERT INTO dune_mv.calls (provider, operation, target) VALUES ('dune', 'upsert', 'forged')$$);
SELECT test.try($$UPDATE dune_mv.calls SET target = 'forged'$$);
SELECT test.try($$DELETE FROM dune_mv.views$$);
SELECT test.try($$TRUNCATE dune_mv.calls$$);
SELECT test.try($$ALTER TABLE dune_mv.calls DISABLE ROW LEVEL SECURITY$$);
RESET ROLE;

-- A role outside dune_mv_user can do nothing at all.
SET ROLE mallory;
SELECT test.try($$SELECT dune_mv_refresh('result_alice_view')$$);
SELECT test.try($$SELECT dune_mv_upsert('result_mallory', 1)$$);
SELECT test.try($$SELECT count(*) FROM dune_mv.calls$$);
RESET ROLE;
-- Only a superuser can create the extension (not trusted).
SELECT name, superuser, trusted, relocatable FROM pg_available_extension_versions WHERE name = 'dune_mv';
SET ROLE mallory;
-- A function of mallory's named like a built-in does not hijack the extension's writes:
-- the catalog statements run with search_path = pg_catalog, pg_temp.
CREATE SCHEMA mallory_schema;
CREATE FUNCTION mallory_schema.coalesce(text, text) RETURNS text LANGUAGE sql AS $$ SELECT 'hijacked' $$;
RESET ROLE;
SET search_path = mallory_schema, public;
SET ROLE alice;
SELECT execution_id IS NOT NULL AS refreshed FROM dune_mv_refresh('result_alice_view');
RESET ROLE;
RESET search_path;
SELECT name, last_execution_id FROM dune_mv.views WHERE name = 'result_alice_view';
DROP SCHEMA mallory_schema CASCADE;

-- The superuser sees every role's rows.
SELECT role, count(*) FROM dune_mv.calls WHERE target LIKE '%alice%' OR target LIKE '%bob%' GROUP BY 1 ORDER BY 1;

-- Privileges as installed.
SELECT p.proname, has_function_privilege('mallory', p.oid, 'EXECUTE') AS mallory,
	has_function_privilege('alice', p.oid, 'EXECUTE') AS alice
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dune_mv'
WHERE p.proname NOT LIKE 'test%' ORDER BY 1;
