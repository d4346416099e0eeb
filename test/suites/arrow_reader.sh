#!/usr/bin/env bash
# Arrow's own JavaScript reader (npm apache-arrow, test/arrow/) decodes the
# schema messages that lance_arrow_schema() makes, and
# lance_arrow_schema_describe() reads the ones apache-arrow writes.
# Needs PGHOST/PGPORT/PGUSER of a running cluster where dune_mv is installed;
# works in database postgres (ARROW_CHECK_DB), creating the extension there
# if needed (and dropping it again afterwards).  Last line: N passed, N failed.
set -u
dir=$(cd "$(dirname "$0")/../arrow" && pwd)
db=${ARROW_CHECK_DB:-postgres}
ext=${DUNE_MV_EXTENSION:-dune_mv}	# another name only for a private test build
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"

fail() {
	echo "arrow_reader: $*"
	echo "0 passed, 1 failed"
	exit 1
}

if [ ! -d "$dir/node_modules/apache-arrow" ]; then
	(cd "$dir" && npm install --no-audit --no-fund --loglevel=error) ||
		fail "npm install failed in $dir"
fi
psql_q() {
	psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$db" -c "$1"
}
had=$(psql_q "SELECT count(*) FROM pg_extension WHERE extname = '$ext'") ||
	fail "cannot connect to database $db"
psql_q "CREATE EXTENSION IF NOT EXISTS $ext" || fail "cannot create extension $ext"
node "$dir/check.mjs"
rc=$?
if [ "$had" = "0" ]; then
	psql_q "DROP EXTENSION IF EXISTS $ext" >/dev/null 2>&1 || true
fi
exit $rc
