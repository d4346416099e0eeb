-- lance_mv_describe, lance_mv_exists, lance_mv_drop, lance_mv_list.
\! $DUNE_MV_CTL -q lance reset
DELETE FROM dune_mv.executions WHERE provider = 'lance';
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
\set s2 '/////7gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAIAAAAYAAAAWAAAABAAFAAEABAAEQAIAAAADAAQAAAAEAAAABwAAAAkAAAAAQIAAAIAAABpZAAACAAMAAQACAAIAAAAQAAAAAEAAAAAAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAABwAAAABBQAABAAAAHRleHQAAAQABAAAAAYAAAAAAAAA'
SELECT version FROM lance_mv_create(ARRAY['t46', 'docs'], 'query', '{"from": "docs"}', :'s2');

-- describe: the version, location, schema (JsonArrowSchema as sent), properties, stats.
SELECT version, location, schema, properties - 'materialized_view.output_schema' AS properties,
	stats, raw ?& ARRAY['table', 'namespace', 'storage_options'] AS raw_complete
FROM lance_mv_describe(ARRAY['t46', 'docs']);
-- Detailed metadata is asked for in the query string (the REST binding), the body is {}.
\! $DUNE_MV_CTL lance last
-- A finished refresh makes a new version; describe records it in the views row.
SELECT job_id FROM lance_mv_refresh(ARRAY['t46', 'docs']);
SELECT version FROM dune_mv.views WHERE provider = 'lance' AND name = 't46$docs';
SELECT version, stats FROM lance_mv_describe(ARRAY['t46', 'docs']);
SELECT version FROM dune_mv.views WHERE provider = 'lance' AND name = 't46$docs';
SELECT operation, target, execution_id, version, http_status, request
FROM dune_mv.calls WHERE id > :c0 AND operation = 'describe' ORDER BY id;
-- A server that leaves out what the spec marks optional: NULL columns, the views row kept.
\! $DUNE_MV_CTL -q lance fault status=200 body='{"location": "s3://b/t46/docs.lance", "properties": null}'
SELECT version, location, schema, properties, stats, raw FROM lance_mv_describe(ARRAY['t46', 'docs']);
SELECT version FROM dune_mv.views WHERE provider = 'lance' AND name = 't46$docs';
\! $DUNE_MV_CTL -q lance fault status=200 body=''
SELECT test.try($$SELECT lance_mv_describe(ARRAY['t46', 'docs'])$$);
-- Missing table (404 TableNotFound), missing namespace (404 NamespaceNotFound).
SELECT test.try($$SELECT lance_mv_describe(ARRAY['t46', 'missing'])$$);
SELECT test.try($$SELECT lance_mv_describe(ARRAY['nowhere', 'missing'])$$);
-- A read: retried on 503.
\! $DUNE_MV_CTL -q lance fault status=503 match=/describe
SELECT version FROM lance_mv_describe(ARRAY['t46', 'docs']);
\! $DUNE_MV_CTL lance requests n=2

-- exists: true on 200 (empty body), false on 404; both recorded.
SELECT lance_mv_exists(ARRAY['t46', 'docs']) AS docs,
	lance_mv_exists(ARRAY['t46', 'missing']) AS missing,
	lance_mv_exists(ARRAY['nowhere', 'missing']) AS no_namespace;
\! $DUNE_MV_CTL lance requests n=3
SELECT operation, target, http_status, request, response FROM dune_mv.calls
WHERE id > :c0 AND operation = 'exists' ORDER BY id;
-- A body is tolerated; any other failure is raised, not taken for "no".
\! $DUNE_MV_CTL -q lance set exists_body='{}'
SELECT lance_mv_exists(ARRAY['t46', 'docs']);
\! $DUNE_MV_CTL -q lance set exists_body=
\! $DUNE_MV_CTL -q lance fault status=500 body='{"code": 18, "error": "boom"}' match=/exists
SELECT test.try($$SELECT lance_mv_exists(ARRAY['t46', 'docs'])$$);
\! $DUNE_MV_CTL -q lance fault status=403 match=/exists
SELECT test.try($$SELECT lance_mv_exists(ARRAY['t46', 'docs'])$$);
\! $DUNE_MV_CTL -q lance fault status=503 match=/exists
SELECT lance_mv_exists(ARRAY['t46', 'docs']);

