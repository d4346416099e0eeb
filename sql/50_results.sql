-- dune_mv_results: an execution's rows as jsonb, every page, each page a recorded call.
\! $DUNE_MV_CTL -q dune reset
-- The worker's following of executions would make the catalog's knowledge (and
-- the calls recorded) depend on timing: off for this suite.
ALTER SYSTEM SET dune_mv.worker_follow = off;
SELECT pg_reload_conf();
-- Execution ids restart with the stand-in: forget those of earlier suites.
DELETE FROM dune_mv.executions;
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
SELECT execution_id FROM dune_mv_upsert('result_r50', 501);

-- The types dataset (12 rows, one column per type); rows keep the API's values exactly.
SELECT count(*) AS rows FROM dune_mv_results('01JDMV00000000000000000001');
SELECT r->>'id' AS id, r->'c_varchar' AS varchar, r->'c_uint256' AS uint256, r->'c_double' AS dbl,
	r->'c_decimal' AS dec, r->'c_varbinary' AS bin
FROM dune_mv_results('01JDMV00000000000000000001') r
WHERE (r->>'id')::int IN (0, 2, 3, 5);
-- Every key is a column of metadata.column_names, unicode and quotes included.
SELECT string_agg(k, ', ' ORDER BY k) AS keys
FROM jsonb_object_keys((SELECT r FROM dune_mv_results('01JDMV00000000000000000001', 1) r)) k;
SELECT r->>'Odd "Name", ü' AS odd, r->>'c_varchar' AS text FROM dune_mv_results('01JDMV00000000000000000001') r
WHERE (r->>'id')::int = 4;

-- limit, columns, filters and sort_by are passed on (percent-encoded).
SELECT r FROM dune_mv_results('01JDMV00000000000000000001', 2, ARRAY['id', 'c_bigint']) r;
\! $DUNE_MV_CTL dune last params=1 | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["path"], sorted(d["params"].items()))'
SELECT r FROM dune_mv_results('01JDMV00000000000000000001', columns => ARRAY['id'],
	filters => 'c_bigint > 100 AND c_varchar IS NOT NULL', sort_by => 'id desc') r;
\! $DUNE_MV_CTL dune last | python3 -c 'import json,sys; print(json.load(sys.stdin)["query"])'

-- Paging: the server shortens pages (max_datapoints 105 = 5 rows of 21 columns);
-- every page is followed, each one a recorded call whose response has no rows.
\! $DUNE_MV_CTL -q dune set max_datapoints=105
SELECT coalesce(max(id), 0) AS c1 FROM dune_mv.calls \gset
SELECT count(*) AS rows, count(DISTINCT r->>'id') AS distinct_ids FROM dune_mv_results('01JDMV00000000000000000001') r;
SELECT operation, target, execution_id, http_status, request->>'path' AS path,
	response->'result'->'rows' AS rows, response->'result'->'metadata'->'row_count' AS row_count,
	response->'next_offset' AS next_offset
FROM dune_mv.calls WHERE id > :c1 ORDER BY id;
-- A limit stops early: 7 rows need two pages, the second asks for 2.
SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001', 7);
\! $DUNE_MV_CTL dune last | python3 -c 'import json,sys; print(json.load(sys.stdin)["query"])'
-- Rows stream: a LIMIT in the select list stops after the first page.
SELECT coalesce(max(id), 0) AS c2 FROM dune_mv.calls \gset
SELECT dune_mv_results('01JDMV00000000000000000001')->>'id' AS id LIMIT 2;
SELECT count(*) AS pages_read FROM dune_mv.calls WHERE id > :c2;
\! $DUNE_MV_CTL -q dune set max_datapoints=0

