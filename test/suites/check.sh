# Assertion helpers for the shell suites: source it, call check, end with summary.
PASSED=0
FAILED=0

# check "description" command...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >/dev/null 2>&1; then
		PASSED=$((PASSED + 1)); echo "ok - $what"
	else
		FAILED=$((FAILED + 1)); echo "not ok - $what"
	fi
}

# check_eq "description" expected actual
check_eq() {
	if [ "$2" = "$3" ]; then
		PASSED=$((PASSED + 1)); echo "ok - $1"
	else
		FAILED=$((FAILED + 1)); echo "not ok - $1: expected [$2], got [$3]"
	fi
}

# Print the closing line and exit with the suite's status.
summary() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}

# psql against the scratch cluster: quiet, unaligned, stop on error.
q() {
	psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# wait_for SQL [tenths]: until SQL, run in database $DB, answers t (30 s by default).
wait_for() {
	for _ in $(seq "${2:-300}"); do
		[ "$(q -d "$DB" -c "$1" 2>/dev/null)" = t ] && return 0
		sleep 0.1
	done
	return 1
}
