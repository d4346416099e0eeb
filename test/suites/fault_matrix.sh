#!/usr/bin/env bash
# The fault matrix: every SQL function that calls a remote API (Dune:
# dune_mv_upsert, refresh, status, wait, cancel, get, list, delete, results,
# load; Lance: lance_mv_create, refresh, job_status, wait, describe, exists,
# drop, list) against every fault the stand-ins can play (each documented HTTP
# error status with the API's own error body, 429 and 503 once, without end and
# with Retry-After, a delay past dune_mv.timeout, a reset before the answer,
# malformed JSON, a 2xx with a field of the wrong type, an empty 2xx body, an
# oversized body, NaN, a \u0000 in a string).  The matrix is generated from the
# two tables in test/fault_matrix.py (rows × columns), one check per cell:
# success or the documented SQLSTATE with the API's text, the call recorded in
# dune_mv.calls with the right outcome, the backend alive, and the next call of
# the session working over the same kept-alive connection (unless the fault
# closed it).  Runs in a database of its own on the suite's cluster.
# FM_ROWS / FM_COLS (comma-separated substrings) run part of it.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null
DB=fault_matrix


q -d postgres -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
q -d postgres -c "CREATE DATABASE $DB"
q -d $DB -c "CREATE EXTENSION dune_mv"
# A failed call that changes remote state is recorded by this database's worker.
check "a worker serves the matrix's database" wait_for "SELECT alive FROM dune_mv.worker"

out="$WORK/fault_matrix.cells"
python3 "$ROOT/test/fault_matrix.py" "$DB" | tee "$out"
rc=${PIPESTATUS[0]}
cells=$(sed -n 's/^# fault matrix: .* = \([0-9]*\) cells$/\1/p' "$out")
ok=$(grep -c '^ok - ' "$out")
bad=$(grep -c '^not ok - ' "$out")
PASSED=$((PASSED + ok))
FAILED=$((FAILED + bad))
# Cells the driver never reported (it stopped early) fail too.
if [ -z "$cells" ] || [ "$rc" -ne 0 ] || [ $((ok + bad)) -ne "${cells:-0}" ]; then
	FAILED=$((FAILED + 1))
	echo "not ok - the driver reported $((ok + bad)) of ${cells:-?} cells (exit $rc)"
fi

q -d postgres -c "DROP DATABASE $DB" >/dev/null 2>&1
summary
