-- Reading results: dune_mv_results (rows as jsonb) and dune_mv_load (a typed
-- local copy), with dune_mv.loads recording which execution each load put
-- into which table (src/functions/results.c, load.c; src/catalog/loads.c).

-- One row per successful dune_mv_load, written in the caller's transaction.
-- A table holds the execution of its latest 'replace' load plus those of the
-- 'append' loads after it.
CREATE SEQUENCE dune_mv.loads_id_seq;
CREATE TABLE dune_mv.loads (
	id			bigint PRIMARY KEY DEFAULT nextval('dune_mv.loads_id_seq'),
	loaded_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	role		name NOT NULL DEFAULT current_user,
	provider	text NOT NULL,
	target		text NOT NULL,	-- the table, schema-qualified and quoted as needed
	relid		oid NOT NULL,
	source		text NOT NULL,	-- the source argument as given
	execution_id text NOT NULL,
	mode		text NOT NULL,	-- replace or append
	rows		bigint NOT NULL,
	pages		integer NOT NULL,
	columns		jsonb NOT NULL,	-- [{name, dune_type, column_type}]
	duration_ms double precision
);
ALTER SEQUENCE dune_mv.loads_id_seq OWNED BY dune_mv.loads.id;
CREATE INDEX loads_role_relid_idx ON dune_mv.loads (role, relid, id);
COMMENT ON TABLE dune_mv.loads IS
	'One row per dune_mv_load: which Dune execution was loaded into which local table';
COMMENT ON COLUMN dune_mv.loads.id IS 'Row id, increasing in load order';
COMMENT ON COLUMN dune_mv.loads.loaded_at IS 'When the load finished';
COMMENT ON COLUMN dune_mv.loads.role IS 'The role that loaded; each role reads only its own rows';
COMMENT ON COLUMN dune_mv.loads.provider IS '''dune''';
COMMENT ON COLUMN dune_mv.loads.target IS 'The local table, schema-qualified';
COMMENT ON COLUMN dune_mv.loads.relid IS 'The local table''s oid at the time of the load';
COMMENT ON COLUMN dune_mv.loads.source IS 'The source as given: an execution id or a view name';
COMMENT ON COLUMN dune_mv.loads.execution_id IS 'The Dune execution whose result was loaded';
COMMENT ON COLUMN dune_mv.loads.mode IS '''replace'' (the table now holds this execution) or ''append''';
COMMENT ON COLUMN dune_mv.loads.rows IS 'Rows loaded';
COMMENT ON COLUMN dune_mv.loads.pages IS 'Result pages read (each one a dune_mv.calls row, operation results)';
COMMENT ON COLUMN dune_mv.loads.columns IS 'The result''s columns: name, Dune type and the table column''s type';
COMMENT ON COLUMN dune_mv.loads.duration_ms IS 'How long the load took in milliseconds';
COMMENT ON SEQUENCE dune_mv.loads_id_seq IS 'Ids of dune_mv.loads';
COMMENT ON INDEX dune_mv.loads_pkey IS 'One row per id';
COMMENT ON INDEX dune_mv.loads_role_relid_idx IS 'A role''s loads into a table, in order';

ALTER TABLE dune_mv.loads ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.loads FOR SELECT USING (role = current_user);
COMMENT ON POLICY own_rows ON dune_mv.loads IS 'Each role reads only its own rows';
GRANT SELECT ON dune_mv.loads TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.loads', '');
SELECT pg_catalog.pg_extension_config_dump('dune_mv.loads_id_seq', '');

CREATE FUNCTION dune_mv_results(source text, "limit" bigint DEFAULT NULL,
								columns text[] DEFAULT NULL, filters text DEFAULT NULL,
								sort_by text DEFAULT NULL)
RETURNS SETOF jsonb
AS 'MODULE_PATHNAME', 'dune_mv_results'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1000;
COMMENT ON FUNCTION dune_mv_results(text, bigint, text[], text, text) IS
	'The rows of a Dune execution''s result (or of a view''s latest successful execution) as jsonb, every page (GET /v1/execution/{id}/results)';

CREATE FUNCTION dune_mv_load(source text, target text, mode text DEFAULT 'replace')
RETURNS TABLE (rows bigint, execution_id text)
AS 'MODULE_PATHNAME', 'dune_mv_load'
LANGUAGE C VOLATILE PARALLEL UNSAFE ROWS 1;
COMMENT ON FUNCTION dune_mv_load(text, text, text) IS
	'Load a Dune execution''s result (or a view''s latest successful one) into a local table, created with typed columns when missing; mode replace (atomic) or append';

REVOKE ALL ON FUNCTION dune_mv_results(text, bigint, text[], text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION dune_mv_load(text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION dune_mv_results(text, bigint, text[], text, text) TO dune_mv_user;
GRANT EXECUTE ON FUNCTION dune_mv_load(text, text, text) TO dune_mv_user;
