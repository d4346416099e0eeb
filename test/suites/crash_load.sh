#!/usr/bin/env bash
# Synchronous refreshes under load, across a backend killed with SIGKILL and
# across a fast restart of the server.
#   1. 16 sessions (psql processes) refresh the same 4 views 20 times each,
#      against a stand-in that holds every refresh a little, so calls
#      overlap (half the sessions refresh the 4 views in one transaction
#      per round): no session fails or hangs (no deadlock), every refresh
#      is recorded once ('ok', or 'skipped' by the overlap guard), the
#      stand-in got exactly the 'ok' ones, no execution id twice.  (The
#      guard's own status reads are recorded too: they are listed, not
#      counted as refreshes.)
#   2. A backend killed with SIGKILL while the stand-in holds its refresh:
#      the server restarts, no catalog row is half-written, what committed
#      before the crash is there, what did not is wholly absent, and calls
#      work again (README: the journal entries of calls in flight at the
#      crash are lost, so the killed call's record is not asserted).
#   3. A fast restart (pg_ctl -m fast restart, keys out of the environment
#      as in start_cluster) while 8 sessions refresh: the server comes back,
#      no half-written rows, every call that returned to its caller is in
#      the catalog, and every refresh the stand-in received is recorded
#      (README "Records that survive whatever follows the request": a fast
#      shutdown is one of the cases the worker records: 'ok', 'error' or
#      'unknown').
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null
PGBIN=$(pg_config --bindir)
DB=crash_load
dir="$WORK/crash_load"
rm -rf "$dir" && mkdir -p "$dir" && chmod 777 "$dir"
SLACK=${DUNE_MV_TIME_SLACK:-1}

