-- dune_mv_upsert and dune_mv_refresh: rows, exact bodies sent, catalog rows.
\! $DUNE_MV_CTL dune reset

-- Minimal upsert: only name and query_id go out.
SELECT * FROM dune_mv_upsert('result_daily_volume', 4242);
\! $DUNE_MV_CTL dune last headers=1

-- Every field: cron goes out as cron_expression, expires_at as RFC 3339 UTC.
SELECT * FROM dune_mv_upsert('result_weekly_fees', 77, cron => '0 3 * * 1',
	expires_at => '2099-09-11 23:59:59+02', is_private => true, performance => 'large');
\! $DUNE_MV_CTL dune last
SELECT * FROM dune_mv_upsert('result_weekly_fees', 77, cron => '*/15 * * * *',
	expires_at => '2099-01-01 00:00:00.25+00', is_private => false, performance => 'small');
\! $DUNE_MV_CTL dune last

-- Refresh by bare name: the fully qualified name recorded at upsert is used.
SELECT * FROM dune_mv_refresh('result_daily_volume');
\! $DUNE_MV_CTL dune last
-- By fully qualified name, with performance.
SELECT * FROM dune_mv_refresh('dune.testteam.result_weekly_fees', performance => 'medium');
\! $DUNE_MV_CTL dune last
-- An unknown bare name is sent as given (and the stand-in, like Dune, wants the full name).
SELECT test.try($$SELECT dune_mv_refresh('result_never_upserted')$$);
\! $DUNE_MV_CTL dune last

-- One catalog row per successful call, never a key.
SELECT id, role, provider, operation, target, outcome, request, response, http_status,
	execution_id, version, duration_ms > 0 AS timed, called_at <= now() + interval '1 min' AS dated
FROM dune_mv.calls ORDER BY id;
SELECT role, provider, name, full_name, query_id, cron_expression, expires_at AT TIME ZONE 'UTC' AS expires_utc,
	performance, is_private, last_execution_id, last_execution_at IS NOT NULL AS changed_at_known
FROM dune_mv.views ORDER BY name;

-- The last execution changes with each refresh, and with it last_execution_at.
SELECT last_execution_at AS before FROM dune_mv.views WHERE name = 'result_daily_volume' \gset
SELECT execution_id FROM dune_mv_refresh('result_daily_volume');
SELECT last_execution_id, last_execution_at > :'before'::timestamptz AS moved
FROM dune_mv.views WHERE name = 'result_daily_volume';

-- A view refreshed by full name without a prior upsert becomes known.
\! $DUNE_MV_CTL dune reset
SELECT * FROM dune_mv_upsert('result_elsewhere', 5);
DELETE FROM dune_mv.views WHERE name = 'result_elsewhere';
SELECT * FROM dune_mv_refresh('dune.testteam.result_elsewhere');
SELECT name, full_name, query_id, last_execution_id FROM dune_mv.views WHERE name = 'result_elsewhere';

-- Upsert replaces the definition as a whole: a dropped schedule is dropped in the catalog too.
SELECT * FROM dune_mv_upsert('result_weekly_fees', 77);
SELECT cron_expression, expires_at, performance, is_private FROM dune_mv.views WHERE name = 'result_weekly_fees';

-- A name already used with another query_id: the API's conflict.
SELECT test.try($$SELECT dune_mv_upsert('result_weekly_fees', 78)$$);
