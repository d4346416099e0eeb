#!/usr/bin/env bash
# The background worker across crashes, restarts and drops: a request that
# may have reached the API before a crash or restart is never sent again by
# itself (it becomes 'unknown'), queued ones go out afterwards, and DROP
# EXTENSION / DROP DATABASE never wait on the worker.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null
PGBIN=$(pg_config --bindir)
DB=worker_test

refreshes() {	# how many refresh requests the stand-in has seen since its reset
	$DUNE_MV_CTL dune requests | grep -c '/refresh"'
}
count_state() {	# count_state STATE: requests of the test in that state
	q -d $DB -c "SELECT count(*) FROM dune_mv.requests WHERE state = '$1'"
}
worker_pid() {
	q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dune_mv worker' AND datname = '$DB'"
}

q -d postgres -c "CREATE DATABASE $DB"
q -d $DB -c "CREATE EXTENSION dune_mv"
check "a worker serves the new database" wait_for "SELECT alive FROM dune_mv.worker"
q -d postgres -c "ALTER SYSTEM SET dune_mv.worker_max_in_flight = 2" -c "SELECT pg_reload_conf()" >/dev/null

# 1. The worker killed with SIGKILL while 2 requests are in flight and 3 queued.
$DUNE_MV_CTL -q dune reset	# the stand-in forgets its views too: upsert again
q -d $DB -c "SELECT dune_mv_upsert('result_w', 1)" >/dev/null
$DUNE_MV_CTL -q dune fault delay_ms=4000 times=2 match=/refresh
# (several refreshes of one view: asked for, or the overlap guard would skip all but one)
q -d $DB -c "SET dune_mv.refresh_while_running = on" \
	-c "SELECT dune_mv_refresh_async('dune.testteam.result_w') FROM generate_series(1, 5)" >/dev/null
check "two requests in flight" wait_for "SELECT count(*) = 2 FROM dune_mv.requests WHERE state = 'sending'"
pid=$(worker_pid)
kill -9 "$pid"
sleep 1
check "the server recovered" wait_for "SELECT true"
check "a new worker started" wait_for "SELECT alive FROM dune_mv.worker"
check "the queued ones went out after the restart" wait_for "SELECT count(*) = 3 FROM dune_mv.requests WHERE state = 'done'"
check_eq "the ones in flight are unknown" 2 "$(count_state unknown)"
check "their reason says so" wait_for "SELECT bool_and(message LIKE '%may have reached the API%') FROM dune_mv.requests WHERE state = 'unknown'"
sleep 4.5
check_eq "none was sent twice (5 requests, 5 sent)" 5 "$(refreshes)"

# 2. A fast restart of PostgreSQL while requests are in flight and queued.
q -d $DB -c "DELETE FROM dune_mv.requests"
$DUNE_MV_CTL -q dune reset	# the stand-in forgets its views too: upsert again
q -d $DB -c "SELECT dune_mv_upsert('result_w', 1)" >/dev/null
$DUNE_MV_CTL -q dune fault delay_ms=4000 times=2 match=/refresh
q -d $DB -c "SET dune_mv.refresh_while_running = on" \
	-c "SELECT dune_mv_refresh_async('dune.testteam.result_w') FROM generate_series(1, 4)" >/dev/null
check "two requests in flight before the restart" wait_for "SELECT count(*) = 2 FROM dune_mv.requests WHERE state = 'sending'"
# (the keys stay out of the server's environment, as in start_cluster)
as_pg env -u DUNE_MV_DUNE_KEY -u DUNE_MV_LANCE_KEY -u DUNE_MV_LANCE_TOKEN \
	"$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w restart -l "$DUNE_MV_LOG" >/dev/null
check "after the restart the queued ones went out" wait_for "SELECT count(*) = 2 FROM dune_mv.requests WHERE state = 'done'"
check_eq "the ones in flight are unknown" 2 "$(count_state unknown)"
sleep 4.5
check_eq "none was sent twice (4 requests, 4 sent)" 4 "$(refreshes)"
check_eq "a resend is deliberate and goes out once" t "$(q -d $DB -c "SELECT dune_mv_request_resend(min(id)) > 0 FROM dune_mv.requests WHERE state = 'unknown'")"
check "the resent request is done" wait_for "SELECT count(*) = 3 FROM dune_mv.requests WHERE state = 'done'"
check_eq "five sent in all" 5 "$(refreshes)"

# 2b. No worker serves the database (the launcher is held stopped, the worker
# terminated): queuing warns, the request waits and goes out once one starts.
launcher=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type = 'dune_mv launcher'")
kill -STOP "$launcher"
q -d postgres -c "SELECT pg_terminate_backend($(worker_pid))" >/dev/null
check "the worker is gone" wait_for "SELECT NOT alive FROM dune_mv.worker"
warn=$(q -d $DB -c "SET dune_mv.refresh_while_running = on" \
	-c "SELECT dune_mv_refresh_async('dune.testteam.result_w')" 2>&1 >/dev/null)
check "queuing warns that no worker serves the database: $warn" \
	grep -q 'WARNING:  no dune_mv worker serves database "worker_test" now' <<<"$warn"
sleep 1
check_eq "the request stays queued meanwhile" 1 "$(count_state queued)"
kill -CONT "$launcher"
check "a worker starts and sends it" wait_for "SELECT count(*) = 4 FROM dune_mv.requests WHERE state = 'done'"

# 3. DROP EXTENSION with the worker running does not wait on it; CREATE starts it again.
start=$(date +%s%N)
q -d $DB -c "DROP EXTENSION dune_mv"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "DROP EXTENSION returned in ${ms} ms" test "$ms" -lt 5000
check "no worker serves the database any more" wait_for "SELECT count(*) = 0 FROM pg_stat_activity WHERE backend_type = 'dune_mv worker' AND datname = '$DB'"
q -d $DB -c "CREATE EXTENSION dune_mv"
check "CREATE EXTENSION starts a worker again" wait_for "SELECT alive FROM dune_mv.worker"

# 4. DROP DATABASE with the worker running.
check "the worker runs before DROP DATABASE" test -n "$(worker_pid)"
out=$(q -d postgres -c "DROP DATABASE $DB" 2>&1)
check "DROP DATABASE succeeds: $out" test -z "$out"
q -d postgres -c "ALTER SYSTEM RESET dune_mv.worker_max_in_flight" -c "SELECT pg_reload_conf()" >/dev/null
summary