refresh_posts() {	# refresh_posts PART: refresh POSTs of views result_PART* the stand-in received
	$DUNE_MV_CTL dune requests | grep -c "\"method\": \"POST\", \"path\": \"[^\"]*\\.$1[^\"]*/refresh\""
}
refreshes_unanswered() {	# refresh POSTs the stand-in is still holding
	$DUNE_MV_CTL dune requests | grep '/refresh"' | grep -c '"status": null'
}
stand_in_idle() {	# until the stand-in has answered every request (30 s)
	for _ in $(seq 300); do
		[ "$(refreshes_unanswered)" = 0 ] && return 0
		sleep 0.1
	done
	return 1
}
max_call() { q -d $DB -c "SELECT coalesce(max(id), 0) FROM dune_mv.calls"; }
server_up() {	# until the server accepts connections and is out of recovery (60 s)
	for _ in $(seq 600); do
		[ "$(q -d postgres -c "SELECT NOT pg_is_in_recovery()" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}

# Every catalog row whole and consistent with the others (00_catalog.sql,
# 40_tracking.sql); prints one line per violation, nothing when all is well.
half_written() {
	q -d $DB <<'SQL'
SELECT 'calls ' || id || ': ' || why FROM (
	SELECT id, CASE
		WHEN provider NOT IN ('dune', 'lance') THEN 'provider ' || provider
		WHEN outcome NOT IN ('ok', 'skipped', 'error', 'unknown') THEN 'outcome ' || outcome
		WHEN operation = '' OR target = '' THEN 'no operation or target'
		WHEN outcome = 'skipped' AND (operation NOT IN ('refresh') OR request IS NOT NULL
			OR http_status IS NOT NULL OR execution_id IS NOT NULL OR duration_ms IS NOT NULL)
			THEN 'a skipped run with what only a sent call has'
		WHEN outcome <> 'skipped' AND (request->>'method' IS NULL OR request->>'path' IS NULL
			OR duration_ms IS NULL) THEN 'a sent call without its request or duration'
		WHEN outcome = 'ok' AND (http_status IS NULL OR http_status NOT BETWEEN 200 AND 299
			OR error IS NOT NULL) THEN 'ok without a 2xx status, or with an error'
		WHEN outcome = 'ok' AND provider = 'dune' AND operation IN ('upsert', 'refresh')
			AND execution_id IS NULL THEN 'an ok ' || operation || ' without its execution'
		WHEN outcome IN ('error', 'unknown') AND coalesce(error, '') = '' THEN outcome || ' without its error'
	END AS why FROM dune_mv.calls) c
WHERE why IS NOT NULL
UNION ALL
SELECT 'executions ' || e.id || ': started by ' || e.started_by || ' without an ok call that started it'
FROM dune_mv.executions e
WHERE e.started_by IN ('upsert', 'refresh', 'create') AND NOT EXISTS (
	SELECT 1 FROM dune_mv.calls c WHERE c.role = e.role AND c.provider = e.provider
		AND c.execution_id = e.remote_id AND c.operation = e.started_by AND c.outcome = 'ok')
UNION ALL
SELECT 'executions ' || e.id || ': no view name' FROM dune_mv.executions e
WHERE e.started_by IN ('upsert', 'refresh') AND e.view_name IS NULL
UNION ALL
SELECT 'calls ' || c.id || ': execution ' || c.execution_id || ' not in dune_mv.executions'
FROM dune_mv.calls c
WHERE c.outcome = 'ok' AND c.operation IN ('upsert', 'refresh', 'create') AND c.execution_id IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM dune_mv.executions e WHERE e.role = c.role
		AND e.provider = c.provider AND e.remote_id = c.execution_id)
UNION ALL
SELECT 'execution ' || execution_id || ' started by ' || count(*) || ' calls'
FROM dune_mv.calls WHERE outcome = 'ok' AND operation IN ('upsert', 'refresh', 'create')
	AND execution_id IS NOT NULL
GROUP BY provider, execution_id HAVING count(*) > 1
UNION ALL
SELECT 'remote_views ' || v.name || ': last execution ' || v.last_execution_id || ' not in dune_mv.executions'
FROM dune_mv.remote_views v
WHERE v.last_execution_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM dune_mv.executions e
	WHERE e.role = v.role AND e.provider = v.provider AND e.remote_id = v.last_execution_id)
UNION ALL
SELECT 'remote_views ' || v.name || ': last_execution_id and last_execution_at disagree'
FROM dune_mv.remote_views v WHERE (v.last_execution_id IS NULL) <> (v.last_execution_at IS NULL)
UNION ALL
SELECT 'execution_states ' || s.id || ': not about its execution'
FROM dune_mv.execution_states s JOIN dune_mv.executions e ON e.id = s.execution_id
WHERE (e.role, e.provider, e.remote_id) IS DISTINCT FROM (s.role, s.provider, s.remote_id)
UNION ALL
SELECT 'requests ' || id || ': state ' || state FROM dune_mv.requests
WHERE state NOT IN ('queued', 'sending', 'done', 'failed', 'cancelled', 'skipped', 'unknown');
SQL
}

q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" 2>/dev/null
q -d $DB -c "CREATE EXTENSION dune_mv"
check "a worker serves the database" wait_for "SELECT alive FROM dune_mv.worker"

##############################################################################
# 1. Load: 16 sessions x 4 views x 20 refreshes, each refresh held 20 ms.
##############################################################################
SESSIONS=16 VIEWS=4 ROUNDS=20
$DUNE_MV_CTL -q dune reset
for v in $(seq $VIEWS); do
	q -d $DB -c "SELECT dune_mv_upsert('result_crash_load_$v', $v)" >/dev/null
done
$DUNE_MV_CTL -q dune fault delay_ms=20 times=1000000 match=result_crash_load_
c0=$(max_call)
# Even sessions: one statement (transaction) per refresh; odd ones: one
# transaction per round, refreshing the 4 views in a session-specific order.
for s in $(seq $SESSIONS); do
	{
		echo '\set ON_ERROR_STOP 1'
		for r in $(seq $ROUNDS); do
			[ $((s % 2)) = 1 ] && echo 'BEGIN;'
			for k in $(seq 0 $((VIEWS - 1))); do
				v=$(( (k + s + r) % VIEWS + 1 ))
				echo "SELECT coalesce(execution_id, 'SKIP') FROM dune_mv_refresh('result_crash_load_$v');"
			done
			[ $((s % 2)) = 1 ] && echo 'COMMIT;'
		done
	} >"$dir/load_$s.sql"
done
start=$(date +%s%N)
pids=()
for s in $(seq $SESSIONS); do
	timeout $((300 * SLACK)) psql -X -q -At -d $DB -f "$dir/load_$s.sql" \
		>"$dir/load_$s.out" 2>"$dir/load_$s.err" &
	pids+=($!)
