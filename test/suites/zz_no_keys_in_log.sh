#!/usr/bin/env bash
# Runs last: after the whole run at log_min_messages = debug5 with
# log_statement = 'all', no key or token appears in the server log, even after
# a superuser rotated the key with ALTER SYSTEM, reloaded, and ran a failing
# statement that contains it.
set -u
. "$(dirname "$0")/check.sh"

newkey="dk_rotated_$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
# Rotate: the server expects the new key, the superuser sets it and reloads.
$DUNE_MV_CTL -q dune reset
$DUNE_MV_CTL -q dune set api_key="$newkey"
q -d postgres -c "ALTER SYSTEM SET dune_mv.dune_api_key = '$newkey'" -c "SELECT pg_reload_conf()"
sleep 1
q -d postgres -c "CREATE EXTENSION IF NOT EXISTS dune_mv"
check "a call works with the rotated key" q -d postgres -c "SELECT dune_mv_upsert('result_rotated', 1)"
# A failing statement that carries the key (its STATEMENT: line must not be logged).
q -d postgres -c "SELECT 1 / 0 WHERE '$newkey' <> ''" 2>/dev/null
q -d postgres -c "SET dune_mv.dune_api_key TO '$newkey'" 2>/dev/null
q -d postgres -c "SELECT set_config('dune_mv.dune_api_key', \$\$${newkey}x\$\$, false)" 2>/dev/null
q -d postgres -c "ALTER SYSTEM SET dune_mv.lance_api_key = E'${newkey}y'" -c "ALTER SYSTEM RESET dune_mv.lance_api_key" 2>/dev/null
# Rotate back.
q -d postgres -c "ALTER SYSTEM RESET dune_mv.dune_api_key" -c "SELECT pg_reload_conf()"
$DUNE_MV_CTL -q dune set api_key="$DUNE_MV_DUNE_KEY"
sleep 1
check "a call works with the original key again" q -d postgres -c "SELECT dune_mv_refresh('result_rotated')"
q -d postgres -c "DROP EXTENSION dune_mv; DROP SCHEMA IF EXISTS test CASCADE" 2>/dev/null

log=$DUNE_MV_LOG
check "the log was written at debug5" grep -q "DEBUG:" "$log"
check "the log holds statements (log_statement = all)" grep -q "statement: SELECT dune_mv_upsert('result_rotated'" "$log"
check "the reload was logged, value masked" grep -q 'parameter "dune_mv.dune_api_key\* \*\*\*\*\*\*\* \*\* \*\*\*' "$log"
check "the ALTER SYSTEM statement was logged, value masked" grep -q "ALTER SYSTEM SET dune_mv.dune_api_key \* \*\*\*\*" "$log"
for secret in "$DUNE_MV_DUNE_KEY" "$newkey" "$DUNE_MV_LANCE_KEY" "$DUNE_MV_LANCE_TOKEN"; do
	check "secret ${secret:0:5}... absent from the server log" bash -c "! grep -qF -- '$secret' '$log'"
done
# postgresql.auto.conf (0600, owned by the server) is where ALTER SYSTEM keeps it; not world readable.
check "postgresql.auto.conf is not readable by others" bash -c "[ \$(stat -c %a '$(dirname "$log")/data/postgresql.auto.conf') = 600 ]"
summary
