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
logs=$(ls "$dir"/*.log 2>/dev/null | wc -l)
check "memcheck ran many server processes" test "$logs" -gt 5
check_eq "valgrind itself reported no fatal problem" 0 "$(grep -l 'FATAL' "$dir"/*.log 2>/dev/null | wc -l)"
errors=$(grep -l "Invalid read\|Invalid write\|uninitialised\|Invalid free\|Mismatched free" "$dir"/*.log 2>/dev/null | wc -l)
check_eq "processes with invalid accesses" 0 "$errors"
leaks=$(grep -l "definitely lost" "$dir"/*.log 2>/dev/null | wc -l)
check_eq "processes with definite leaks" 0 "$leaks"
for f in $(grep -l "Invalid\|definitely lost\|uninitialised" "$dir"/*.log 2>/dev/null | head -3); do
	echo "--- $f"; head -60 "$f"
done
summary
