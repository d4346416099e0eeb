#!/usr/bin/env bash
# On a hot standby, a call that changes remote state is refused before any
# request (its record could not be written); reads work and record nothing.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh" 2>/dev/null
PGBIN=$(pg_config --bindir)

q -d postgres -c "CREATE DATABASE standby_test"
q -d standby_test -c "CREATE EXTENSION dune_mv"
q -d standby_test -c "SELECT dune_mv_upsert('result_standby', 21)" >/dev/null
exec_id=$(q -d standby_test -c "SELECT last_execution_id FROM dune_mv.views WHERE name = 'result_standby'")
calls=$(q -d standby_test -c "SELECT count(*) FROM dune_mv.calls")
as_pg "$PGBIN/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$WORK/standby" -R -X stream -c fast >/dev/null 2>&1
check "a standby was copied" test -f "$WORK/standby/standby.signal"
primary_port=$PGPORT
port=$(free_port)
as_pg sed -i "s/^port = .*/port = $port/" "$WORK/standby/postgresql.conf"
as_pg "$PGBIN/pg_ctl" -D "$WORK/standby" -l "$WORK/standby.log" -w -t 120 start >/dev/null
echo "$WORK/standby" >>"$WORK/clusters"
check_eq "it is in recovery" t "$(q -p "$port" -d standby_test -c 'SELECT pg_is_in_recovery()')"

before=$($DUNE_MV_CTL dune stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
for sql in "SELECT dune_mv_refresh('result_standby')" "SELECT dune_mv_upsert('result_standby', 21)" \
	"SELECT dune_mv_delete('result_standby')" "SELECT dune_mv_cancel('$exec_id')"; do
	out=$(q -p "$port" -d standby_test -c "$sql" 2>&1)
	check "refused on the standby: $sql" grep -q "in a read-only transaction" <<<"$out"
done
after=$($DUNE_MV_CTL dune stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')
check_eq "no request left the standby for them" "$before" "$after"
check_eq "a read works on the standby" t "$(q -p "$port" -d standby_test -c "SELECT state IS NOT NULL FROM dune_mv_status('$exec_id')")"
check_eq "and it reached the API" $((after + 1)) "$($DUNE_MV_CTL dune stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["requests"])')"
check_eq "the primary's catalog holds no row from the standby" "$calls" "$(q -p "$primary_port" -d standby_test -c 'SELECT count(*) FROM dune_mv.calls')"
as_pg "$PGBIN/pg_ctl" -D "$WORK/standby" -m fast -w stop >/dev/null
q -d postgres -c "DROP DATABASE standby_test"
summary
