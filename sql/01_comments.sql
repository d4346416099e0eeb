-- Every object the extension creates has a comment (COMMENT ON, written next
-- to the object in sql/install/*.sql and repeated in the upgrade script): its
-- members (pg_depend deptype 'e': schema, tables, view, sequences, types,
-- functions), the columns of its tables and views, the attributes of its
-- composite types, and the indexes and policies on its tables.
CREATE TEMP VIEW commentable AS
WITH members AS (
	SELECT d.classid, d.objid
	FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'dune_mv' AND d.deptype = 'e'
), rels AS (
	-- tables, views and the relations behind composite types
	SELECT c.oid, c.relkind FROM members m JOIN pg_class c ON c.oid = m.objid
	WHERE m.classid = 'pg_class'::regclass
	UNION
	SELECT c.oid, c.relkind FROM members m JOIN pg_type t ON t.oid = m.objid
		JOIN pg_class c ON c.oid = t.typrelid
	WHERE m.classid = 'pg_type'::regclass AND t.typtype = 'c'
)
SELECT classid, objid, 0 AS objsubid FROM members
UNION ALL
SELECT 'pg_class'::regclass, a.attrelid, a.attnum
FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid
WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND a.attnum > 0 AND NOT a.attisdropped
UNION ALL
SELECT 'pg_class'::regclass, i.indexrelid, 0
FROM rels r JOIN pg_index i ON i.indrelid = r.oid
UNION ALL
SELECT 'pg_policy'::regclass, p.oid, 0
FROM rels r JOIN pg_policy p ON p.polrelid = r.oid;

-- The check sees every kind of object (so that an empty list below means something).
SELECT string_agg(DISTINCT kind, ', ' ORDER BY kind) AS kinds_checked
FROM (SELECT (pg_identify_object(classid, objid, objsubid)).type AS kind FROM commentable) k;

-- What lacks a comment: no rows.
SELECT pg_describe_object(classid, objid, objsubid) AS lacks_a_comment
FROM commentable o
WHERE NOT EXISTS (SELECT FROM pg_description d
				  WHERE d.classoid = o.classid AND d.objoid = o.objid AND d.objsubid = o.objsubid)
ORDER BY 1;