-- Ids needing encoding, and another delimiter: same table, same catalog row.
SELECT version FROM lance_mv_create(ARRAY['team space', 'ünï/view'], 'query', 'q', :'s2');
SELECT version, location FROM lance_mv_describe(ARRAY['team space', 'ünï/view']);
\! $DUNE_MV_CTL lance last
SELECT lance_mv_exists(ARRAY['team space', 'ünï/view'], delimiter => '::');
\! $DUNE_MV_CTL lance last
SELECT version FROM lance_mv_describe(ARRAY['t46', 'docs'], '.');
\! $DUNE_MV_CTL lance last
SELECT operation, target, request->>'path' AS path FROM dune_mv.calls
WHERE id > :c0 AND target LIKE 'team space%' ORDER BY id;

-- drop: no body; the views row goes, calls and jobs stay.
SELECT version FROM lance_mv_create(ARRAY['t46', 'gone'], 'query', 'q', :'s2', with_no_data => false);
SELECT name, last_execution_id FROM dune_mv.views WHERE provider = 'lance' AND name = 't46$gone';
SELECT lance_mv_drop(ARRAY['t46', 'gone']);
\! $DUNE_MV_CTL lance last
SELECT count(*) AS views_rows FROM dune_mv.views WHERE provider = 'lance' AND lance_id = ARRAY['t46', 'gone'];
SELECT operation, target, http_status, request, response - 'properties' AS response
FROM dune_mv.calls WHERE id > :c0 AND operation = 'drop';
SELECT remote_id, view_name, started_by FROM dune_mv.executions
WHERE provider = 'lance' AND view_name = 't46$gone';
SELECT lance_mv_exists(ARRAY['t46', 'gone']);
SELECT test.try($$SELECT lance_mv_drop(ARRAY['t46', 'gone'])$$);
-- Dropped by another delimiter: the row named with '$' goes too.
SELECT version FROM lance_mv_create(ARRAY['t46', 'gone2'], 'query', 'q', :'s2');
SELECT lance_mv_drop(ARRAY['t46', 'gone2'], '~');
\! $DUNE_MV_CTL lance last
SELECT count(*) AS views_rows FROM dune_mv.views WHERE provider = 'lance' AND lance_id = ARRAY['t46', 'gone2'];
-- Not resent after a 5xx (it may have been done), but after a 429.
SELECT version FROM lance_mv_create(ARRAY['t46', 'gone3'], 'query', 'q', :'s2');
\! $DUNE_MV_CTL -q lance fault status=502 match=/drop
SELECT test.try($$SELECT lance_mv_drop(ARRAY['t46', 'gone3'])$$);
\! $DUNE_MV_CTL lance requests n=1
\! $DUNE_MV_CTL -q lance fault status=429 retry_after=0 match=/drop
SELECT lance_mv_drop(ARRAY['t46', 'gone3']);
\! $DUNE_MV_CTL lance requests n=2