done
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# load: $((SESSIONS * VIEWS * ROUNDS)) refreshes in $ms ms"
check_eq "every session exited 0 (no deadlock, no timeout, no error)" \
	"$(printf ' 0%.0s' $(seq $SESSIONS))" "$rcs"
check "the load finished within $((120 * SLACK)) s (${ms} ms)" test "$ms" -lt $((120000 * SLACK))
# (messages only: their DETAIL, HINT and CONTEXT lines are not judged; the
# skip notice names the view and why)
unexpected=$(cat "$dir"/load_*.err | sed -E 's/^psql:[^:]*:[0-9]+: //' |
	grep -E '^(DEBUG[0-9]*|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC):|^error:' |
	grep -vE '^NOTICE:  skipped refresh of "dune\.testteam\.result_crash_load_[0-9]+": ' | head -n 8)
check_eq "nothing on stderr but the documented skip notices" "" "$unexpected"
cat "$dir"/load_*.out >"$dir/load.all"
returned=$(wc -l <"$dir/load.all")
ok_seen=$(grep -vc '^SKIP$' "$dir/load.all")
skip_seen=$(grep -c '^SKIP$' "$dir/load.all")
echo "# load: $ok_seen refreshes sent, $skip_seen skipped"
check_eq "every refresh returned a row" $((SESSIONS * VIEWS * ROUNDS)) "$returned"
check_eq "the sessions saw no execution id twice" "$ok_seen" "$(grep -v '^SKIP$' "$dir/load.all" | sort -u | wc -l)"
check "some calls overlapped and were skipped, some went out" test "$skip_seen" -gt 0 -a "$ok_seen" -gt 0
check_eq "refresh calls recorded = successes + skips" "$((ok_seen + skip_seen))" \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.calls WHERE id > $c0 AND operation = 'refresh'")"
echo "# load: other calls recorded meanwhile: $(q -d $DB -c "SELECT coalesce(string_agg(operation || '/' || outcome || ':' || n, ' '), 'none')
	FROM (SELECT operation, outcome, count(*) n FROM dune_mv.calls WHERE id > $c0 AND operation <> 'refresh' GROUP BY 1, 2) o")"
check_eq "recorded by outcome (ok skipped)" "$ok_seen $skip_seen" \
	"$(q -d $DB -c "SELECT count(*) FILTER (WHERE outcome = 'ok' AND operation = 'refresh') || ' ' ||
		count(*) FILTER (WHERE outcome = 'skipped' AND operation = 'refresh') FROM dune_mv.calls WHERE id > $c0")"
check "the stand-in answered every refresh" stand_in_idle
check_eq "refresh POSTs the stand-in received = refresh calls recorded 'ok'" \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.calls WHERE id > $c0 AND outcome = 'ok' AND operation = 'refresh'")" \
	"$(refresh_posts result_crash_load_)"
check_eq "no execution id recorded twice" "0" \
	"$(q -d $DB -c "SELECT count(*) - count(DISTINCT execution_id) FROM dune_mv.calls WHERE id > $c0 AND outcome = 'ok' AND operation = 'refresh'")"
grep -v '^SKIP$' "$dir/load.all" | sort >"$dir/load.ids"
q -d $DB -c "SELECT execution_id FROM dune_mv.calls WHERE id > $c0 AND outcome = 'ok' AND operation = 'refresh' ORDER BY 1" >"$dir/load.recorded"
check "the ids recorded are the ids returned" cmp -s "$dir/load.ids" "$dir/load.recorded"
check_eq "each has its executions row, started by refresh" "$ok_seen" \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.executions e JOIN dune_mv.calls c ON c.execution_id = e.remote_id
		WHERE c.id > $c0 AND c.outcome = 'ok' AND c.operation = 'refresh' AND e.started_by = 'refresh'")"
check_eq "each view's last execution is its newest recorded one" "0" \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.remote_views v WHERE v.name LIKE 'result_crash_load_%'
		AND v.last_execution_id IS DISTINCT FROM (SELECT c.execution_id FROM dune_mv.calls c
			WHERE c.outcome = 'ok' AND c.operation = 'refresh' AND c.target = v.full_name ORDER BY c.id DESC LIMIT 1)")"
