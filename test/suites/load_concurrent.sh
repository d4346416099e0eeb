#!/usr/bin/env bash
# dune_mv_load in replace mode with concurrent readers: while the load runs and
# until it commits, readers see the old rows (without waiting); after, the new
# rows; never a mix, never an empty table.  A REPEATABLE READ reader whose
# snapshot predates the commit keeps seeing the old rows.  Sessions are
# separate psql processes synchronised through marker files.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null

db=load_concurrent
sync="$WORK/load_concurrent"
rm -rf "$sync" && mkdir -p "$sync" && chmod 777 "$sync"

# Wait (at most 60 s) for a marker file.
wait_marker() {
	for _ in $(seq 600); do
		[ -f "$sync/$1" ] && return 0
		sleep 0.1
	done
	return 1
}

$DUNE_MV_CTL -q dune reset
q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
q -d $db -c "CREATE EXTENSION dune_mv"
# Execution 1: the 12 rows of the types dataset; execution 2: 2500 rows, read
# in pages of 100 rows with a pause in the middle, so the load takes a while.
$DUNE_MV_CTL -q dune results 01JDMV00000000000000000002 rows=2500
e1=$(q -d $db -c "SELECT execution_id FROM dune_mv_upsert('result_concurrent', 1)")
e2=$(q -d $db -c "SELECT execution_id FROM dune_mv_refresh('result_concurrent')")
check_eq "two executions" "01JDMV00000000000000000001 01JDMV00000000000000000002" "$e1 $e2"
check_eq "old contents loaded" "12" "$(q -d $db -c "SELECT rows FROM dune_mv_load('$e1', 'public.t')" 2>/dev/null)"
$DUNE_MV_CTL -q dune set max_datapoints=2100
$DUNE_MV_CTL -q dune fault match=/results param=offset=1200 delay_ms=1500

# A REPEATABLE READ reader takes its snapshot before the load.
cat >"$sync/rr.sql" <<SQL
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'before:' || count(*) FROM t;
\! touch $sync/rr_started
\! for i in \$(seq 600); do [ -f $sync/committed ] && break; sleep 0.1; done
SELECT 'after_commit_same_snapshot:' || count(*) FROM t;
COMMIT;
SELECT 'new_snapshot:' || count(*) FROM t;
SQL
q -d $db -f "$sync/rr.sql" >"$sync/rr.out" 2>&1 &
rr_pid=$!
check "repeatable read reader started" wait_marker rr_started

# Readers sample the table over and over until the load has committed.
(
	while [ ! -f "$sync/committed" ]; do
		psql -X -At -d $db -c "SELECT count(*) FROM t" 2>&1
	done
	psql -X -At -d $db -c "SELECT count(*) FROM t" 2>&1
) >"$sync/samples.out" &
sampler_pid=$!

# The writer: replace in one transaction, held open until told to commit.
cat >"$sync/writer.sql" <<SQL
\set ON_ERROR_STOP 1
BEGIN;
SELECT 'loaded:' || rows FROM dune_mv_load('$e2', 'public.t');
\! touch $sync/loaded
\! for i in \$(seq 600); do [ -f $sync/commit ] && break; sleep 0.1; done
COMMIT;
\! touch $sync/committed
SQL
q -d $db -f "$sync/writer.sql" >"$sync/writer.out" 2>&1 &
writer_pid=$!
check "the load finished (transaction still open)" wait_marker loaded
# The load is done but not committed: a reader is not blocked and sees the old rows.
during=$(PGOPTIONS="-c statement_timeout=2s" psql -X -At -d $db -c "SELECT count(*) FROM t" 2>&1)
check_eq "a reader during the open replace sees the old rows at once" "12" "$during"
touch "$sync/commit"
check "the load committed" wait_marker committed
wait "$writer_pid"
check_eq "writer output" "loaded:2500" "$(cat "$sync/writer.out")"
wait "$sampler_pid"
wait "$rr_pid"
check_eq "repeatable read reader: old rows until it ends, then the new ones" \
	"before:12 after_commit_same_snapshot:12 new_snapshot:2500" "$(tr '\n' ' ' <"$sync/rr.out" | sed 's/ $//')"

samples=$(sort "$sync/samples.out" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
echo "# samples (count x times): $samples"
check "every sample is the old or the new contents" \
	test -z "$(grep -vxE '12|2500' "$sync/samples.out")"
check "readers sampled while the load ran" grep -qx 12 "$sync/samples.out"
check_eq "the last sample is the new contents" "2500" "$(tail -n 1 "$sync/samples.out")"
check_eq "the table holds the new execution" "2500 2500" \
	"$(q -d $db -c "SELECT count(*) || ' ' || count(DISTINCT id) FROM t")"
check_eq "dune.loads says so" "01JDMV00000000000000000002 replace 2500" \
	"$(q -d $db -c "SELECT execution_id || ' ' || mode || ' ' || rows FROM dune_mv.loads ORDER BY id DESC LIMIT 1")"

# A second load of the same table waits for the first to commit (no interleaving).
cat >"$sync/first.sql" <<SQL
BEGIN;
SELECT rows FROM dune_mv_load('$e1', 'public.t');
\! touch $sync/first_loaded
\! for i in \$(seq 600); do [ -f $sync/first_commit ] && break; sleep 0.1; done
COMMIT;
SQL
q -d $db -f "$sync/first.sql" >"$sync/first.out" 2>&1 &
first_pid=$!
check "first load done, uncommitted" wait_marker first_loaded
second=$(PGOPTIONS="-c lock_timeout=1s" psql -X -At -d $db -c "SELECT rows FROM dune_mv_load('$e2', 'public.t', 'append')" 2>&1)
check "a second load waits for the first (lock timeout)" grep -q "lock timeout" <<<"$second"
touch "$sync/first_commit"
wait "$first_pid"
check_eq "after both: the first load's rows only" "12" "$(q -d $db -c "SELECT count(*) FROM t")"

$DUNE_MV_CTL -q dune set max_datapoints=0
q -d postgres -c "DROP DATABASE $db"
summary