-- A view name means its latest successful execution.  Not polled yet: the
-- API is asked (get, then the status of each of last_execution_ids).
SELECT coalesce(max(id), 0) AS c3 FROM dune_mv.calls \gset
SELECT count(*) FROM dune_mv_results('result_r50');
SELECT operation, target FROM dune_mv.calls WHERE id > :c3 ORDER BY id;
-- Once the newest execution is known to have succeeded, the catalog answers.
SELECT coalesce(max(id), 0) AS c35 FROM dune_mv.calls \gset
SELECT count(*) FROM dune_mv_results('dune.testteam.result_r50');
SELECT operation, target FROM dune_mv.calls WHERE id > :c35 ORDER BY id;
-- A newer execution whose outcome the catalog does not know: the API is asked
-- again, and the newest success (the older execution) is read.
\! $DUNE_MV_CTL -q dune set pending_ms=600000
SELECT execution_id FROM dune_mv_refresh('result_r50');
SELECT coalesce(max(id), 0) AS c4 FROM dune_mv.calls \gset
SELECT count(*) FROM dune_mv_results('dune.testteam.result_r50');
SELECT operation, target FROM dune_mv.calls WHERE id > :c4 ORDER BY id;
SELECT coalesce(max(id), 0) AS c5 FROM dune_mv.calls \gset
SELECT count(*) FROM dune_mv_results('result_r50');
SELECT operation, target FROM dune_mv.calls WHERE id > :c5 ORDER BY id;
-- The running execution itself has no result yet (55000); neither does a view without a success.
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000002')$$);
SELECT execution_id FROM dune_mv_upsert('result_r50_never', 502);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('result_r50_never')$$);
\! $DUNE_MV_CTL -q dune set pending_ms=0
\! $DUNE_MV_CTL -q dune set exec=01JDMV00000000000000000003 state=QUERY_STATE_FAILED
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000003')$$);

-- Bad input fails before any request.
\! $DUNE_MV_CTL -q dune reset
SELECT test.try($$SELECT count(*) FROM dune_mv_results(NULL)$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', 0)$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', columns => '{}')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', columns => ARRAY['a,b'])$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', columns => ARRAY['a', NULL])$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', filters => '')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('x', sort_by => '')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('has space')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('result_Bad')$$);
\! $DUNE_MV_CTL dune stats
SELECT execution_id FROM dune_mv_upsert('result_r50', 501);
-- The API's own refusals: an unknown execution (404), a bad filter (400).
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000099')$$);
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001', filters => 'nope = 1')$$);

-- Malformed pages: 08P01, naming what is wrong.
\! $DUNE_MV_CTL -q dune fault match=/results results=malformed
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results results=truncated
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results results=rows_not_array
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results results=no_metadata
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results status=200 body='{"state": "QUERY_STATE_COMPLETED", "result": {"metadata": {"column_names": ["a"], "column_types": ["bigint"]}, "rows": [{"a": 1}, {"a": 2, "a": 3}]}}'
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results status=200 body='{"state": "QUERY_STATE_COMPLETED", "result": {"metadata": {"column_names": ["a"], "column_types": ["bigint"]}, "rows": [{"b": 1}]}}'
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results status=200 body='{"state": "QUERY_STATE_COMPLETED", "result": {"metadata": {"column_names": ["a"], "column_types": ["bigint"]}, "rows": [{"a": "\xff"}]}}'
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
-- Across pages: the columns change, next_offset repeats.
\! $DUNE_MV_CTL -q dune set max_datapoints=105
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=rename_column
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=retype_column column=c_bigint
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=10 results=extra_column
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=repeat_offset
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
\! $DUNE_MV_CTL -q dune set max_datapoints=0

-- More rows than dune_mv.max_result_rows (superuser): refused from the first page's
-- total_row_count, unless a limit keeps under it.
SET dune_mv.max_result_rows = 10;
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001', 10);
RESET dune_mv.max_result_rows;
SET ROLE alice;
SELECT test.try($$SET dune_mv.max_result_rows = 100000000$$);
-- A role may read results (and sees only its own calls).
SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001', 3);
SELECT count(*) AS own_results_calls FROM dune_mv.calls WHERE operation = 'results';
RESET ROLE;
SET ROLE mallory;
SELECT test.try($$SELECT count(*) FROM dune_mv_results('01JDMV00000000000000000001')$$);
RESET ROLE;
ALTER SYSTEM RESET dune_mv.worker_follow;
SELECT pg_reload_conf();