check_eq "no half-written or inconsistent row after the load" "" "$(half_written 2>&1)"

##############################################################################
# 2. A backend killed with SIGKILL in the middle of a refresh.
##############################################################################
# (no reset of the stand-in from here on: it numbers executions from 1 after
# a reset, and this database must see each id once; faults match each part's views)
for v in kill pending done after; do
	q -d $DB -c "SELECT dune_mv_upsert('result_crash_$v', 7)" >/dev/null
done
c0=$(max_call)
# Committed before the crash: must survive it.
done_id=$(q -d $DB -c "SELECT execution_id FROM dune_mv_refresh('result_crash_done')")
# Answered but not committed at the crash (an open transaction): must be
# wholly absent after it, or wholly present; never a part of it.
cat >"$dir/pending.sql" <<SQL
\set ON_ERROR_STOP 1
BEGIN;
SELECT execution_id FROM dune_mv_refresh('result_crash_pending');
\! touch $dir/pending_refreshed
SELECT pg_sleep(60);
COMMIT;
SQL
psql -X -q -At -d $DB -f "$dir/pending.sql" >"$dir/pending.out" 2>"$dir/pending.err" &
pending_pid=$!
for _ in $(seq 300); do [ -f "$dir/pending_refreshed" ] && break; sleep 0.1; done
pending_id=$(head -n 1 "$dir/pending.out")
check "an open transaction holds an answered refresh ($pending_id)" test -n "$pending_id"
# The victim: its refresh is held 5 s by the stand-in.
$DUNE_MV_CTL -q dune fault delay_ms=5000 match=result_crash_kill/refresh
posts_before=$(refresh_posts result_crash_kill)
psql -X -q -At -d $DB -c "SELECT execution_id FROM dune_mv_refresh('result_crash_kill')" \
	>"$dir/kill.out" 2>"$dir/kill.err" &
kill_psql=$!
for _ in $(seq 300); do [ "$(refreshes_unanswered)" = 1 ] && break; sleep 0.1; done
check_eq "the stand-in holds the victim's refresh" 1 "$(refreshes_unanswered)"
victim=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB' AND state = 'active'
	AND query LIKE '%dune_mv_refresh(''result_crash_kill'')%' AND pid <> pg_backend_pid()")
check "the victim's backend is found in pg_stat_activity ($victim)" test -n "$victim"
check "the victim's refresh reached the stand-in" test "$(( $(refresh_posts result_crash_kill) - posts_before ))" = 1
kill -9 "$victim"
wait "$kill_psql"; kill_rc=$?
wait "$pending_pid"; pending_rc=$?
check "the victim's session lost its connection (exit $kill_rc)" test "$kill_rc" -ne 0
check "the session with the open transaction lost it too (exit $pending_rc)" test "$pending_rc" -ne 0
check "the server recovered (crash restart)" server_up
check "the log shows the crash and the restart" \
	grep -q "server process (PID $victim) was terminated by signal 9" "$DUNE_MV_LOG"
check "the server reinitialized after the crash" grep -q "all server processes terminated; reinitializing" "$DUNE_MV_LOG"
check "a new worker serves the database" wait_for "SELECT alive FROM dune_mv.worker"
check_eq "no half-written or inconsistent row after the crash" "" "$(half_written 2>&1)"
check_eq "the refresh committed before the crash is recorded" "1 1 $done_id" \
	"$(q -d $DB -c "SELECT (SELECT count(*) FROM dune_mv.calls WHERE execution_id = '$done_id' AND outcome = 'ok') || ' ' ||
		(SELECT count(*) FROM dune_mv.executions WHERE remote_id = '$done_id' AND started_by = 'refresh') || ' ' ||
		(SELECT last_execution_id FROM dune_mv.remote_views WHERE name = 'result_crash_done')")"
