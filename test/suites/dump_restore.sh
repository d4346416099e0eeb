#!/usr/bin/env bash
# Catalog rows survive pg_dump and restore into a fresh database.
set -u
. "$(dirname "$0")/check.sh"

dropdb --if-exists dump_src >/dev/null 2>&1; dropdb --if-exists dump_dst >/dev/null 2>&1
createdb dump_src && createdb dump_dst
q -d dump_src -c "CREATE EXTENSION dune_mv"
$DUNE_MV_CTL -q dune reset
q -d dump_src -c "SELECT dune_mv_upsert('result_dumped', 31, cron => '0 3 * * 1')" \
	-c "SELECT dune_mv_refresh('result_dumped')" -c "SELECT dune_mv_refresh('result_dumped')"
before=$(q -d dump_src -c "SELECT string_agg(id || ':' || operation || ':' || execution_id, ',' ORDER BY id) FROM dune_mv.calls")
views_before=$(q -d dump_src -c "SELECT string_agg(name || ':' || full_name || ':' || cron_expression || ':' || last_execution_id, ',') FROM dune_mv.views")

pg_dump -d dump_src -f "$WORK/dump.sql"
check "pg_dump wrote the catalog rows" grep -q "result_dumped" "$WORK/dump.sql"
q -d dump_dst -f "$WORK/dump.sql" >/dev/null
after=$(q -d dump_dst -c "SELECT string_agg(id || ':' || operation || ':' || execution_id, ',' ORDER BY id) FROM dune_mv.calls")
views_after=$(q -d dump_dst -c "SELECT string_agg(name || ':' || full_name || ':' || cron_expression || ':' || last_execution_id, ',') FROM dune_mv.views")
check_eq "calls rows restored" "$before" "$after"
check_eq "views rows restored" "$views_before" "$views_after"
check_eq "three calls were dumped" 3 "$(q -d dump_dst -c 'SELECT count(*) FROM dune_mv.calls')"
# The sequence continues after the restored ids, so the next call does not collide.
q -d dump_dst -c "SELECT dune_mv_refresh('result_dumped')"
check_eq "new call after restore gets the next id" 4 "$(q -d dump_dst -c 'SELECT max(id) FROM dune_mv.calls')"
check_eq "RLS still enabled on every catalog table after restore" 0 "$(q -d dump_dst -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'dune_mv'::regnamespace AND relkind = 'r' AND NOT relrowsecurity")"

dropdb dump_src; dropdb dump_dst
summary
