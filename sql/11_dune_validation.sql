-- Bad input fails before any network call, with SQLSTATE 22023 and a hint.
\! $DUNE_MV_CTL dune reset

-- Names.
SELECT test.try($$SELECT dune_mv_upsert(NULL, 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_x', NULL)$$);
SELECT test.try($$SELECT dune_mv_upsert('daily_volume', 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_', 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_Daily', 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily_', 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_da-ily', 1)$$);
SELECT test.try($$SELECT dune_mv_upsert('dune.team.result_daily', 1)$$);
SELECT test.try(format('SELECT dune_mv_upsert(%L, 1)', 'result_' || repeat('a', 122)));
SELECT test.try($$SELECT dune_mv_refresh(NULL)$$);
SELECT test.try($$SELECT dune_mv_refresh('')$$);
SELECT test.try($$SELECT dune_mv_refresh('dune.team.daily')$$);
SELECT test.try($$SELECT dune_mv_refresh('dune/x.result_daily')$$);
SELECT test.try($$SELECT dune_mv_refresh('.result_daily')$$);
SELECT test.try($$SELECT dune_mv_refresh('dune..result_daily')$$);

-- query_id and performance.
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 0)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily', -5)$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 1, performance => 'huge')$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 1, performance => 'Large')$$);
SELECT test.try($$SELECT dune_mv_refresh('result_daily', performance => '')$$);

-- expires_at: only with cron, and in the future.
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 1, expires_at => now() + interval '1 day')$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 1, cron => '0 3 * * 1', expires_at => now() - interval '1 second')$$);
SELECT test.try($$SELECT dune_mv_upsert('result_daily', 1, cron => '0 3 * * 1', expires_at => 'infinity')$$);

-- cron: syntax, bounds, names, and the gap between runs (15 minutes to 7 days).
SELECT c AS cron, test.try(format('SELECT dune_mv_upsert(%L, 1, cron => %L)', 'result_daily', c)) AS result
FROM unnest(ARRAY[
	'*/5 * * * *',
	'0 0 1 * *',
	'0,10 * * * *',
	'0 0 29 2 *',
	'0 0 30 2 *',
	'* * * *',
	'0 0 * * * *',
	'@daily',
	'60 * * * *',
	'0 24 * * *',
	'0 0 0 * *',
	'0 0 * 13 *',
	'0 0 * * 8',
	'0 0 * FOO *',
	'0 0 * * FUN',
	'30-10 * * * *',
	'*/0 * * * *',
	'0 0 ? * *',
	''
]) AS c;

-- Nothing above reached the server.
\! $DUNE_MV_CTL dune stats
-- The longest and shortest names, and accepted schedules, do (9 + 2 requests).
SELECT (dune_mv_upsert('result_' || repeat('a', 121), 1)).name = 'dune.testteam.result_' || repeat('a', 121) AS longest;
SELECT (dune_mv_upsert('result_a', 1)).name AS shortest;
SELECT c AS cron, (dune_mv_upsert('result_cron_ok', 1, cron => c)).name
FROM unnest(ARRAY['*/15 * * * *', '0 3 * * 1', '0 */6 * * *', '30 2 * * MON-FRI',
	'0 0 * * 1,4', '0 0 1-7 * 1', '0 12 * JAN-DEC SUN', '15,45 8-18 * * *', '0 0 * * 7']) AS c;
\! $DUNE_MV_CTL dune stats
