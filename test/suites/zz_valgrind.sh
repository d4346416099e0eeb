#!/usr/bin/env bash
# Memory checks.  In a run under memcheck (VALGRIND=1: every server process
# runs under valgrind): no invalid memory access and no definite leak in any
# server process whose stack passes through dune_mv, libcurl or json-c.
# In a normal run: starts that run itself (every pg_regress suite against a
# server under memcheck, then this suite in it) and reports its results;
# NO_VALGRIND=1 skips it (a quick local run).
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${VALGRIND:-0}" != 1 ]; then
	if [ "${NO_VALGRIND:-0}" = 1 ]; then
		echo "valgrind: skipped (NO_VALGRIND=1)"
		summary
		exit $?
	fi
	ensure_packages valgrind
	start=$(date +%s)
	VALGRIND=1 SKIP_BUILD=1 SUITES=zz_valgrind REGRESS="${VALGRIND_REGRESS:-}" \
		DUNE_MV_TIME_SLACK=${VALGRIND_TIME_SLACK:-8} \
		REGRESS_OUT="$root/build/regress-valgrind" \
		bash "$root/test/run-tests.sh" >"$WORK/valgrind-run.out" 2>&1
	secs=$(( $(date +%s) - start ))
	grep -E '^test |^ok |^not ok |^\(memcheck\)' "$WORK/valgrind-run.out"
	last=$(tail -n 1 "$WORK/valgrind-run.out")
	p=$(echo "$last" | grep -oE '^[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$last" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	if [ -z "$p" ] || [ -z "$f" ]; then
		tail -n 40 "$WORK/valgrind-run.out"
		check "the run under memcheck ended with a result line" false
	else
		PASSED=$((PASSED + p))
		FAILED=$((FAILED + f))
		[ "$f" -gt 0 ] && head -c 20000 "$root/build/regress-valgrind/regression.diffs" 2>/dev/null
	fi
	echo "valgrind: the run under memcheck took ${secs} s: $last"
	summary
	exit $?
fi

# Under memcheck.  A process writes its leak report when it exits, and
# memcheck takes seconds to do so: stop the cluster (and wait) first.
dir="$WORK/valgrind"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -w -t 300 stop >/dev/null 2>&1
for _ in $(seq 120); do
	pgrep -f "valgrind.*postgres" >/dev/null || break
	sleep 0.5
done
logs=$(ls "$dir"/*.log 2>/dev/null | wc -l)
check "(memcheck) it ran many server processes ($logs)" test "$logs" -gt 5
check_eq "(memcheck) valgrind itself reported no fatal problem" 0 "$(grep -l 'FATAL' "$dir"/*.log 2>/dev/null | wc -l)"
# PostgreSQL itself "leaks" by design (GUC strdup, ps display): only reports
# whose stack passes through dune_mv, libcurl or json-c count.
ours=$(python3 - "$dir" "$(cd "$root/src" && ls */*.c *.c | xargs -n1 basename | sed 's/\.c$//' | paste -sd'|')" <<'PY'
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
check_eq "(memcheck) reports involving dune_mv, libcurl or json-c" 0 "$ours"
summary
