-- dune_mv_get, dune_mv_list, dune_mv_delete, and dune_mv_upsert(keep_schedule).
\! $DUNE_MV_CTL -q dune reset
SELECT coalesce(max(id), 0) AS c0 FROM dune_mv.calls \gset
SELECT name FROM dune_mv_upsert('result_plain', 101);
SELECT name FROM dune_mv_upsert('result_sched', 102, cron => '0 3 * * 1',
	expires_at => '2099-09-11 23:59:59+00', is_private => true, performance => 'large');

-- get without a schedule: schedule columns are NULL.
SELECT id, sql_id, query_id, is_private, table_size_bytes, last_execution_ids,
	cron_expression, performance, next_execution_time, expires_at,
	raw - 'last_execution_ids' AS raw
FROM dune_mv_get('result_plain');
\! $DUNE_MV_CTL dune last
-- With a schedule, by bare or fully qualified name.
SELECT id, query_id, is_private, last_execution_ids, cron_expression, performance,
	next_execution_time > now() AS next_in_future,
	expires_at AT TIME ZONE 'UTC' AS expires_utc, raw->'schedule'->>'expires_at' AS raw_expires
FROM dune_mv_get('result_sched');
SELECT id, cron_expression FROM dune_mv_get('dune.testteam.result_sched');
-- A refresh adds to last_execution_ids (newest first on the stand-in).
SELECT execution_id FROM dune_mv_refresh('result_sched');
SELECT last_execution_ids FROM dune_mv_get('result_sched');
-- Recorded as 'get' calls; the views row takes the definition the API reports.
SELECT operation, target, execution_id, http_status, request->>'method' AS method
FROM dune_mv.calls WHERE id > :c0 AND operation = 'get' ORDER BY id;
SELECT name, full_name, query_id, cron_expression, expires_at AT TIME ZONE 'UTC' AS expires_utc,
	performance, is_private, last_execution_id
FROM dune_mv.views WHERE name IN ('result_plain', 'result_sched') ORDER BY name;
-- A view known to the server but not to this role becomes known through get.
DELETE FROM dune_mv.views WHERE name = 'result_plain';
SELECT id FROM dune_mv_get('dune.testteam.result_plain');
SELECT name, full_name, query_id, is_private, last_execution_id FROM dune_mv.views WHERE name = 'result_plain';
-- Errors: unknown view, bad name, NULL.
SELECT test.try($$SELECT dune_mv_get('dune.testteam.result_missing')$$);
SELECT test.try($$SELECT dune_mv_get('Result_Upper')$$);
SELECT test.try($$SELECT dune_mv_get(NULL)$$);
-- A reply without an id is malformed.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"sql_id": "x"}'
SELECT test.try($$SELECT dune_mv_get('result_plain')$$);

-- list follows every page: 5 views, 2 per page.
SELECT name FROM dune_mv_upsert('result_third', 103);
SELECT name FROM dune_mv_upsert('result_fourth', 104);
SELECT name FROM dune_mv_upsert('result_fifth', 105, is_private => true);
\! $DUNE_MV_CTL -q dune set page_size=2
SELECT max(id) AS calls_before FROM dune_mv.calls \gset
SELECT * FROM dune_mv_list();
\! $DUNE_MV_CTL dune requests n=3
-- One recorded call per page.
SELECT operation, target, request->>'path' AS path,
	jsonb_array_length(response->'materialized_views') AS views, response->'next_offset' AS next_offset
FROM dune_mv.calls WHERE id > :calls_before ORDER BY id;
-- An exact multiple of the page size ends on a page without next_offset.
SELECT name FROM dune_mv_upsert('result_sixth', 106);
SELECT count(*) FROM dune_mv_list();
\! $DUNE_MV_CTL dune requests n=3
-- next_offset 0 also ends the listing.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"materialized_views": [{"id": "dune.t.result_z", "sql_id": "dune.t.result_z", "query_id": 9, "is_private": false, "table_size_bytes": 0}], "next_offset": 0}'
SELECT * FROM dune_mv_list();
-- A server that never stops paging: the offset must move forward.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"materialized_views": [], "next_offset": 5}' times=2
SELECT test.try($$SELECT count(*) FROM dune_mv_list()$$);
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_plain', 101);
-- Replies that are not lists.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"views": []}'
SELECT test.try($$SELECT count(*) FROM dune_mv_list()$$);
\! $DUNE_MV_CTL -q dune fault status=200 body='{"materialized_views": [1]}'
SELECT test.try($$SELECT count(*) FROM dune_mv_list()$$);

