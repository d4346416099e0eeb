#!/usr/bin/env bash
# Load benchmark (not a test): dune_mv_load of the Dune stand-in's "bench" result
# (10 columns of mixed types, ROWS rows, default 1,000,000) into a new table and
# again in replace mode, and dune_mv_results read through, beside today's Python
# path (test/bench/load_python.py: requests pages, psycopg2 COPY; collected and
# streamed) against the same stand-in and cluster.  Prints rows per second and
# peak RSS: the backend's VmHWM from /proc/<pid>/status (it includes the shared
# buffers the backend touched, at most shared_buffers) and its private RssAnon
# after the load; the Python process's own peak (getrusage).
#
# Usage: bash test/bench/load_bench.sh       (as root or with sudo)
# Environment: ROWS (default 1000000); SIZES (default "$ROWS"): several sizes show
# whether memory grows with the result; KEEP_WORK=1 keeps the scratch directory.
set -eu
. "$(dirname "$0")/../lib.sh"

ROWS=${ROWS:-1000000}
SIZES=${SIZES:-$ROWS}
PYTHON=/usr/bin/python3  # Debian's, where python3-requests and python3-psycopg2 live

ensure_packages python3-requests python3-psycopg2
build_install
init_work
start_stand_in DUNE_MV_DUNE_PORT dune_server.py --api-key "$DUNE_MV_DUNE_KEY"
start_cluster data <<CONF
dune_mv.max_timeout = '30min'
dune_mv.timeout = '30min'
CONF
CTL="python3 $ROOT/test/ctl.py"
psql -X -q -d postgres -c "CREATE EXTENSION dune_mv"

# One backend per measurement: its figures as "seconds rows vmhwm_mib rssanon_mib".
measure() {
	{ psql -X -At -d postgres -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE t0 AS SELECT clock_timestamp() AS t;
$1;
SELECT round(extract(epoch FROM clock_timestamp() - (SELECT t FROM t0))::numeric, 2)
	|| ' ' || ($2)
	|| ' ' || (SELECT round(substring(s FROM 'VmHWM:\s+(\d+)')::numeric / 1024)
		|| ' ' || round(substring(s FROM 'RssAnon:\s+(\d+)')::numeric / 1024)
		FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') s);
SQL
	} | tail -n 1
}

report() {
	local what=$1 n=$2 line=$3
	read -r secs rows hwm anon <<<"$line"
	[ "$rows" = "$n" ] || { log "$what: $rows rows, expected $n"; exit 1; }
	printf '%-34s %8d rows %7.2f s %9.0f rows/s  peak RSS %5d MiB (private %4d MiB)\n' \
		"$what" "$rows" "$secs" "$(awk -v r="$rows" -v s="$secs" 'BEGIN {print r / s}')" "$hwm" "$anon"
}

for n in $SIZES; do
	exec_id=$(psql -X -At -d postgres -c \
		"SELECT execution_id FROM dune_mv_upsert('result_bench_$n', 1)" | head -n 1)
	$CTL dune results "$exec_id" dataset=bench rows="$n" prepare=json >/dev/null
	log "$n rows: execution $exec_id"
	psql -X -q -d postgres -c "DROP TABLE IF EXISTS bench_ext"
	report "dune_mv_load, new table" "$n" "$(measure \
		"SELECT * FROM dune_mv_load('$exec_id', 'bench_ext')" \
		"SELECT count(*) FROM bench_ext")"
	report "dune_mv_load, replace" "$n" "$(measure \
		"SELECT * FROM dune_mv_load('$exec_id', 'bench_ext', 'replace')" \
		"SELECT count(*) FROM bench_ext")"
	report "dune_mv_results, read through" "$n" "$(measure \
		"CREATE TEMP TABLE c AS SELECT count(*) AS n FROM dune_mv_results('$exec_id')" \
		"SELECT n FROM c")"
	psql -X -At -d postgres -c "SELECT 'pages per load: ' || pages FROM dune_mv.loads ORDER BY id DESC LIMIT 1"
	for mode in collect stream; do
		out=$(DUNE_MV_DUNE_PORT=$DUNE_MV_DUNE_PORT DUNE_MV_DUNE_KEY=$DUNE_MV_DUNE_KEY \
			PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=postgres \
			"$PYTHON" "$ROOT/test/bench/load_python.py" --execution-id "$exec_id" \
			$([ $mode = stream ] && echo --stream))
		get() { awk -v k="$1" '$1 == k {print $2}' <<<"$out"; }
		printf '%-34s %8d rows %7.2f s %9.0f rows/s  peak RSS %5d MiB (Python process)\n' \
			"Python path ($mode)" "$(get rows)" "$(get total_s)" "$(get rows_per_s)" "$(get peak_rss_mib)"
	done
done