-- list: every page (page_size 2, 5 views: 3 pages), each page recorded.
SELECT version FROM lance_mv_create(ARRAY['t46', 'a'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['t46', 'b'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['t46', 'c d'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['t46', 'é'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['t46', 'inner', 'deep'], 'query', 'q', :'s2');
\! $DUNE_MV_CTL -q lance set page_size=2
SELECT coalesce(max(id), 0) AS c1 FROM dune_mv.calls \gset
SELECT * FROM lance_mv_list(ARRAY['t46']);
\! $DUNE_MV_CTL lance requests n=3
SELECT operation, target, http_status, request->>'path' AS path, response
FROM dune_mv.calls WHERE id > :c1 ORDER BY id;
-- As a scalar set in the select list too.
SELECT lance_mv_list(ARRAY['t46', 'inner']) AS name;
-- The root namespace: ARRAY[]::text[], the default; its segment is the delimiter alone.
SELECT version FROM lance_mv_create(ARRAY['top'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['top2'], 'query', 'q', :'s2');
SELECT version FROM lance_mv_create(ARRAY['top3'], 'query', 'q', :'s2');
SELECT * FROM lance_mv_list();
\! $DUNE_MV_CTL lance requests n=2
SELECT * FROM lance_mv_list(ARRAY[]::text[], '~');
\! $DUNE_MV_CTL lance requests n=2
SELECT target, request->>'path' AS path FROM dune_mv.calls WHERE id > :c1 AND operation = 'list'
	AND request->>'path' NOT LIKE '%t46%' ORDER BY id;
-- Another delimiter and names needing encoding.
SELECT * FROM lance_mv_list(ARRAY['team space'], '::');
\! $DUNE_MV_CTL lance last
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['nowhere'])$$);
-- An empty namespace (namespaces outlive their tables here); an empty page_token or a
-- null one ends the list.
SELECT version FROM lance_mv_create(ARRAY['t46', 'inner', 'x', 'y'], 'query', 'q', :'s2');
SELECT * FROM lance_mv_list(ARRAY['t46', 'inner', 'x']);
SELECT lance_mv_drop(ARRAY['t46', 'inner', 'x', 'y']);
SELECT count(*) FROM lance_mv_list(ARRAY['t46', 'inner', 'x']);
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": ["p"], "page_token": ""}'
SELECT * FROM lance_mv_list(ARRAY['t46']);
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": ["q"], "page_token": null}'
SELECT * FROM lance_mv_list(ARRAY['t46']);
-- The token goes back percent-encoded.
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": ["r"], "page_token": "a b/c+d=é"}' match=/table/list
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": ["s"]}' match=/table/list
SELECT * FROM lance_mv_list(ARRAY['t46']);
\! $DUNE_MV_CTL lance last
-- A server that hands back a token already used, or a malformed page, is an error.
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": ["r"], "page_token": "again"}' times=2
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['t46'])$$);
\! $DUNE_MV_CTL lance requests n=2
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": [1]}'
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['t46'])$$);
\! $DUNE_MV_CTL -q lance fault status=200 body='{"names": []}'
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['t46'])$$);
\! $DUNE_MV_CTL -q lance fault status=200 body='{"tables": [], "page_token": 7}'
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['t46'])$$);
\! $DUNE_MV_CTL -q lance set page_size=100

-- Arguments are checked before any request (the last request stays the one above).
SELECT test.try($$SELECT lance_mv_describe(NULL)$$);
SELECT test.try($$SELECT lance_mv_describe(ARRAY[]::text[])$$);
SELECT test.try($$SELECT lance_mv_describe(ARRAY['t46', ''])$$);
SELECT test.try($$SELECT lance_mv_exists(ARRAY['t46', '..'])$$);
SELECT test.try($$SELECT lance_mv_exists(ARRAY['t46', NULL])$$);
SELECT test.try($$SELECT lance_mv_drop(ARRAY['t46', 'a$b'])$$);
SELECT test.try($$SELECT lance_mv_drop(ARRAY['t46', 'docs'], NULL)$$);
SELECT test.try($$SELECT lance_mv_drop(ARRAY['t46', 'docs'], '/')$$);
SELECT test.try($$SELECT * FROM lance_mv_list(NULL)$$);
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY[['a'], ['b']])$$);
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY['a'], '')$$);
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY[]::text[], '.')$$);
SELECT test.try($$SELECT * FROM lance_mv_list(ARRAY[E'x\ty'])$$);
\! $DUNE_MV_CTL lance last

-- Privileges: members of dune_mv_user only; each role's own views rows.
SET ROLE alice;
SELECT version FROM lance_mv_describe(ARRAY['t46', 'docs']);
SELECT name, version FROM dune_mv.views WHERE provider = 'lance' AND lance_id[1] = 't46';
SELECT role, operation, target, version FROM dune_mv.calls WHERE id > :c0 ORDER BY id;
RESET ROLE;
SET ROLE mallory;
SELECT test.try($$SELECT lance_mv_exists(ARRAY['t46', 'docs'])$$);
SELECT test.try($$SELECT * FROM lance_mv_list()$$);
RESET ROLE;
