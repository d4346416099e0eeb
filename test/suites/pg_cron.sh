#!/usr/bin/env bash
# pg_cron end to end, on a scratch cluster with shared_preload_libraries =
# 'pg_cron,dune_mv': a scheduled refresh lands in the catalog, and two jobs
# refreshing one view at the same minute never overlap (one is skipped and
# recorded as skipped, and pg_cron counts both runs as succeeded).
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh"
PGBIN=$(pg_config --bindir)

saved_host=$PGHOST saved_port=$PGPORT saved_log=$DUNE_MV_LOG
start_cluster croncluster "pg_cron,dune_mv" <<CONF
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
CONF
trap 'as_pg "$PGBIN/pg_ctl" -D "$WORK/croncluster" -m fast -w stop >/dev/null 2>&1' EXIT

q -d postgres -c "CREATE EXTENSION dune_mv"
out=$(q -d postgres -c "SELECT dune_mv_schedule('x', '* * * * *', 'SELECT 1')" 2>&1)
check "without pg_cron the helper says so" grep -q "pg_cron is not installed in this database" <<<"$out"
q -d postgres -c "CREATE EXTENSION pg_cron"

$DUNE_MV_CTL -q dune reset
q -d postgres -c "SELECT dune_mv_upsert('result_cron_view', 61)" >/dev/null
# Both jobs fire at the next minute boundary; the server holds each refresh for 4 s.
$DUNE_MV_CTL -q dune fault delay_ms=4000 match=result_cron_view/refresh times=5
now_s=$(date +%S | sed 's/^0//')
if [ "$now_s" -ge 50 ]; then sleep $((62 - now_s)); fi
j1=$(q -d postgres -c "SELECT dune_mv_schedule('refresh_a', '* * * * *', \$\$SELECT * FROM dune_mv_refresh('result_cron_view')\$\$)")
j2=$(q -d postgres -c "SELECT dune_mv_schedule('refresh_b', '* * * * *', \$\$SELECT * FROM dune_mv_refresh('result_cron_view')\$\$)")
check "dune_mv_schedule returned job ids" test -n "$j1" -a -n "$j2" -a "$j1" != "$j2"

# Wait for both runs of the first minute to finish (at most ~75 s).
for _ in $(seq 150); do
	done_runs=$(q -d postgres -c "SELECT count(*) FROM cron.job_run_details WHERE status IN ('succeeded', 'failed')")
	[ "$done_runs" -ge 2 ] && break
	sleep 0.5
done
q -d postgres -c "SELECT cron.unschedule('refresh_a'), cron.unschedule('refresh_b')" >/dev/null

runs=$(q -d postgres -c "SELECT string_agg(status, ',' ORDER BY status) FROM (SELECT status FROM cron.job_run_details ORDER BY runid LIMIT 2) s")
check_eq "both scheduled runs succeeded (a skip is not an error)" "succeeded,succeeded" "$runs"
outcomes=$(q -d postgres -c "SELECT string_agg(outcome, ',' ORDER BY outcome) FROM dune_mv.calls WHERE operation = 'refresh' AND target = 'dune.testteam.result_cron_view'")
check_eq "one refresh ran, the overlapping one was skipped" "ok,skipped" "$outcomes"
check_eq "the scheduled refresh is in the catalog with its execution" 1 \
	"$(q -d postgres -c "SELECT count(*) FROM dune_mv.calls c JOIN dune_mv.views v ON v.last_execution_id = c.execution_id WHERE c.operation = 'refresh' AND c.outcome = 'ok'")"
check_eq "the server saw one refresh only" 1 \
	"$($DUNE_MV_CTL dune requests | grep -c '/refresh')"
check_eq "rows are the job owner's" postgres "$(q -d postgres -c "SELECT DISTINCT role FROM dune_mv.calls WHERE operation = 'refresh'")"

as_pg "$PGBIN/pg_ctl" -D "$WORK/croncluster" -m fast -w stop >/dev/null
trap - EXIT
export PGHOST=$saved_host PGPORT=$saved_port DUNE_MV_LOG=$saved_log
summary
