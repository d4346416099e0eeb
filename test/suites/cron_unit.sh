#!/bin/sh
# Build the standalone unit tests of src/cron/cron.c and src/cron/cron_gaps.c into a
# temporary directory and run them.  Needs no server; prints the test
# program's output (its last line is "N passed, N failed") and exits with
# its status.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cron_unit.XXXXXX") || { echo "0 passed, 1 failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT INT TERM
cc=${CC:-cc}
if ! "$cc" -std=c99 -Wall -Wextra -Werror -O2 -I "$root/src/cron" \
	"$root/test/unit/cron_test.c" "$root/src/cron/cron.c" "$root/src/cron/cron_gaps.c" -o "$tmp/cron_test" 2>"$tmp/build.log"; then
	cat "$tmp/build.log"
	echo "cron_test: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi
"$tmp/cron_test" >"$tmp/out" 2>&1
rc=$?
cat "$tmp/out"
# a crash leaves no summary line: print one so the runner sees the failure
if ! tail -n 1 "$tmp/out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
	echo "cron_test: exited with status $rc without a summary"
	echo "0 passed, 1 failed"
	[ "$rc" -ne 0 ] || rc=1
fi
exit $rc
