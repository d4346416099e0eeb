#!/usr/bin/env bash
# pg_net fan-out benchmark (not a test): the fan-out of fanout.sh sent by
# pg_net (https://github.com/supabase/pg_net) instead of dune_mv's worker.
# N queued net.http_post calls to the refresh endpoint of the same Dune
# stand-in (test/dune_server.py, answering each refresh after DELAY_MS), timed
# from the commit of the queuing statement until all N rows are in
# net._http_response; a row fails when error_msg is set or status_code is not
# 2xx.  Each batch size runs on a server started under each open-file limit
# of NOFILE_LIMITS.  The extension dune_mv is neither built, installed nor
# loaded.
#
# Usage: PG_NET_SRC=/path/to/pg_net bash test/bench/pgnet_fanout.sh
# PG_NET_SRC is a pg_net source directory (built with PGXS, or buildable:
# `make` is run in it); `make install` puts pg_net's files into the server's
# directories (as root, or with sudo).  Without PG_NET_SRC the script says how
# to get one and exits 0 with "skipped".
# Environment: N (1000), DELAY_MS (100), BATCH_SIZES (pg_net.batch_size values
# to try, default "200 1000": 200 is pg_net's default), NOFILE_LIMITS (the
# `ulimit -n` values to start the server under, default "<the hard limit> 1024"),
# TIMEOUT_MS (5000, net.http_post's default timeout_milliseconds), WAIT_S (120,
# the longest wait for the rows).
set -eu
. "$(dirname "$0")/../lib.sh"

N=${N:-1000}
DELAY_MS=${DELAY_MS:-100}
BATCH_SIZES=${BATCH_SIZES:-"200 1000"}
NOFILE_LIMITS=${NOFILE_LIMITS:-}
TIMEOUT_MS=${TIMEOUT_MS:-5000}
WAIT_S=${WAIT_S:-120}

if [ -z "${PG_NET_SRC:-}" ]; then
	cat <<'EOF'
pgnet_fanout: PG_NET_SRC is not set. To get a built pg_net source directory:
    git clone https://github.com/supabase/pg_net /tmp/pg_net_src
    make -C /tmp/pg_net_src PG_CONFIG=$(command -v pg_config)   # needs libcurl dev headers
then run:
    PG_NET_SRC=/tmp/pg_net_src bash test/bench/pgnet_fanout.sh
skipped
EOF
	exit 0
fi

ensure_packages
PG_CONFIG=${PG_CONFIG:-$(command -v pg_config)}
log "building and installing pg_net from $PG_NET_SRC"
make -C "$PG_NET_SRC" -s PG_CONFIG="$PG_CONFIG" >/dev/null
as_root make -C "$PG_NET_SRC" -s PG_CONFIG="$PG_CONFIG" install >/dev/null
commit="not a git checkout"
[ ! -e "$PG_NET_SRC/.git" ] || commit=$(git -C "$PG_NET_SRC" rev-parse HEAD)

init_work
if [ -z "$NOFILE_LIMITS" ]; then
	hard=$(as_pg sh -c 'ulimit -Hn')
	[ "$hard" != unlimited ] || hard=65536
	NOFILE_LIMITS="$hard 1024"
fi
start_stand_in DUNE_MV_DUNE_PORT dune_server.py --api-key "$DUNE_MV_DUNE_KEY"
start_cluster data pg_net <<CONF
log_min_messages = warning
CONF
psql -X -q -d postgres -c "CREATE EXTENSION pg_net" -c "SELECT net.wait_until_running()" >/dev/null

base="http://127.0.0.1:$DUNE_MV_DUNE_PORT/api/v1/materialized-views"
url="$base/dune.testteam.result_fanout/refresh"
# The headers dune_mv sends, but "Expect:" (pg_net sends no empty header; a
# body of 2 bytes draws no Expect anyway).  pg_net appends its own
# "User-Agent: pg_net/<version>" after these; the stand-in reads the first.
headers="{\"Accept\": \"application/json\", \"Content-Type\": \"application/json\",
	\"X-Dune-Api-Key\": \"$DUNE_MV_DUNE_KEY\", \"User-Agent\": \"dune_mv/1.0\"}"

# The view the refreshes name, created on the stand-in as dune_mv_upsert does.
create_view() {
	curl -fsS -o /dev/null -X POST -H "X-Dune-Api-Key: $DUNE_MV_DUNE_KEY" -H "Accept: application/json" \
		-H "Content-Type: application/json" -H "User-Agent: dune_mv/1.0" \
		-d '{"name": "result_fanout", "query_id": 1}' "$base"
}

# The process id of the pg_net worker.
worker_pid() {
	psql -X -q -At -d postgres -c "SELECT pid FROM pg_stat_activity WHERE backend_type LIKE 'pg_net%'"
}

# Restart the cluster with its open-file limit (soft and hard) at $1.  The
# limit is set after runuser: its PAM session (pam_limits) puts the soft
# limit back to 1024 otherwise.
restart_cluster() {
	local dir
	dir=$(tail -n 1 "$WORK/clusters")
	as_pg "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
	as_pg env -u DUNE_MV_DUNE_KEY -u DUNE_MV_LANCE_KEY -u DUNE_MV_LANCE_TOKEN \
		sh -c 'ulimit -n "$0" && exec "$@"' "$1" \
		"$PGBIN/pg_ctl" -D "$dir" -l "$DUNE_MV_LOG" -w -t 300 start >/dev/null
	psql -X -q -d postgres -c "SELECT net.wait_until_running()" >/dev/null
}

