#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds and installs the extension, starts a scratch cluster (as the
# postgres OS user when run as root) and the stand-in servers, runs every
# pg_regress suite (sql/, expected/) and every test/suites/*.sh, stops it all,
# and ends with one line "N passed, N failed".  Exits non-zero on any failure.
#
# Environment: KEEP_WORK=1 keeps the scratch directory; SUITES="glob" runs
# only the matching test/suites/*.sh (several globs, space-separated, or "none");
# REGRESS="a b" runs only those pg_regress suites ("none": no pg_regress);
# SKIP_BUILD=1 uses the installed build (for runs side by side from one tree);
# REGRESS_OUT=dir puts pg_regress's results there (default build/regress);
# VALGRIND=1 runs the server under memcheck (test/suites/zz_valgrind.sh does
# that by itself after the other suites; NO_VALGRIND=1 skips it).
set -u
. "$(dirname "$0")/lib.sh"

ensure_packages
command -v node >/dev/null && command -v npm >/dev/null || ensure_packages nodejs npm
build_install
init_work
start_stand_ins
# The whole run logs at debug5 with every statement, so that the last suite
# can check that no key reached the server log.
start_cluster data <<CONF
log_min_messages = debug5
log_statement = 'all'
log_connections = on
CONF

# Timing assertions allow this factor on their upper bounds (memcheck is slow).
export DUNE_MV_TIME_SLACK=${DUNE_MV_TIME_SLACK:-$([ "${VALGRIND:-0}" = 1 ] && echo 4 || echo 1)}

passed=0
failed=0

# pg_regress: one result per suite.
if [ "${REGRESS:-}" != none ]; then
log "pg_regress"
regress_args=()
[ -n "${REGRESS:-}" ] && regress_args=(REGRESS="$REGRESS")
regress_out=${REGRESS_OUT:-$ROOT/build/regress}
mkdir -p "$regress_out"
make -C "$ROOT" -s installcheck "${regress_args[@]}" REGRESS_OUT="$regress_out" \
	>"$WORK/regress.out" 2>&1
cat "$WORK/regress.out"
ok=$(grep -cE '^(test| )? *[^ ]+ +\.\.\. ok' "$WORK/regress.out")
bad=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$WORK/regress.out")
passed=$((passed + ok))
failed=$((failed + bad))
if [ "$bad" -gt 0 ] && [ -f "$regress_out/regression.diffs" ]; then
	head -c 20000 "$regress_out/regression.diffs"
fi
fi

# Other suites: each ends with its own "N passed, N failed" line.
suites=()
set -f; patterns=(${SUITES:-*}); set +f
for pattern in "${patterns[@]}"; do
	for suite in "$ROOT"/test/suites/$pattern.sh; do
		[ -x "$suite" ] && suites+=("$suite")
	done
done
for suite in "${suites[@]}"; do
	name=$(basename "$suite" .sh)
	log "suite $name"
	"$suite" >"$WORK/$name.out" 2>&1
	rc=$?
	tail -n 15 "$WORK/$name.out"
	last=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$WORK/$name.out" | tail -n 1)
	p=$(echo "$last" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$last" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	if [ -z "$last" ]; then
		log "suite $name printed no result line (exit $rc)"
		p=0; f=1
	elif [ "$rc" -ne 0 ] && [ "${f:-0}" -eq 0 ]; then
		log "suite $name exited $rc"
		f=1
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
