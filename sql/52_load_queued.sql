-- dune_mv_load_async: a load queued behind a refresh (refresh -> wait -> load as
-- one chain), checked like dune_mv_load before anything is queued, run by a
-- runner the worker starts, as the role that queued it, in one transaction
-- that also settles its request.
\! $DUNE_MV_CTL -q dune reset
DELETE FROM dune_mv.executions;	-- the stand-in's execution ids start again after a reset
CREATE SCHEMA l52;
SELECT execution_id IS NOT NULL AS started FROM dune_mv_upsert('result_l52', 521);
SELECT count(*) AS c0 FROM dune_mv.requests \gset

-- Bad input fails at once, and nothing is queued.
SELECT test.try($$SELECT dune_mv_load_async('result_l52', 'l52.t', 'merge')$$);
SELECT test.try($$SELECT dune_mv_load_async('x y', 'l52.t')$$);
SELECT test.try($$SELECT dune_mv_load_async('result_l52', NULL)$$);
SELECT test.try($$SELECT dune_mv_load_async('result_l52', 'nosuchschema.t')$$);
SELECT test.try($$SELECT dune_mv_load_async('result_l52', 'l52.t', after => ARRAY[-1]::bigint[])$$);
CREATE VIEW l52.v AS SELECT 1 AS id;
SELECT test.try($$SELECT dune_mv_load_async('result_l52', 'l52.v')$$);
SELECT count(*) - :c0 AS queued FROM dune_mv.requests;

-- The chain: the load waits until the refresh's execution has succeeded, then
-- loads that execution (the view's latest successful one).
\! $DUNE_MV_CTL -q dune set pending_ms=300 executing_ms=300
SELECT dune_mv_refresh_async('result_l52') AS up \gset
SELECT dune_mv_load_async('result_l52', 'l52.t', after => ARRAY[:up]) AS load \gset
SELECT test.settled(ARRAY[:up]);
SELECT pg_sleep(0.3);
SELECT state AS load_waits FROM dune_mv.requests WHERE id = :load;
SELECT state FROM dune_mv_wait((SELECT execution_id FROM dune_mv.requests WHERE id = :up), '30 seconds');
SELECT test.settled(ARRAY[:load]);
SELECT r.operation, r.target, r.state, r.execution_id = u.execution_id AS loaded_the_refresh,
	r.message, r.sqlstate
FROM dune_mv.requests r, dune_mv.requests u WHERE r.id = :load AND u.id = :up;
SELECT count(*) AS rows_in_table FROM l52.t;
SELECT l.target, l.mode, l.rows, l.execution_id = r.execution_id AS recorded
FROM dune_mv.loads l, dune_mv.requests r WHERE r.id = :load AND l.target = 'l52.t';

-- An upstream that fails: the load is skipped, the table untouched.
\! $DUNE_MV_CTL -q dune fault status=500 match=/refresh
SELECT dune_mv_refresh_async('result_l52') AS up2 \gset
SELECT dune_mv_load_async('result_l52', 'l52.t', 'append', after => ARRAY[:up2]) AS load2 \gset
SELECT test.settled(ARRAY[:up2, :load2]);
SELECT state, replace(message, :'up2', 'UP') AS message FROM dune_mv.requests WHERE id = :load2;
SELECT count(*) AS rows_in_table FROM l52.t;

-- A load that fails (a malformed page): failed with the error, the table as it was.
\! $DUNE_MV_CTL -q dune reset
DELETE FROM dune_mv.executions;	-- the stand-in's execution ids start again after a reset
SELECT execution_id FROM dune_mv_upsert('result_l52', 521);
\! $DUNE_MV_CTL -q dune set max_datapoints=105
\! $DUNE_MV_CTL -q dune fault match=/results param=offset=5 results=malformed
SELECT md5(string_agg(t::text, '|' ORDER BY id)) AS before FROM l52.t t \gset
SELECT dune_mv_load_async('01JDMV00000000000000000001', 'l52.t') AS load3 \gset
SELECT test.settled(ARRAY[:load3]);
SELECT state, sqlstate, message ~ 'malformed' AS names_the_fault, execution_id
FROM dune_mv.requests WHERE id = :load3;
SELECT md5(string_agg(t::text, '|' ORDER BY id)) = :'before' AS unchanged FROM l52.t t;
\! $DUNE_MV_CTL -q dune set max_datapoints=0

-- As the role that queued it: its table, its catalog rows; others see nothing of it.
CREATE ROLE l52_user IN ROLE dune_mv_user;
GRANT CREATE, USAGE ON SCHEMA l52 TO l52_user;
SET ROLE l52_user;
SELECT dune_mv_load_async('01JDMV00000000000000000001', 'l52.mine') AS load4 \gset
RESET ROLE;
SELECT test.settled(ARRAY[:load4]);
SELECT r.state, r.role, c.relowner::regrole AS owner, l.role AS load_role
FROM dune_mv.requests r JOIN pg_class c ON c.oid = 'l52.mine'::regclass
JOIN dune_mv.loads l ON l.target = 'l52.mine' WHERE r.id = :load4;
-- a load it cannot do is refused at once (no right on the table)
CREATE TABLE l52.not_mine (id bigint);
SET ROLE l52_user;
SELECT test.try($$SELECT dune_mv_load_async('01JDMV00000000000000000001', 'l52.not_mine')$$);
RESET ROLE;
DROP SCHEMA l52 CASCADE;
DROP ROLE l52_user;