# The kernel's count of connections dropped because a listen queue was full
# (the stand-in's, when its backlog is shorter than the burst of connects);
# it counts every process of the network namespace.
listen_overflows() {
	awk '/^TcpExt:/ { if (!c) { for (i = 1; i <= NF; i++) if ($i == "ListenOverflows") c = i }
		else print $c }' /proc/net/netstat
}

# Wait until the stand-in's counts stop moving (at most 60 s): requests that
# pg_net gave up on can still sit in its listen queue, and it reads and
# answers them late; they would land in the next run's counts and load.
settle() {
	local last="" now
	for _ in $(seq 60); do
		now=$($DUNE_MV_CTL dune stats)
		[ "$now" != "$last" ] || return 0
		last=$now
		sleep 1
	done
}

# One fan-out: pg_net.batch_size = $1; $2 labels the open-file limit.
fanout() {
	local batch=$1 label=$2 pid peak_file sampler overflows
	psql -X -q -At -d postgres -c "ALTER SYSTEM SET pg_net.batch_size = $batch" \
		-c "SELECT pg_reload_conf()" >/dev/null
	settle
	$DUNE_MV_CTL -q dune reset
	create_view
	$DUNE_MV_CTL -q dune fault delay_ms=$DELAY_MS times=$N match=/refresh
	pid=$(worker_pid)
	# The most descriptors the worker holds at once, sampled every 20 ms.
	peak_file="$WORK/peak_fds"
	echo 0 >"$peak_file"
	(
		peak=0
		while [ -d "/proc/$pid" ]; do
			fds=("/proc/$pid/fd"/*)
			n=${#fds[@]}
			if [ "$n" -gt "$peak" ]; then peak=$n; echo "$peak" >"$peak_file"; fi
			sleep 0.02
		done
	) &
	sampler=$!
	overflows=$(listen_overflows)
	psql -X -q -At -d postgres <<SQL
TRUNCATE net._http_response;
SELECT clock_timestamp() AS t0 \gset
SELECT count(net.http_post(url := '$url', body := '{}'::jsonb, headers := '$headers'::jsonb,
	timeout_milliseconds := $TIMEOUT_MS)) FROM generate_series(1, $N) \g /dev/null
SELECT clock_timestamp() AS t1 \gset
DO \$\$
DECLARE
	deadline timestamptz := clock_timestamp() + interval '$WAIT_S s';
BEGIN
	WHILE (SELECT count(*) FROM net._http_response) < $N AND clock_timestamp() < deadline LOOP
		PERFORM pg_sleep(0.01);
	END LOOP;
END
\$\$;
SELECT format('pg_net batch_size=%s, %s: %s requests done in %s s (%s failed); queued in %s s',
	$batch, '$label', count(*),
	round(extract(epoch FROM clock_timestamp() - :'t1'::timestamptz)::numeric, 2),
	count(*) FILTER (WHERE error_msg IS NOT NULL OR status_code IS NULL OR status_code NOT BETWEEN 200 AND 299)
		+ ($N - count(*)),
	round(extract(epoch FROM :'t1'::timestamptz - :'t0'::timestamptz)::numeric, 2))
FROM net._http_response;
SELECT format('    %s x %s', count(*), reason)
FROM (SELECT CASE
		WHEN NOT timed_out THEN coalesce(error_msg, 'HTTP ' || status_code)
		WHEN substring(error_msg FROM 'Response time: ([0-9.]+)')::numeric > 0
			THEN 'timed out waiting for the answer'
		WHEN substring(error_msg FROM 'handshake time: ([0-9.]+)')::numeric > 0
			THEN 'timed out connecting'
		ELSE 'timed out resolving the name' END AS reason
	FROM net._http_response
	WHERE error_msg IS NOT NULL OR status_code IS NULL OR status_code NOT BETWEEN 200 AND 299) f
GROUP BY reason ORDER BY count(*) DESC, reason;
SELECT format('    %s x no row after $WAIT_S s', $N - count(*)) FROM net._http_response HAVING count(*) < $N;
SQL
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	printf '    stand-in (with the view upsert): %s; listen queue overflows: %s;' \
		"$($DUNE_MV_CTL dune stats)" "$(( $(listen_overflows) - overflows ))"
	printf ' pg_net worker: at most %s open descriptors\n' "$(cat "$peak_file")"
}

# The open-file limit of the pg_net worker, as "soft/hard".
worker_nofile() {
	awk '/^Max open files/ {print $4 "/" $5}' "/proc/$(worker_pid)/limits"
}

log "pg_net $(psql -X -q -At -d postgres -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_net'")" \
	"(commit: $commit); pg_net.ttl = $(psql -X -q -At -d postgres -c 'SHOW pg_net.ttl')"
log "fan-out: $N queued net.http_post calls, the stand-in answers each after $DELAY_MS ms"
for limit in $NOFILE_LIMITS; do
	restart_cluster "$limit"
	nofile=$(worker_nofile)
	log "the server started under ulimit -n $limit (the pg_net worker's soft/hard limit: $nofile)"
	for b in $BATCH_SIZES; do
		fanout "$b" "ulimit -n $limit"
	done
done
