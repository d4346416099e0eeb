#!/usr/bin/env bash
# With VALGRIND=1 (the server ran under memcheck): no invalid memory access and
# no definite leak in any server process.  Without it, reports one skipped check.
set -u
. "$(dirname "$0")/check.sh"
dir="$WORK/valgrind"
if [ "${VALGRIND:-0}" != 1 ] || [ ! -d "$dir" ]; then
	echo "valgrind: not requested (VALGRIND=1 runs the server under memcheck)"
	summary
	exit $?
fi
# A process writes its leak report when it exits, and memcheck takes seconds
# to do so: stop the cluster (and wait) before reading any report.
. "$(dirname "$0")/../lib.sh"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w -t 300 stop >/dev/null 2>&1
for _ in $(seq 120); do
	pgrep -f "valgrind.*postgres" >/dev/null || break
	sleep 0.5
done
logs=$(ls "$dir"/*.log 2>/dev/null | wc -l)
check "memcheck ran many server processes" test "$logs" -gt 5
check_eq "valgrind itself reported no fatal problem" 0 "$(grep -l 'FATAL' "$dir"/*.log 2>/dev/null | wc -l)"
# PostgreSQL itself "leaks" by design (GUC strdup, ps display): only reports
# whose stack passes through dune_mv, libcurl or json-c count.
ours=$(python3 - "$dir" "$(cd "$(dirname "$0")/../../src" && ls *.c | sed 's/\.c$//' | paste -sd'|')" <<'PY'
import glob, re, sys
kinds = ("definitely lost", "Invalid read", "Invalid write", "uninitialised", "Invalid free", "Mismatched")
found = 0
for path in glob.glob(sys.argv[1] + "/*.log"):
    blocks = re.split(r"\n==\d+== \n", open(path, errors="replace").read())
    for block in blocks:
        if any(k in block for k in kinds) and re.search(
                r"dune_mv\.so|libcurl|libjson-c|\((%s)\.c:\d+\)" % sys.argv[2], block):
            found += 1
            if found <= 3:
                print(block[:3000], file=sys.stderr)
print(found)
PY
)
check_eq "memcheck reports involving dune_mv, libcurl or json-c" 0 "$ours"
summary
