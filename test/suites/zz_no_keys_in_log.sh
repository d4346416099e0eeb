#!/usr/bin/env bash
# Runs last: after the whole run at log_min_messages = debug5 with
# log_statement = 'all', no key or token appears in the server log, even after
# a superuser rotated the key with ALTER SYSTEM, reloaded, and ran failing
# statements that contain one: setting names in any case or quoted, values in
# '', E'', $$, $tag$ or "" quoting holding newlines, quotes and ';', unquoted
# values, comments, several statements in one query, a DO block, set_config()
# with the value as a bound parameter (extended protocol, pgbench).  Messages
# that merely name a secret setting stay intact: only values are masked.
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

# Statements that name a secret setting in other spellings and quote its value
# in every way SQL allows; each value is a fresh secret that must not be logged.
mapfile -t secrets < <(python3 -c 'import secrets; [print("zz%d_%s" % (i, secrets.token_hex(8))) for i in range(22)]')
try() { q -d postgres -c "$1" >/dev/null 2>&1; }
nl=$'\n'
try "ALTER SYSTEM SET dune_mv.DUNE_API_KEY = '${secrets[0]}'"
try "ALTER SYSTEM SET Dune_MV.Dune_Api_Key TO '${secrets[1]}'"
try "ALTER SYSTEM SET \"dune_mv\".\"DUNE_API_KEY\" = '${secrets[2]}'"
try "ALTER SYSTEM SET \"dune_mv.lance_api_key\" = '${secrets[3]}'"
try "ALTER SYSTEM SET dune_mv.lance_api_key = 'first line${nl}${secrets[4]}'"
try "SET dune_mv.LANCE_BEARER_TOKEN = 'a${nl};${nl}${secrets[5]}'"
try "ALTER SYSTEM SET dune_mv.dune_api_key = 'a;${secrets[6]}'"
try "ALTER SYSTEM SET dune_mv.dune_api_key = 'it''s;${secrets[7]}'"
try "ALTER SYSTEM SET dune_mv.dune_api_key = E'a\\';\\n${secrets[8]}'"
try "ALTER SYSTEM SET dune_mv.dune_api_key = e'a\\\\'';${nl}${secrets[9]}'"
try "SELECT set_config('DUNE_MV.DUNE_API_KEY', \$\$;${nl}${secrets[10]}\$\$, false)"
try "SELECT set_config('dune_mv.Lance_Bearer_Token', \$k\$a'b;\"c${nl}${secrets[11]}\$k\$, false)"
try "SELECT set_config('dune_mv.dune_api_key', 'a\\' || ';${secrets[12]}', false)"
try "SET dune_mv.dune_api_key = \"${secrets[13]}\""
try "ALTER SYSTEM SET dune_mv.dune_api_key TO ${secrets[14]}"
try "ALTER SYSTEM SET dune_mv.dune_api_key /* ; */ = '${secrets[15]}'"
try "ALTER SYSTEM SET dune_mv.dune_api_key -- ;${nl} = '${secrets[16]}'"
try "SELECT 1; ALTER SYSTEM SET dune_mv.lance_bearer_token = '${secrets[17]}'"
try "DO \$\$ BEGIN PERFORM set_config('dune_mv.dune_api_key', '${secrets[18]}', false); END \$\$"
try "DO \$\$ BEGIN PERFORM set_config('dune_mv.' || 'dune_api_key', E'x;${nl}${secrets[19]}', false); END \$\$"
# The value as a bound parameter: logged as "parameters: \$1 = '...'" in the DETAIL.
echo "SELECT set_config('dune_mv.dune_api_key', :v, false);" >"$WORK/zz_bind.sql"
"$PGBIN/pgbench" -n -t 1 -M extended -d postgres -f "$WORK/zz_bind.sql" -D v="${secrets[20]}" >/dev/null 2>&1
echo "SELECT set_config(:n, :v, false);" >"$WORK/zz_bind2.sql"
"$PGBIN/pgbench" -n -t 1 -M extended -d postgres -f "$WORK/zz_bind2.sql" -D n=dune_mv.Dune_Api_Key -D v="${secrets[21]}" >/dev/null 2>&1
q -d postgres -c "ALTER SYSTEM RESET dune_mv.dune_api_key" -c "ALTER SYSTEM RESET dune_mv.lance_api_key" \
	-c "ALTER SYSTEM RESET dune_mv.lance_bearer_token"

# Only values are masked: messages that merely name a secret setting are intact.
q -d postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'zz_reader') THEN CREATE ROLE zz_reader LOGIN; END IF; END \$\$"
out=$(psql -X -At -U zz_reader -d postgres -c "SHOW dune_mv.dune_api_key" 2>&1)
check "SHOW by another role names the setting intact" grep -qE 'to examine "dune_mv\.dune_api_key"$' <<<"$out"
check_eq "SHOW by a superuser answers the key" "$DUNE_MV_DUNE_KEY" "$(q -d postgres -c "SHOW dune_mv.dune_api_key")"
out=$(psql -X -At -d postgres -c "SET dune_mv.dune_api_key = default" 2>&1)
check_eq "an error that names the setting is intact" 'ERROR:  parameter "dune_mv.dune_api_key" cannot be changed now' "$out"
out=$(psql -X -At -d postgres -c "SHOW dune_mv.dune_api_key_nope" 2>&1)
check_eq "a setting whose name starts like a key's is intact" 'ERROR:  unrecognized configuration parameter "dune_mv.dune_api_key_nope"' "$out"
q -d postgres -c "DROP EXTENSION dune_mv; DROP SCHEMA IF EXISTS test CASCADE; DROP ROLE zz_reader" 2>/dev/null

log=$DUNE_MV_LOG
check "the log was written at debug5" grep -q "DEBUG:" "$log"
check "the log holds statements (log_statement = all)" grep -q "statement: SELECT dune_mv_upsert('result_rotated'" "$log"
check "the reload was logged, value masked, name intact" grep -qE 'parameter "dune_mv\.dune_api_key" changed to "\*{8,}"$' "$log"
check "the ALTER SYSTEM statement was logged, value masked" grep -qE "statement: ALTER SYSTEM SET dune_mv\.dune_api_key = '\*{8,}'$" "$log"
check "SHOW's statement was logged intact" grep -qE "statement: SHOW dune_mv\.dune_api_key$" "$log"
check "an upper-case statement was logged, value masked" grep -qE "statement: ALTER SYSTEM SET dune_mv\.DUNE_API_KEY = '\*{8,}'$" "$log"
check "a quoted name was logged intact, value masked" grep -qE "statement: ALTER SYSTEM SET \"dune_mv\"\.\"DUNE_API_KEY\" = '\*{8,}'$" "$log"
check "a bound value was logged masked" grep -qE "parameters: \\\$1 = '\*{8,}'$" "$log"
for secret in "$DUNE_MV_DUNE_KEY" "$newkey" "$DUNE_MV_LANCE_KEY" "$DUNE_MV_LANCE_TOKEN"; do
	check "secret ${secret:0:5}... absent from the server log" bash -c "! grep -qF -- '$secret' '$log'"
done
for secret in "${secrets[@]}"; do
	check "secret $secret (${secret%%_*}) absent from the server log" bash -c "! grep -qF -- '${secret#*_}' '$log'"
done
# postgresql.auto.conf (0600, owned by the server) is where ALTER SYSTEM keeps it; not world readable.
check "postgresql.auto.conf is not readable by others" bash -c "[ \$(stat -c %a '$(dirname "$log")/data/postgresql.auto.conf') = 600 ]"
summary
