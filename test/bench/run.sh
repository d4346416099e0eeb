#!/usr/bin/env bash
# Refresh benchmark (not a test): per-call microseconds of dune_mv_refresh in
# one session against a fast local endpoint (fast_server.c), beside a plain
# libcurl keep-alive loop (curl_loop.c) sending the same request to it, and
# their ratio.  The target is a ratio of at most 1.3, catalog write included.
#
# Usage: bash test/bench/run.sh            (as root or as a user with sudo)
# Environment: N calls per measurement (default 5000), REPS measurements of
# each kind (default 3; the median is reported), FIXED_ID=1 makes the server
# answer the same execution id every time, KEEP_WORK=1 keeps the scratch
# directory.  Exits non-zero only when something fails to run; a ratio above
# the target is reported, not failed.
#
# What is measured (each the median of REPS):
#   one statement   SELECT count(*) FROM (SELECT (dune_mv_refresh(v)).execution_id
#                   FROM generate_series(1, N)) s, timed with clock_timestamp()
#                   inside a plpgsql function, so no client round trip counts;
#                   every call writes the catalog as it always does.  All REPS
#                   runs in one session, each followed at once by a curl loop
#                   run; the ratio is the median of these paired ratios.
#   N statements    N separate statements in one psql session (autocommit),
#                   timed with clock_timestamp() around them; includes
#                   parse/plan, commit and the client round trip of each.
#                   For information.
#   curl loop       curl_easy_perform N times on one easy handle.
# Beside wall-clock time, the CPU time of the backend (or of curl_loop) and
# its wait for a CPU come from /proc/self/schedstat: on a busy machine the
# wall-clock figures are noisy, the CPU ones much less.
set -eu
. "$(dirname "$0")/../lib.sh"

N=${N:-5000}
REPS=${REPS:-3}
TARGET=1.3
VIEW=dune.bench.result_bench

ensure_packages
build_install
init_work

# Build the server and the baseline into the scratch directory.
log "building fast_server and curl_loop"
mkdir -p "$WORK/bin"
cc -O2 -Wall -Wextra -o "$WORK/bin/fast_server" "$ROOT/test/bench/fast_server.c"
cc -O2 -Wall -Wextra -o "$WORK/bin/curl_loop" "$ROOT/test/bench/curl_loop.c" -lcurl

# Start the endpoint; it exits by itself after an hour at most.  It answers a
# new execution id per call (as Dune does); FIXED_ID=1 always answers the same.
"$WORK/bin/fast_server" 0 3600 ${FIXED_ID:+fixed} >"$WORK/fast.out" 2>"$WORK/fast.err" &
echo $! >>"$WORK/pids"
FAST_PORT=
for _ in $(seq 100); do
	FAST_PORT=$(awk '/^ready /{print $2; exit}' "$WORK/fast.out" 2>/dev/null)
	[ -n "$FAST_PORT" ] && break
	sleep 0.05
done
[ -n "$FAST_PORT" ] || { log "fast_server did not start"; cat "$WORK/fast.err" >&2; exit 1; }
BASE="http://127.0.0.1:$FAST_PORT"

# Server counters: "connections requests" (the /_stats request itself opens
# one connection and is not counted as a request).
server_stats() {
	curl -s "$BASE/_stats" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["connections"], d["requests"])'
}

# The median of the numbers on stdin, one a line.
median() {
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# a / b with two decimals.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "?" }'
}

start_cluster data <<CONF
dune_mv.dune_url = '$BASE/api'
CONF