-- delete: DELETE by full name; the caller's views row goes.
SELECT dune_mv_delete('result_plain');
\! $DUNE_MV_CTL dune last
SELECT count(*) AS views_rows FROM dune_mv.views WHERE name = 'result_plain';
SELECT operation, target, response FROM dune_mv.calls ORDER BY id DESC LIMIT 1;
SELECT test.try($$SELECT dune_mv_get('dune.testteam.result_plain')$$);
SELECT test.try($$SELECT dune_mv_delete('dune.testteam.result_plain')$$);
SELECT test.try($$SELECT dune_mv_delete(NULL)$$);

-- keep_schedule: upsert overwrites the whole view, so without it the schedule goes...
\! $DUNE_MV_CTL -q dune reset
SELECT name FROM dune_mv_upsert('result_sched', 102, cron => '0 3 * * 1',
	expires_at => '2099-09-11 23:59:59+00', is_private => true, performance => 'large');
SELECT name FROM dune_mv_upsert('result_sched', 102);
\! $DUNE_MV_CTL dune last
-- ...and with it, the old cron_expression, expires_at and performance are sent again.
SELECT name FROM dune_mv_upsert('result_sched', 102, cron => '0 3 * * 1',
	expires_at => '2099-09-11 23:59:59+00', performance => 'large');
SELECT name FROM dune_mv_upsert('result_sched', 102, is_private => true, keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=2
SELECT cron_expression, expires_at AT TIME ZONE 'UTC' AS expires_utc, performance, is_private
FROM dune_mv.views WHERE name = 'result_sched';
-- Arguments given win over the kept fields; cron given means nothing is fetched.
SELECT name FROM dune_mv_upsert('result_sched', 102, performance => 'small',
	expires_at => '2098-01-01 00:00:00+00', keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=2
SELECT name FROM dune_mv_upsert('result_sched', 102, cron => '30 4 * * *', keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=2
-- A view unknown to this role is looked up in the list first.
DELETE FROM dune_mv.views WHERE name = 'result_sched';
SELECT name FROM dune_mv_upsert('result_sched', 102, keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=3
-- A view that does not exist (404) gets no schedule.
SELECT name FROM dune_mv_upsert('result_brand_new', 107, keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=2
\! $DUNE_MV_CTL -q dune fault status=404 body='{"error": "Object not found"}' match=result_sched
SELECT name FROM dune_mv_upsert('result_sched', 102, keep_schedule => true);
\! $DUNE_MV_CTL dune requests n=2
-- Nothing to keep, but expires_at given: it needs a cron, and nothing was upserted.
SELECT test.try($$SELECT dune_mv_upsert('result_sched', 102, expires_at => '2099-01-01 00:00:00+00', keep_schedule => true)$$);
\! $DUNE_MV_CTL dune last
-- Without keep_schedule, expires_at without cron is refused before any request.
SELECT test.try($$SELECT dune_mv_upsert('result_sched', 102, expires_at => '2099-01-01 00:00:00+00')$$);
-- A schedule that has ended is not brought back.
\! $DUNE_MV_CTL -q dune fault status=200 body='{"id": "dune.testteam.result_sched", "sql_id": "dune.testteam.result_sched", "query_id": 102, "is_private": false, "table_size_bytes": 0, "last_execution_ids": [], "schedule": {"cron_expression": "0 3 * * 1", "performance": "large", "next_execution_time": "2020-01-06T03:00:00Z", "expires_at": "2020-01-01T00:00:00Z"}}' match=materialized-views/dune
SELECT name FROM dune_mv_upsert('result_sched', 102, keep_schedule => true);
\! $DUNE_MV_CTL dune last
-- A failing read stops the upsert: nothing paid for.
\! $DUNE_MV_CTL -q dune fault status=500 body='{"error": "Internal error"}' match=materialized-views/dune
SELECT test.try($$SELECT dune_mv_upsert('result_sched', 102, keep_schedule => true)$$);
\! $DUNE_MV_CTL dune last
