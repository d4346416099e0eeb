-- dune_mv demo: drive materialized views from SQL and keep a record of it.
\pset footer off
CREATE EXTENSION dune_mv;

-- Create (or replace) a Dune materialized view from saved query 4242, refreshed every Monday 03:00 UTC.
SELECT * FROM dune_mv_upsert('result_daily_volume', 4242, cron => '0 3 * * 1', performance => 'medium');

-- Refresh it now, by the bare name (the fully qualified name recorded at upsert is used).
SELECT * FROM dune_mv_refresh('result_daily_volume');

-- Refresh, then wait for the execution to reach a final state (polls with backoff, cancellable).
SET dune_mv.poll_interval_min = '1s';
SELECT execution_id, state, is_finished, submitted_at IS NOT NULL AS submitted, ended_at IS NOT NULL AS ended, cost_credits
FROM dune_mv_wait((dune_mv_refresh('result_daily_volume')).execution_id, '2 minutes');

-- LanceDB: a materialized view whose Arrow schema is written with PostgreSQL types.
SELECT * FROM lance_arrow_schema_describe(
	lance_arrow_schema('id bigint NOT NULL, body text, created timestamptz, embedding real[8]'));
SELECT * FROM lance_mv_create(ARRAY['analytics', 'daily docs'], 'query',
	'{"table": "docs", "filter": "day > 0"}',
	lance_arrow_schema('id bigint NOT NULL, body text, created timestamptz, embedding real[8]'),
	with_no_data => false);
SELECT * FROM lance_mv_wait((lance_mv_refresh(ARRAY['analytics', 'daily docs'], concurrency => 4)).job_id, '2 minutes');
SELECT name FROM lance_mv_list(ARRAY['analytics']);

-- Bad input never reaches the network.
\set ON_ERROR_STOP 0
SELECT * FROM dune_mv_upsert('result_too_often', 4242, cron => '*/5 * * * *');
SELECT * FROM lance_mv_create(ARRAY['analytics', '..'], 'query', 'q', lance_arrow_schema('id int8'));
\set ON_ERROR_STOP 1

-- Everything that was done, as data (no key anywhere).
SELECT id, role, provider, operation, target, http_status, execution_id, request->>'path' AS path, left((request->'body')::text, 60) AS body_sent
FROM dune_mv.calls ORDER BY id;
SELECT provider, name, full_name, query_id, cron_expression, performance, last_execution_id
FROM dune_mv.views;
SELECT remote_id, started_by, state FROM dune_mv.executions ORDER BY id;
SELECT provider, name, execution_id, state, ended_at IS NOT NULL AS ended FROM dune_mv.status;
