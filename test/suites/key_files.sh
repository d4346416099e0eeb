#!/usr/bin/env bash
# Keys given through files only (dune_mv.dune_api_key_file,
# dune_mv.lance_api_key_file, dune_mv.lance_bearer_token_file), on a scratch
# cluster with shared_preload_libraries = 'pg_stat_statements,dune_mv': calls
# work, a key rotated in its file is used at the next call without a reload,
# the file wins over the plain setting, a file other users may read is
# refused (55000) and a missing one is an error, neither showing the key; and
# a non-superuser member of pg_read_all_stats and pg_read_all_settings reads
# no key in pg_stat_statements, pg_stat_activity (during a call), pg_settings
# or pg_file_settings, while a key set the plain way (ALTER SYSTEM SET
# dune_mv.dune_api_key) is in pg_stat_statements for that role to read.  No
# key reaches the server log (debug5, log_statement = 'all').
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh"
PGBIN=$(pg_config --bindir)

absent() { ! grep -qF -- "$1" <<<"$2"; }
hex() { python3 -c 'import secrets; print(secrets.token_hex(12))'; }
dkey="dkf_$(hex)" dkey2="dkf2_$(hex)" lkey="lkf_$(hex)" ltoken="ltf_$(hex)" plain="plain_$(hex)"
keys=("$dkey" "$dkey2" "$lkey" "$ltoken" "$DUNE_MV_DUNE_KEY" "$DUNE_MV_LANCE_KEY" "$DUNE_MV_LANCE_TOKEN")
# The stand-ins expect the new keys, which never appear in any configuration file.
$DUNE_MV_CTL -q dune reset
$DUNE_MV_CTL -q dune set api_key="$dkey"
$DUNE_MV_CTL -q lance reset
$DUNE_MV_CTL -q lance set api_key="$lkey" token="$ltoken"

start_cluster keyfiles "pg_stat_statements,dune_mv" <<CONF
log_min_messages = debug5
log_statement = 'all'
CONF
dir="$WORK/keyfiles"
trap 'as_pg "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1; $DUNE_MV_CTL -q dune reset; $DUNE_MV_CTL -q lance reset' EXIT
# Remove the plain keys that start_cluster wrote; the keys live in files of mode 600.
as_pg sed -i -E '/^dune_mv\.(dune_api_key|lance_api_key|lance_bearer_token) /d' "$dir/postgresql.conf"
keydir="$WORK/keyfiles_keys"
as_pg mkdir -m 700 "$keydir"
# write_key FILE VALUE: as the server's OS user, mode 600, with a trailing newline.
write_key() { printf '%s\n' "$2" | as_pg sh -c "umask 077; cat >'$keydir/$1'"; }
write_key dune "$dkey"
write_key lance_key "$lkey"
write_key lance_token "$ltoken"

q -d postgres -c "CREATE EXTENSION pg_stat_statements" -c "CREATE EXTENSION dune_mv"
q -d postgres -c "ALTER SYSTEM SET dune_mv.dune_api_key_file = '$keydir/dune'" \
	-c "ALTER SYSTEM SET dune_mv.lance_api_key_file = '$keydir/lance_key'" \
	-c "ALTER SYSTEM SET dune_mv.lance_bearer_token_file = '$keydir/lance_token'" \
	-c "SELECT pg_reload_conf()" >/dev/null
sleep 1
check_eq "the plain key setting is empty" "" "$(q -d postgres -c "SHOW dune_mv.dune_api_key")"
check_eq "the file setting names the file" "$keydir/dune" "$(q -d postgres -c "SHOW dune_mv.dune_api_key_file")"
check "a Dune call works with the key from its file" q -d postgres -c "SELECT dune_mv_upsert('result_key_files', 7)"
check "a Lance call works with the key and token from their files" q -d postgres -c "SELECT lance_mv_exists(ARRAY['kf', 'v'])"
$DUNE_MV_CTL -q lance set api_key="lk_other"
check "the bearer token from its file is valid on its own" q -d postgres -c "SELECT lance_mv_exists(ARRAY['kf', 'v'])"
$DUNE_MV_CTL -q lance set api_key="$lkey" token="lt_other"
check "the Lance key from its file is valid on its own" q -d postgres -c "SELECT lance_mv_exists(ARRAY['kf', 'v'])"
$DUNE_MV_CTL -q lance set token="$ltoken"

# Rotation: a new key in the file is used at the next call, without a reload.
write_key dune "$dkey2"
$DUNE_MV_CTL -q dune set api_key="$dkey2"
check "a key rotated in its file is used at once" q -d postgres -c "SELECT dune_mv_refresh('result_key_files')"