# The uncommitted transaction's rows: all or nothing (README: a crash loses
# the journal entries of the calls in flight, so "nothing" is allowed).
# (calls, executions, view rows holding it: "0 0 0", or all its transaction
# wrote "1 1 1", or recorded by the worker from the journal "1 1 0")
pending_rows=$(q -d $DB -c "SELECT (SELECT count(*) FROM dune_mv.calls WHERE execution_id = '$pending_id') || ' ' ||
		(SELECT count(*) FROM dune_mv.executions WHERE remote_id = '$pending_id') || ' ' ||
		(SELECT count(*) FROM dune_mv.remote_views WHERE name = 'result_crash_pending' AND last_execution_id = '$pending_id')")
check "the uncommitted refresh is wholly absent or wholly present ($pending_rows)" grep -qxE '0 0 0|1 1 1|1 1 0' <<<"$pending_rows"
check_eq "no call of the window recorded twice" 0 \
	"$(q -d $DB -c "SELECT count(*) - count(DISTINCT execution_id) FROM dune_mv.calls WHERE id > $c0 AND execution_id IS NOT NULL")"
# The next calls work: a refresh, and a rolled-back one the (new) worker records from the (new) journal.
after_id=$(q -d $DB -c "SELECT execution_id FROM dune_mv_refresh('result_crash_after')" 2>&1)
check "a refresh after the crash works ($after_id)" grep -qx '01JDMV[0-9]*' <<<"$after_id"
check_eq "it is recorded once, ok, with its execution" "1 1" \
	"$(q -d $DB -c "SELECT (SELECT count(*) FROM dune_mv.calls WHERE execution_id = '$after_id' AND outcome = 'ok') || ' ' ||
		(SELECT count(*) FROM dune_mv.executions WHERE remote_id = '$after_id')")"
rolled=$(q -d $DB -c "BEGIN" -c "SELECT execution_id FROM dune_mv_refresh('result_crash_after')" -c "ROLLBACK" 2>&1)
check "the journal works after the crash: a rolled-back refresh is recorded by the worker ($rolled)" \
	wait_for "SELECT count(*) = 1 FROM dune_mv.calls WHERE execution_id = '$rolled' AND outcome = 'ok'"
check "the stand-in answered the victim's held refresh" stand_in_idle
check_eq "no half-written or inconsistent row after the next calls" "" "$(half_written 2>&1)"

##############################################################################
# 3. A fast restart while 8 sessions refresh (each refresh held 400 ms).
##############################################################################
FAST=8
for s in $(seq $FAST); do
	last_upsert=$(q -d $DB -c "SELECT execution_id FROM dune_mv_upsert('result_crash_fast_$s', $s)")
done
n0=$((10#${last_upsert#01JDMV}))	# the stand-in numbers its executions in order
c0=$(max_call)
$DUNE_MV_CTL -q dune fault delay_ms=400 times=1000000 match=result_crash_fast_
for s in $(seq $FAST); do
	{
		echo '\set ON_ERROR_STOP 1'
		for _ in $(seq 150); do
			echo "SELECT execution_id FROM dune_mv_refresh('result_crash_fast_$s');"
		done
	} >"$dir/fast_$s.sql"
done
pids=()
for s in $(seq $FAST); do
	timeout $((120 * SLACK)) psql -X -q -At -d $DB -f "$dir/fast_$s.sql" \
		>"$dir/fast_$s.out" 2>"$dir/fast_$s.err" &
	pids+=($!)
done
sleep 1.5	# a few refreshes each, then the restart while every session's refresh is held
for _ in $(seq 500); do [ "$(refreshes_unanswered)" = "$FAST" ] && break; sleep 0.02; done
check_eq "the sessions' refreshes are in flight at the restart" "$FAST" "$(refreshes_unanswered)"
start=$(date +%s%N)
# (the keys stay out of the server's environment, as in start_cluster)
as_pg env -u DUNE_MV_DUNE_KEY -u DUNE_MV_LANCE_KEY -u DUNE_MV_LANCE_TOKEN \
	"$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w restart -l "$DUNE_MV_LOG" >/dev/null
restart_rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "pg_ctl restart succeeded (exit $restart_rc, ${ms} ms)" test "$restart_rc" = 0
rcs=""
for p in "${pids[@]}"; do wait "$p"; rcs="$rcs $?"; done
check "the server came back" server_up
check "a new worker serves the database" wait_for "SELECT alive FROM dune_mv.worker"
check "every session ended, none by the timeout:$rcs" test -z "$(tr ' ' '\n' <<<"$rcs" | grep -x 124)"
unexpected=$(cat "$dir"/fast_*.err | sed -E 's/^psql:[^:]*:[0-9]+: //' |
	grep -E '^(DEBUG[0-9]*|LOG|INFO|NOTICE|WARNING|ERROR|FATAL|PANIC):|^error:' |
	grep -vxE 'FATAL:  terminating connection due to administrator command|error: connection to server was lost' | head -n 5)
check_eq "the sessions ended by losing their connection, with no other error" "" "$unexpected"
cat "$dir"/fast_*.out | sort >"$dir/fast.ids"
returned=$(wc -l <"$dir/fast.ids")
check "the sessions got answers before the restart ($returned)" test "$returned" -gt 0
check "the stand-in answered every refresh it held" stand_in_idle
received=$(refresh_posts result_crash_fast_)
unanswered=$((received - returned))
echo "# fast restart: $received refreshes received, $returned answered to their callers, $unanswered not"
check "some refreshes reached the stand-in without their caller seeing the answer ($unanswered)" \
	test "$unanswered" -gt 0
# Give the worker time to record what the journal handed over.
wait_for "SELECT count(*) >= $received FROM dune_mv.calls WHERE id > $c0 AND operation = 'refresh'" 100
check_eq "no half-written or inconsistent row after the restart" "" "$(half_written 2>&1)"
q -d $DB -c "SELECT execution_id FROM dune_mv.calls WHERE id > $c0 AND outcome = 'ok' AND operation = 'refresh'
	AND error IS NULL ORDER BY 1" >"$dir/fast.recorded"
check_eq "every call answered to its caller is in the catalog, ok" "" \
	"$(comm -23 "$dir/fast.ids" "$dir/fast.recorded" | head -n 5)"
check_eq "no refresh recorded as skipped (one view per session)" 0 \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.calls WHERE id > $c0 AND outcome = 'skipped'")"
recorded=$(q -d $DB -c "SELECT count(*) FROM dune_mv.calls WHERE id > $c0 AND operation = 'refresh'
	AND outcome IN ('ok', 'error', 'unknown')")
by_worker=$(q -d $DB -c "SELECT coalesce(string_agg(outcome || ':' || n, ' ' ORDER BY outcome), 'none') FROM (
	SELECT outcome, count(*) n FROM dune_mv.calls WHERE id > $c0 AND operation = 'refresh'
		AND (outcome <> 'ok' OR execution_id NOT IN (SELECT * FROM unnest(string_to_array('$(tr '\n' ' ' <"$dir/fast.ids")', ' '))))
	GROUP BY outcome) o")
echo "# fast restart: $recorded recorded (not by their caller: $by_worker)"
check_eq "every refresh the stand-in received is recorded (by its caller, or by the worker from the journal)" \
	"$received" "$recorded"
# The stand-in numbers its executions in order: the refreshes of this part
# took n0+1..n0+received.  An 'ok' the worker recorded carries an id the
# stand-in issued; the others are 'unknown' or 'error'.
check_eq "every execution id recorded ok was issued by the stand-in, once" "0" \
	"$(q -d $DB -c "SELECT count(*) FROM (SELECT execution_id, count(*) FROM dune_mv.calls
		WHERE id > $c0 AND outcome = 'ok' AND operation = 'refresh' GROUP BY execution_id
		HAVING count(*) > 1 OR execution_id NOT IN (SELECT format('01JDMV%s', lpad(i::text, 20, '0'))
			FROM generate_series($n0 + 1, $n0 + $received) i)) x")"
check_eq "worker-recorded calls name the reason in calls.error" 0 \
	"$(q -d $DB -c "SELECT count(*) FROM dune_mv.calls WHERE id > $c0 AND outcome IN ('error', 'unknown') AND coalesce(error, '') = ''")"
after_id=$(q -d $DB -c "SELECT execution_id FROM dune_mv_refresh('result_crash_fast_1')" 2>&1)
check "a refresh after the restart works ($after_id)" grep -qx '01JDMV[0-9]*' <<<"$after_id"

$DUNE_MV_CTL -q dune reset
[ "${KEEP_WORK:-0}" = 1 ] || q -d postgres -c "DROP DATABASE $DB"
summary
