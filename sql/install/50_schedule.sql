-- Scheduling refreshes with pg_cron.

-- dune_mv_schedule(job_name, cron, command): cron.schedule() when pg_cron is
-- installed in this database, a clear error otherwise.  The job belongs to the
-- caller and runs as the caller.
CREATE FUNCTION dune_mv_schedule(job_name text, cron text, command text)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cron_schema name;
	job_id bigint;
BEGIN
	IF job_name IS NULL OR cron IS NULL OR command IS NULL THEN
		RAISE EXCEPTION 'job_name, cron and command must not be NULL'
			USING ERRCODE = '22023';
	END IF;
	-- cron.schedule(job_name, schedule, command), found through the extension's
	-- members: pg_cron keeps its objects in schema cron, not its extension schema.
	SELECT n.nspname INTO cron_schema
	FROM pg_proc p
	JOIN pg_namespace n ON n.oid = p.pronamespace
	JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'pg_cron'
	WHERE p.proname = 'schedule' AND p.pronargs = 3;
	IF cron_schema IS NULL THEN
		RAISE EXCEPTION 'pg_cron is not installed in this database'
			USING ERRCODE = '55000',
				  HINT = 'Install pg_cron (shared_preload_libraries = ''pg_cron,dune_mv'', cron.database_name = this database), then CREATE EXTENSION pg_cron.';
	END IF;
	EXECUTE format('SELECT %I.schedule($1, $2, $3)', cron_schema)
		INTO job_id USING job_name, cron, command;
	RETURN job_id;
END
$$;
COMMENT ON FUNCTION dune_mv_schedule(text, text, text) IS
	'Schedule a command with pg_cron (cron.schedule), owned by and run as the caller; SQLSTATE 55000 when pg_cron is not installed in this database';

REVOKE ALL ON FUNCTION dune_mv_schedule(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_schedule(text, text, text) TO dune_mv_user;