PSQL=("$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d postgres)
"${PSQL[@]}" <<SQL >/dev/null
CREATE EXTENSION dune_mv;
SELECT dune_mv_upsert('result_bench', 1);
-- nanoseconds on a CPU and waiting for one, of this backend (NULLs off Linux)
CREATE FUNCTION public.bench_sched() RETURNS numeric[] LANGUAGE plpgsql AS \$\$
BEGIN
	RETURN (string_to_array(trim(pg_read_file('/proc/self/schedstat')), ' '))[1:2]::numeric[];
EXCEPTION WHEN OTHERS THEN
	RETURN ARRAY[NULL, NULL]::numeric[];
END
\$\$;
SQL

# --- one statement, interleaved with the curl loop ---------------------------
# One psql session (a coprocess) stays open for the whole series: warm-up,
# then REPS times a measurement of the extension followed at once by one of
# the curl loop, so that both see the same state of a shared machine; the
# ratio reported is the median of the REPS paired ratios.
# Each extension run prints: wall-us cpu-us runq-us calls-rows writes-per-table;
# each curl run: wall-us cpu-us runq-us.
log "one statement and curl loop, interleaved: $REPS x $N calls each"
coproc BENCH_PSQL { "${PSQL[@]}"; }
echo $BENCH_PSQL_PID >>"$WORK/pids"
cat >&"${BENCH_PSQL[1]}" <<SQL
-- one statement refreshes one view N times: the overlap guard would skip all
-- but the first (its own refreshes await the commit); the N-statements series
-- below keeps the guard on, as users have it
SET dune_mv.refresh_while_running = on;
CREATE FUNCTION pg_temp.bench(n int) RETURNS text LANGUAGE plpgsql AS \$\$
DECLARE
	rows0 bigint;
	rows1 bigint;
	t0 timestamptz;
	t1 timestamptz;
	s0 numeric[];
	s1 numeric[];
	c bigint;
	writes text;
BEGIN
	-- the backend's pending statistics may include earlier transactions:
	-- the writes are the difference
	CREATE TEMP TABLE IF NOT EXISTS stats0 AS SELECT relname, n_tup_ins, n_tup_upd
	  FROM pg_stat_xact_user_tables WHERE false;
	DELETE FROM stats0;
	INSERT INTO stats0 SELECT relname, n_tup_ins, n_tup_upd
	  FROM pg_stat_xact_user_tables WHERE schemaname = 'dune_mv';
	SELECT count(*) INTO rows0 FROM dune_mv.calls;
	s0 := public.bench_sched();
	t0 := clock_timestamp();
	SELECT count(*) INTO c
	  FROM (SELECT (dune_mv_refresh('$VIEW')).execution_id
			  FROM generate_series(1, n)) s;
	t1 := clock_timestamp();
	s1 := public.bench_sched();
	SELECT count(*) INTO rows1 FROM dune_mv.calls;
	IF c <> n THEN
		RAISE EXCEPTION 'expected % rows, got %', n, c;
	END IF;
	SELECT string_agg(s.relname || ':' || (s.n_tup_ins - coalesce(b.n_tup_ins, 0)) || 'i/'
					  || (s.n_tup_upd - coalesce(b.n_tup_upd, 0)) || 'u', ',' ORDER BY s.relname)
	  INTO writes
	  FROM pg_stat_xact_user_tables s LEFT JOIN stats0 b USING (relname)
	 WHERE s.schemaname = 'dune_mv'
	   AND s.n_tup_ins + s.n_tup_upd > coalesce(b.n_tup_ins + b.n_tup_upd, 0);
	RETURN concat_ws(' ', round(extract(epoch FROM t1 - t0) * 1e6 / n, 2),
					 coalesce(round((s1[1] - s0[1]) / 1e3 / n, 2), -1),
					 coalesce(round((s1[2] - s0[2]) / 1e3 / n, 2), -1),
					 rows1 - rows0, writes);
END
\$\$;
SELECT pg_temp.bench(500);	-- warm-up (connection, plans, caches)
SQL
# One line of the session's output, or fail when the session has ended.
session_line() {
	local line
	if ! read -r -t 600 line <&"${BENCH_PSQL[0]}"; then
		log "the psql session ended or hung"
		exit 1
	fi
	echo "$line"
}
session_line >/dev/null
: >"$WORK/ext_set.runs"
: >"$WORK/curl.runs"
read -r c0 r0 < <(server_stats)
for _ in $(seq "$REPS"); do
	echo "SELECT pg_temp.bench($N);" >&"${BENCH_PSQL[1]}"
	session_line >>"$WORK/ext_set.runs"
	"$WORK/bin/curl_loop" "$BASE/api/v1/materialized-views/$VIEW/refresh" "$N" |
		awk '/^us_per_call /{print $2, $4, $6}' >>"$WORK/curl.runs"
done
read -r c1 r1 < <(server_stats)
eval "exec ${BENCH_PSQL[1]}>&-"	# end of input: the session ends
wait "$BENCH_PSQL_PID" || true

# --- N statements: one session per measurement -------------------------------
# Each run prints: wall-us cpu-us runq-us calls-rows.
log "extension, N statements: $REPS x $N statements in one session"
: >"$WORK/ext_stmt.runs"
for _ in $(seq "$REPS"); do
	{
		echo "SELECT (dune_mv_refresh('$VIEW')).execution_id \\g /dev/null"
		echo "SELECT count(*) AS rows0 FROM dune_mv.calls \\gset"
		echo "SELECT coalesce(s[1], -1) AS run0, coalesce(s[2], -1) AS wait0 FROM public.bench_sched() s \\gset"
		echo "SELECT clock_timestamp() AS t0 \\gset"
		for _ in $(seq "$N"); do echo "SELECT (dune_mv_refresh('$VIEW')).execution_id \\g /dev/null"; done
		echo "SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / $N, 2),"
		echo "       coalesce(round((s[1] - nullif(:run0, -1)) / 1e3 / $N, 2), -1),"
		echo "       coalesce(round((s[2] - nullif(:wait0, -1)) / 1e3 / $N, 2), -1),"
		echo "       (SELECT count(*) FROM dune_mv.calls) - :rows0 FROM public.bench_sched() s;"
	} | "${PSQL[@]}" -F ' ' >>"$WORK/ext_stmt.runs"
done

# --- SELECT 1, N statements: the cost of an autocommit statement by itself ----
log "SELECT 1, N statements: $REPS x $N statements in one session"
: >"$WORK/select1.runs"
for _ in $(seq "$REPS"); do
	{
		echo "SELECT 1 \\g /dev/null"
		echo "SELECT clock_timestamp() AS t0 \\gset"
		for _ in $(seq "$N"); do echo "SELECT 1 \\g /dev/null"; done
		echo "SELECT round(extract(epoch FROM clock_timestamp() - :'t0'::timestamptz) * 1e6 / $N, 2);"
	} | "${PSQL[@]}" >>"$WORK/select1.runs"
done

# --- report ------------------------------------------------------------------
col() { awk -v c="$2" '{print $c}' "$WORK/$1.runs" | median; }
list() { awk -v c="$2" '{printf "%s ", $c}' "$WORK/$1.runs"; }
set_wall=$(col ext_set 1); set_cpu=$(col ext_set 2)
stmt_wall=$(col ext_stmt 1); stmt_cpu=$(col ext_stmt 2)
curl_wall=$(col curl 1); curl_cpu=$(col curl 2)
select1_wall=$(col select1 1)
# median of the paired ratios (run i of the extension / run i of the curl loop)
paired() {
	paste -d ' ' "$WORK/ext_set.runs" "$WORK/curl.runs" |
		awk -v a="$1" -v b="$2" '{ if ($b > 0) printf "%.4f\n", $a / $b }' | median
}
ratio_set=$(printf '%.2f' "$(paired 1 6)")
ratio_set_cpu=$(printf '%.2f' "$(paired 2 7)")
met=$(awk -v r="$ratio_set" -v t="$TARGET" 'BEGIN { print (r != "?" && r <= t) ? "met" : "NOT met" }')
total_rows=$("${PSQL[@]}" -c "SELECT count(*) FROM dune_mv.calls")

echo
echo "machine:   $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo), Linux $(uname -r)," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions:  PostgreSQL $("${PSQL[@]}" -c 'SHOW server_version'), libcurl $(curl-config --version | awk '{print $2}')," \
	"json-c $(pkg-config --modversion json-c 2>/dev/null || echo '?'), $(cc --version | head -n 1)"
ids="a new execution id per call"
[ -n "${FIXED_ID:-}" ] && ids="the same execution id to every call"
echo "calls:     N = $N per measurement, median of $REPS; the endpoint answers $ids"
echo
printf '%-32s %12s %7s %12s %7s\n' "" "wall us/call" "ratio" "CPU us/call" "ratio"
printf '%-32s %12s %7s %12s %7s\n' "dune_mv_refresh, one statement" "$set_wall" "$ratio_set" \
	"$set_cpu" "$ratio_set_cpu"
printf '%-32s %12s %7s %12s %7s\n' "dune_mv_refresh, N statements" "$stmt_wall" "$(ratio "$stmt_wall" "$curl_wall")" \
	"$stmt_cpu" "$(ratio "$stmt_cpu" "$curl_cpu")"
printf '%-32s %12s %7s %12s %7s\n' "libcurl keep-alive loop" "$curl_wall" "1.00" "$curl_cpu" "1.00"
printf '%-32s %12s\n' "SELECT 1, N statements" "$select1_wall"
anchor=$(awk -v a="$curl_wall" -v b="$select1_wall" 'BEGIN { printf "%.2f", a + b }')
echo "autocommit refresh / (curl loop + SELECT 1): $stmt_wall / $anchor = $(ratio "$stmt_wall" "$anchor") (target <= 1.5)"
echo "(one statement: ratios are medians of the runs paired with the curl loop run right after;"
echo " N statements: ratio of medians.  CPU: of the backend, or of curl_loop; the endpoint's time is in neither.)"
echo
echo "runs, wall / CPU / waiting for a CPU, us per call:"
echo "  one statement:  $(list ext_set 1)/ $(list ext_set 2)/ $(list ext_set 3)"
echo "  N statements:   $(list ext_stmt 1)/ $(list ext_stmt 2)/ $(list ext_stmt 3)"
echo "  curl loop:      $(list curl 1)/ $(list curl 2)/ $(list curl 3)"
echo "catalog rows in dune_mv.calls per measurement: one statement $(list ext_set 4)(expected $N each)," \
	"N statements $(list ext_stmt 4)(expected $N each)"
echo "catalog writes per one-statement measurement (table:inserts i/updates u): $(awk '{print $5}' "$WORK/ext_set.runs" | sort -u | tr '\n' ' ')"
echo "dune_mv.calls in total: $total_rows (1 upsert + 500 warm-up + $REPS x $N + $REPS x ($N + 1))"
echo "endpoint during the interleaved series: $((r1 - r0)) requests (expected $((REPS * N)) + $REPS x ($N + 100 warm-up))," \
	"$((c1 - c0 - 1)) new connection(s) (expected $REPS: one per curl loop; the session reuses its warm-up one)"
echo "target (one statement, wall ratio <= $TARGET, catalog write included): $met"
