-- Create the extension and what the other suites share.
CREATE EXTENSION dune_mv;

-- Functions land in the schema the extension was created in; tables in dune_mv.
SELECT p.proname, n.nspname
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE p.proname IN ('dune_mv_upsert', 'dune_mv_refresh') ORDER BY 1;
SELECT c.relname, c.relkind, c.relrowsecurity
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'dune_mv' AND c.relkind IN ('r', 'v') ORDER BY 1;
SELECT extrelocatable FROM pg_extension WHERE extname = 'dune_mv';

-- Not relocatable, and not trusted: a non-superuser cannot create it.
ALTER EXTENSION dune_mv SET SCHEMA pg_catalog;

-- Roles used by the suites (cluster-wide, so created only once).
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'alice') THEN
		CREATE ROLE alice LOGIN IN ROLE dune_mv_user;
		CREATE ROLE bob LOGIN IN ROLE dune_mv_user;
		CREATE ROLE mallory LOGIN;
	END IF;
END
$$;
GRANT CREATE ON DATABASE contrib_regression TO mallory;

-- test.try(sql): run a statement, return "SQLSTATE: message (HINT: ...)" of its error.
CREATE SCHEMA test;
GRANT USAGE ON SCHEMA test TO PUBLIC;
CREATE FUNCTION test.try(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	st text; msg text; hint text; det text;
BEGIN
	EXECUTE sql;
	RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
	GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
		hint = PG_EXCEPTION_HINT, det = PG_EXCEPTION_DETAIL;
	RETURN st || ': ' || msg || coalesce(nullif(' DETAIL: ' || det, ' DETAIL: '), '')
		|| coalesce(nullif(' HINT: ' || hint, ' HINT: '), '');
END
$$;
GRANT EXECUTE ON FUNCTION test.try(text) TO PUBLIC;
-- test.try_n(sql): the same, with timings inside messages (digits before ms/milli/attempts) masked.
CREATE FUNCTION test.try_n(sql text) RETURNS text LANGUAGE sql AS $$
	SELECT regexp_replace(test.try(sql), '[0-9]+( ms| milli| attempts)', 'N\1', 'g')
$$;
GRANT EXECUTE ON FUNCTION test.try_n(text) TO PUBLIC;
-- test.wait_until(query): until query answers true (30 s at most); for what the
-- worker records in its own time (a rolled-back call's record, say).
CREATE FUNCTION test.wait_until(query text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	done boolean;
BEGIN
	FOR i IN 1..600 LOOP
		EXECUTE query INTO done;
		EXIT WHEN done;
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;
-- test.wait_other(query, running): until another session is (or no longer is) running
-- a statement that begins with query (30 s at most).
CREATE FUNCTION test.wait_other(query text, running boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	FOR i IN 1..600 LOOP
		PERFORM pg_stat_clear_snapshot();	-- (read once per transaction otherwise)
		EXIT WHEN running = EXISTS (SELECT FROM pg_stat_activity WHERE state = 'active'
									AND pid <> pg_backend_pid() AND starts_with(pg_stat_activity.query, wait_other.query));
		PERFORM pg_sleep(0.05);
	END LOOP;
END
$$;

-- The stand-in servers answer.
\! $DUNE_MV_CTL dune reset
\! $DUNE_MV_CTL dune stats
