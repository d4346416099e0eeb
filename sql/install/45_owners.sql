-- Who owns each remote view (src/functions/ownership.c checks, src/catalog/
-- record.c writes): the role that created it through the extension.  Other
-- members may read and refresh it; replacing, deleting or dropping it, or
-- cancelling its executions, needs that role (or a role it was granted to)
-- or dune_mv_admin, which may also act on views the catalog does not know.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'dune_mv_admin') THEN
		CREATE ROLE dune_mv_admin NOLOGIN;
	END IF;
END
$$;
GRANT dune_mv_user TO dune_mv_admin;

CREATE TABLE dune_mv.owners (
	provider	text NOT NULL,
	full_name	text NOT NULL,	-- Dune: dune.<team>.result_...; Lance: the id joined with its delimiter
	ident		text NOT NULL,	-- the view whatever spelling names it (remote_views.ident)
	owner		oid NOT NULL,	-- the role that created it
	created_at	timestamptz NOT NULL DEFAULT clock_timestamp(),
	PRIMARY KEY (provider, full_name)
);
CREATE INDEX owners_ident_idx ON dune_mv.owners (provider, ident);
COMMENT ON TABLE dune_mv.owners IS
	'The role that created each remote view through the extension: it (or a role it was granted to, or dune_mv_admin) may replace, delete or drop it and cancel its executions';
COMMENT ON COLUMN dune_mv.owners.provider IS '''dune'' or ''lance''';
COMMENT ON COLUMN dune_mv.owners.full_name IS 'Dune: the fully qualified name; Lance: the id joined with its delimiter';
COMMENT ON COLUMN dune_mv.owners.ident IS 'The view''s identity whatever spelling named it (as remote_views.ident)';
COMMENT ON COLUMN dune_mv.owners.owner IS 'The OID of the role that created it (pg_roles.oid)';
COMMENT ON COLUMN dune_mv.owners.created_at IS 'When it was created through the extension';
COMMENT ON INDEX dune_mv.owners_pkey IS 'One owner per view';
COMMENT ON INDEX dune_mv.owners_ident_idx IS 'A view by its identity';
ALTER TABLE dune_mv.owners ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_rows ON dune_mv.owners FOR SELECT USING (pg_catalog.pg_has_role(owner, 'USAGE'));
COMMENT ON POLICY own_rows ON dune_mv.owners IS 'Each role reads the rows of the views it may act on as owner';
GRANT SELECT ON dune_mv.owners TO dune_mv_user;
SELECT pg_catalog.pg_extension_config_dump('dune_mv.owners', '');