# A reply that echoes the key read from the file: the message shows it masked.
$DUNE_MV_CTL -q dune fault status=400 body="{\"error\": \"bad key $dkey2 here\"}"
out=$(psql -X -At -d postgres -c "SELECT dune_mv_refresh('result_key_files')" 2>&1)
check "a reply echoing the key from the file is masked" grep -qE "bad key \*{20,} here" <<<"$out"
errors="$out"

# The file wins over the plain setting.  (The plain way puts the value in SQL.)
q -d postgres -c "ALTER SYSTEM SET dune_mv.dune_api_key = '$plain'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
check "the file wins over the plain setting" q -d postgres -c "SELECT dune_mv_refresh('result_key_files')"
q -d postgres -c "ALTER SYSTEM RESET dune_mv.dune_api_key" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1

# A file other users may read is refused, as is a missing one; no error shows the key.
for mode in 640 604 620; do
	as_pg chmod "$mode" "$keydir/dune"
	out=$(psql -X -At -v VERBOSITY=verbose -d postgres -c "SELECT dune_mv_refresh('result_key_files')" 2>&1)
	errors+="$out"
	check "a key file of mode $mode is refused (55000)" grep -q "ERROR:  55000: the file named by dune_mv.dune_api_key_file may be accessed by other users" <<<"$out"
	check "with a hint" grep -q "HINT:  .*chmod 600" <<<"$out"
done
as_pg chmod 600 "$keydir/dune"
check "mode 600 again: accepted" q -d postgres -c "SELECT dune_mv_refresh('result_key_files')"
as_pg mv "$keydir/dune" "$keydir/dune.moved"
out=$(psql -X -At -v VERBOSITY=verbose -d postgres -c "SELECT dune_mv_refresh('result_key_files')" 2>&1)
errors+="$out"
check "a missing key file is an error (58P01)" grep -q "ERROR:  58P01: could not open the file named by dune_mv.dune_api_key_file" <<<"$out"
as_pg mv "$keydir/dune.moved" "$keydir/dune"
printf 'a\n\n' | as_pg sh -c "cat >'$keydir/bad'"
q -d postgres -c "ALTER SYSTEM SET dune_mv.lance_api_key_file = '$keydir/bad'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
as_pg chmod 600 "$keydir/bad"
out=$(psql -X -At -d postgres -c "SELECT lance_mv_exists(ARRAY['kf', 'v'])" 2>&1)
check "a key file with more than one trailing newline is refused" grep -q "lance_api_key_file contains a control character" <<<"$out"
q -d postgres -c "ALTER SYSTEM SET dune_mv.lance_api_key_file = '$keydir/lance_key'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
check "the client is not told the file's path" absent "$keydir" "$errors"
for key in "${keys[@]}"; do
	check "key ${key:0:5}... not in the errors" absent "$key" "$errors"
done

# What a monitoring role sees.  A call is held 3 s by the stand-in while the role looks.
q -d postgres -c "CREATE ROLE kf_monitor LOGIN" -c "GRANT pg_read_all_stats, pg_read_all_settings TO kf_monitor"
$DUNE_MV_CTL -q dune fault delay_ms=3000 match=/refresh
q -d postgres -c "SELECT dune_mv_refresh('result_key_files')" >/dev/null 2>&1 &
sleep 1
mon() { psql -X -At -U kf_monitor -d postgres -c "$1" 2>&1; }
seen=$(mon "SELECT query FROM pg_stat_activity")
wait
seen+=$(mon "SELECT query FROM pg_stat_statements")
seen+=$(mon "SELECT name, setting FROM pg_settings WHERE name LIKE 'dune\_mv.%'")
seen+=$(mon "SELECT current_setting('dune_mv.dune_api_key'), current_setting('dune_mv.lance_api_key'), current_setting('dune_mv.lance_bearer_token')")
seen+=$(mon "SELECT * FROM pg_file_settings")
check "the role sees calls in flight in pg_stat_activity" grep -q "SELECT dune_mv_refresh('result_key_files')" <<<"$seen"
check "the role reads utility statements in pg_stat_statements" grep -qF "ALTER SYSTEM SET dune_mv.dune_api_key_file = '$keydir/dune'" <<<"$seen"
check "the role reads the settings" grep -qF "dune_mv.dune_api_key_file|$keydir/dune" <<<"$seen"
check "a key set the plain way is in pg_stat_statements (why files)" grep -qF "$plain" <<<"$seen"
for key in "${keys[@]}"; do
	check "key ${key:0:5}... not readable by the monitoring role" absent "$key" "$seen"
done

log=$DUNE_MV_LOG
check "the server log holds the statements" grep -qF "statement: ALTER SYSTEM SET dune_mv.dune_api_key_file = '$keydir/dune'" "$log"
check "the server log names a refused file" grep -qF "DETAIL:  The file is \"$keydir/dune\"." "$log"
for key in "${keys[@]}" "$plain"; do
	check "key ${key:0:5}... absent from the server log" bash -c "! grep -qF -- '$key' '$log'"
done
summary
