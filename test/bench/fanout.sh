#!/usr/bin/env bash
# Queued-call benchmark (not a test): the time until N queued refreshes are
# all 'done' in dune_mv.requests, against the Dune stand-in answering each
# refresh after DELAY_MS; the cost of queuing one call; and, beside them,
# the same N requests sent by a plain libcurl loop one after the other.
#
# Usage: bash test/bench/fanout.sh
# Environment: N (1000), DELAY_MS (100), IN_FLIGHT (the settings to try,
# default "32 200": 32 is dune_mv.worker_max_in_flight's default),
# ENQUEUE_N (10000) queued calls timed for the enqueue cost.
set -eu
. "$(dirname "$0")/../lib.sh"

N=${N:-1000}
DELAY_MS=${DELAY_MS:-100}
IN_FLIGHT=${IN_FLIGHT:-"32 200"}
ENQUEUE_N=${ENQUEUE_N:-10000}

ensure_packages
build_install
init_work
start_stand_ins
start_cluster data <<CONF
log_min_messages = warning
CONF
psql -X -q -d postgres -c "CREATE EXTENSION dune_mv" >/dev/null
sleep 1
psql -X -q -At -d postgres -c "SELECT name FROM dune_mv_upsert('result_fanout', 1)" >/dev/null

# Time until every queued request is done (from the committing statement).
fanout() {
	local in_flight=$1
	psql -X -q -At -d postgres -c "ALTER SYSTEM SET dune_mv.worker_max_in_flight = $in_flight" \
		-c "ALTER SYSTEM SET dune_mv.worker_max_in_flight_per_provider = $in_flight" \
		-c "SELECT pg_reload_conf()" >/dev/null
	sleep 1
	$DUNE_MV_CTL -q dune fault delay_ms=$DELAY_MS times=$N match=/refresh
	psql -X -q -At -d postgres <<SQL
DELETE FROM dune_mv.requests;
SELECT clock_timestamp() AS t0 \gset
SET dune_mv.refresh_while_running = on;	-- N refreshes of one view: each goes out
SELECT count(dune_mv_refresh_async('result_fanout')) FROM generate_series(1, $N) \g /dev/null
DO \$\$
BEGIN
	WHILE (SELECT count(*) FROM dune_mv.requests WHERE state IN ('queued', 'sending')) > 0 LOOP
		PERFORM pg_sleep(0.01);
	END LOOP;
END
\$\$;
SELECT format('worker_max_in_flight=%s: %s requests done in %s s (%s failed)', $in_flight,
	count(*) FILTER (WHERE state = 'done'),
	round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz)::numeric, 2),
	count(*) FILTER (WHERE state <> 'done'))
FROM dune_mv.requests;
SQL
}

log "fan-out: $N queued refreshes, the stand-in answers each after $DELAY_MS ms"
for k in $IN_FLIGHT; do
	fanout "$k"
done

log "enqueue cost: $ENQUEUE_N queued calls in one statement, rolled back (so none is sent)"
psql -X -q -At -d postgres <<SQL
ALTER SYSTEM SET dune_mv.worker_max_in_flight = 1;
SELECT pg_reload_conf();
SELECT clock_timestamp() AS t0 \gset
BEGIN;
SET dune_mv.refresh_while_running = on;
SELECT count(dune_mv_refresh_async('result_fanout')) FROM generate_series(1, $ENQUEUE_N) \g /dev/null
SELECT format('enqueue: %s us per queued call (inside one transaction, rolled back)',
	round((extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / $ENQUEUE_N)::numeric, 1));
ROLLBACK;
SQL

log "anchor: the same $N requests one after the other with curl (keep-alive)"
start=$(date +%s%N)
$DUNE_MV_CTL -q dune fault delay_ms=$DELAY_MS times=$N match=/refresh
url="http://127.0.0.1:$DUNE_MV_DUNE_PORT/api/v1/materialized-views/dune.testteam.result_fanout/refresh"
args=()
for _ in $(seq "$N"); do args+=(-o /dev/null -X POST -H "X-Dune-Api-Key: $DUNE_MV_DUNE_KEY" \
	-H "Content-Type: application/json" -d '{}' "$url" --next); done
curl -s "${args[@]}" -o /dev/null "http://127.0.0.1:$DUNE_MV_DUNE_PORT/_ctl/stats" || true
echo "sequential curl: $N requests in $(( ($(date +%s%N) - start) / 1000000 )) ms"
