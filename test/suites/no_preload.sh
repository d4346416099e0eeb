#!/usr/bin/env bash
# Without shared_preload_libraries the functions refuse to run: otherwise a
# backend that has not loaded the library would show the key's placeholder to
# any role.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null
PGBIN=$(pg_config --bindir)

$DUNE_MV_CTL -q dune reset
saved_host=$PGHOST saved_port=$PGPORT saved_log=$DUNE_MV_LOG
start_cluster nopreload "" </dev/null
q -d postgres -c "CREATE ROLE eve LOGIN"
q -d postgres -c "CREATE EXTENSION dune_mv"
out=$(q -d postgres -c "SELECT dune_mv_refresh('dune.t.result_x')" 2>&1)
check "refused without preload" grep -q "must be loaded through shared_preload_libraries" <<<"$out"
check_eq "no request reached the stand-in" 0 "$($DUNE_MV_CTL dune stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])' 2>/dev/null || echo x)" 
# This is the hole being closed: in a fresh backend that has not loaded the
# library, the placeholder from postgresql.conf is readable by any role.
leak=$(psql -X -At -U eve -d postgres -c "SELECT current_setting('dune_mv.dune_api_key', true)" 2>&1)
check "placeholder would leak without preload (why preload is required)" test "$leak" = "$DUNE_MV_DUNE_KEY"
as_pg "$PGBIN/pg_ctl" -D "$WORK/nopreload" -m fast -w stop >/dev/null
export PGHOST=$saved_host PGPORT=$saved_port DUNE_MV_LOG=$saved_log
# With preload (the main cluster) the same role cannot read it.
q -d postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'eve') THEN CREATE ROLE eve LOGIN; END IF; END \$\$"
denied=$(psql -X -At -U eve -d postgres -c "SELECT current_setting('dune_mv.dune_api_key', true)" 2>&1)
check "with preload a plain role cannot read the key" grep -q "must be superuser" <<<"$denied"
summary
