-- Timings scale with DUNE_MV_TIME_SLACK (1; 4 under valgrind).
\getenv slack DUNE_MV_TIME_SLACK
-- lance_mv_refresh: rows, exact bodies sent, output_limit, the overlap guard, catalog rows.
\! $DUNE_MV_CTL -q lance reset
SELECT coalesce(max(id), 0) AS first_call FROM dune_mv.calls \gset
\set s1 '/////3gAAAAQAAAACgAMAAgACgAEAAAADAAAABAAAAAEAAEACAAIAAAABAAIAAAABAAAAAEAAAAUAAAAEAAUAAQAEAARAAgAAAAMABAAAAAQAAAAHAAAACQAAAABAgAAAgAAAGlkAAAIAAwABAAIAAgAAABAAAAAAQAAAAAAAAA='
\set chunker 'eyJuYW1lIjogInNwbGl0X3BhZ2VzIiwgIm1vZHVsZSI6ICJ1ZHRmcy5jaHVuayJ9'
SELECT version, job_id FROM lance_mv_create(ARRAY['ns', 'plain'], 'query', 'q', :'s1');
SELECT version, job_id FROM lance_mv_create(ARRAY['ns', 'chunks'], 'chunker', 'q', :'s1',
	udtf_spec => jsonb_build_object('kind', 'chunker', 'udtf', :'chunker',
		'udtf_sha', encode(sha256(convert_to(:'chunker', 'UTF8')), 'hex'),
		'udtf_name', 'split_pages', 'udtf_version', '0.1'));

-- No option given: the body is {}.
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'plain']);
\! $DUNE_MV_CTL lance last headers=1

-- Every option, named as the spec names them; manifest goes out as a string holding the
-- JSON (the spec types it string|null: "inline JSON-serialized GenevaManifest").
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'chunks'], src_version => 0, max_rows_per_fragment => 1000,
	concurrency => 4, intra_applier_concurrency => 2, source_task_size => 5000000000,
	output_limit => 10, cluster => 'gpu-pool',
	manifest => '{"pip": ["numpy==2.1"], "python": "3.11", "env": {"HF_HOME": "/cache"}}');
\! $DUNE_MV_CTL lance last
-- Some options only.
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'plain'], src_version => 3, concurrency => 1);
\! $DUNE_MV_CTL lance last

-- output_limit is for chunker views only: refused before sending when the catalog knows
-- the view's kind ...
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['ns', 'plain'], output_limit => 5)$$);
\! $DUNE_MV_CTL lance stats
-- ... and sent when it does not (a view created elsewhere): the server decides.
DELETE FROM dune_mv.views WHERE name IN ('ns$plain', 'ns$chunks');
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['ns', 'plain'], output_limit => 5)$$);
\! $DUNE_MV_CTL lance last
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'chunks'], output_limit => 5);
-- A view refreshed without a create from here becomes known (kind unknown).
SELECT name, lance_id, lance_delimiter, kind, version, last_execution_id FROM dune_mv.views
WHERE provider = 'lance' AND lance_id[1] = 'ns' ORDER BY name;

-- Another delimiter: same view on the server, and the catalog row it already has.
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'chunks'], delimiter => '.');
\! $DUNE_MV_CTL lance last
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'chunks'], delimiter => '::');
\! $DUNE_MV_CTL lance last
SELECT name, lance_delimiter, last_execution_id FROM dune_mv.views
WHERE provider = 'lance' AND lance_id[1] = 'ns' ORDER BY name;

-- An id needing encoding.
SELECT version FROM lance_mv_create(ARRAY['team space', 'ünï/view'], 'query', 'q', :'s1');
SELECT * FROM lance_mv_refresh(ARRAY['team space', 'ünï/view']);
\! $DUNE_MV_CTL lance last

-- Unknown view (404 TableNotFound) and unknown namespace (404 NamespaceNotFound).
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['ns', 'missing'])$$);
SELECT test.try($$SELECT lance_mv_refresh(ARRAY['nowhere', 'missing'])$$);
-- (the failed calls are recorded by the worker, from the journal, in its own time)
SELECT test.wait_until($$SELECT count(*) = 1 FROM dune_mv.calls WHERE target = 'nowhere$missing'$$);

-- One catalog row per call.
SELECT operation, target, outcome, request->>'path' AS path, (request->'body') - 'output_schema' AS body,
	response, http_status, execution_id, version
FROM dune_mv.calls WHERE id > :first_call ORDER BY id;
SELECT role, name, full_name, lance_id, lance_delimiter, kind, version, last_execution_id,
	last_execution_at IS NOT NULL AS at_known
FROM dune_mv.views WHERE provider = 'lance' AND lance_id[1] IN ('ns', 'team space') ORDER BY name;

-- A view is not refreshed while its last refresh is still running: the second is skipped and recorded.
\! $DUNE_MV_CTL -q lance fault delay_ms=$((2000 * DUNE_MV_TIME_SLACK)) match='ns$plain/refresh'
\! n0=$($DUNE_MV_CTL lance requests | grep -cF 'ns$plain/refresh'); (psql -X -q -d contrib_regression -c "SELECT lance_mv_refresh(ARRAY['ns', 'plain'])" >/dev/null 2>&1 &); for i in $(seq 600); do [ "$($DUNE_MV_CTL lance requests | grep -cF 'ns$plain/refresh')" -gt "$n0" ] && break; sleep 0.05; done
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'plain']);
-- Whatever the delimiter used to name it.
SELECT * FROM lance_mv_refresh(ARRAY['ns', 'plain'], delimiter => '.');
SELECT operation, target, outcome, request, http_status, execution_id FROM dune_mv.calls
WHERE id > :first_call AND outcome = 'skipped' ORDER BY id;
-- Another view is not held up.
SELECT job_id IS NOT NULL AS refreshed FROM lance_mv_refresh(ARRAY['ns', 'chunks']);
-- Once the other run is over (its job not known to be running), the view refreshes again.
SELECT test.wait_other('SELECT lance_mv_refresh(ARRAY[''ns'', ''plain''])', false);
SELECT job_id IS NOT NULL AS refreshed FROM lance_mv_refresh(ARRAY['ns', 'plain']);
