#!/usr/bin/env bash
# ALTER EXTENSION dune_mv UPDATE from 1.0: a 1.0 install (library and scripts
# built from git commit 42b3756 at test time), filled through real 1.0 calls
# against the stand-ins, keeps every catalog row when the current build is
# installed and the extension updated, and its schema then equals a fresh
# install of the current version (pg_dump --binary-upgrade and a catalog query).
#
# The main test cluster has the current dune_mv.so preloaded, so no installed
# file is ever overwritten in place: each is copied next to its target under a
# temporary name and renamed over it.  A trap reinstalls the current build the
# same way on every exit path.
set -u
. "$(dirname "$0")/check.sh"
. "$(dirname "$0")/../lib.sh"
PG_CONFIG=${PG_CONFIG:-pg_config}
PGBIN=$($PG_CONFIG --bindir)
LIBDIR=$($PG_CONFIG --pkglibdir)
EXTDIR=$($PG_CONFIG --sharedir)/extension
V10=42b3756
CURRENT=$(sed -n "s/^default_version *= *'\([^']*\)'.*/\1/p" "$ROOT/dune_mv.control")
tmp="$WORK/upgrade"
cluster="$WORK/upgradecluster"
rm -rf "$tmp" && mkdir -p "$tmp/v1.0" "$tmp/saved"

# Stop here with one failed check (the trap still runs).
fatal() {
	FAILED=$((FAILED + 1)); echo "not ok - $*"
	summary
	exit 1
}

# Copy src next to dst under a temporary name, then rename it over dst: a
# running server that has the old file mapped keeps its own copy intact.  The
# temporary name starts with a dot, so it never looks like an extension script.
install_atomic() {
	local src=$1 dst=$2 mode=$3
	local part
	part="$(dirname "$dst")/.$(basename "$dst").part$$"
	as_root cp "$src" "$part" && as_root chmod "$mode" "$part" && as_root mv -f "$part" "$dst" || {
		as_root rm -f "$part"
		return 1
	}
}

# Install the library, control file and extension scripts of a build directory.
install_build() {
	local dir=$1 f
	[ -f "$dir/dune_mv.so" ] && [ -f "$dir/dune_mv.control" ] || return 1
	install_atomic "$dir/dune_mv.so" "$LIBDIR/dune_mv.so" 755 || return 1
	install_atomic "$dir/dune_mv.control" "$EXTDIR/dune_mv.control" 644 || return 1
	for f in "$dir"/sql/dune_mv--*.sql; do
		install_atomic "$f" "$EXTDIR/$(basename "$f")" 644 || return 1
	done
}

stop_cluster() {
	[ -f "$cluster/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$cluster" -m fast -w stop >/dev/null 2>&1
	return 0
}

# On every exit: stop the scratch cluster, put the current build back (once
# the 1.0 build was installed).
replaced=0
restore() {
	local rc=$?
	stop_cluster
	if [ "$replaced" = 1 ] && ! install_build "$ROOT"; then
		echo "not ok - could not reinstall the current build from $ROOT: run make install" >&2
		rc=1
	fi
	exit $rc
}
trap restore EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Start the scratch cluster again after a stop, as start_cluster does.
restart_cluster() {
	as_pg env -u DUNE_MV_DUNE_KEY -u DUNE_MV_LANCE_KEY -u DUNE_MV_LANCE_TOKEN \
		"$PGBIN/pg_ctl" -D "$cluster" -l "$DUNE_MV_LOG" -w -t 300 $(valgrind_wrapper) start >/dev/null
}

# The current build must be complete before anything is replaced.
make -C "$ROOT" -s PG_CONFIG="$PG_CONFIG" >"$tmp/make-current.log" 2>&1 ||
	{ tail -n 20 "$tmp/make-current.log"; fatal "the current tree builds"; }
[ -f "$ROOT/sql/dune_mv--$CURRENT.sql" ] || fatal "the current build has sql/dune_mv--$CURRENT.sql"

# ---- the 1.0 build, from git history ----
if ! git -C "$ROOT" cat-file -e "$V10^{commit}" 2>/dev/null; then
	fatal "commit $V10 (dune_mv 1.0) is not in the git history of $ROOT:" \
		"a shallow clone? run git fetch --unshallow; this suite builds 1.0 from history"
fi
git -C "$ROOT" archive "$V10" | tar -x -C "$tmp/v1.0" || fatal "git archive $V10"
make -C "$tmp/v1.0" -s PG_CONFIG="$PG_CONFIG" >"$tmp/make-1.0.log" 2>&1 ||
	{ tail -n 20 "$tmp/make-1.0.log"; fatal "1.0 builds from commit $V10"; }
check "the frozen sql/dune_mv--1.0.sql is what commit $V10 builds" \
	cmp "$ROOT/sql/dune_mv--1.0.sql" "$tmp/v1.0/sql/dune_mv--1.0.sql"
replaced=1
install_build "$tmp/v1.0" || fatal "install the 1.0 build"

# ---- a 1.0 cluster, filled through 1.0 calls ----
start_cluster upgradecluster </dev/null
# The postmaster loaded the library at start (shared_preload_libraries) and its
# backends inherit it: the scratch cluster runs 1.0 until it is restarted.
check "the scratch cluster started on the 1.0 library" cmp "$tmp/v1.0/dune_mv.so" "$LIBDIR/dune_mv.so"
check_eq "the 1.0 control file is installed" 1.0 \
	"$(q -d postgres -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dune_mv'")"
createdb upgraded || fatal "createdb upgraded"
q -d upgraded -c "CREATE EXTENSION dune_mv VERSION '1.0'" || fatal "CREATE EXTENSION dune_mv VERSION '1.0'"
q -d upgraded -c "CREATE ROLE upgrader LOGIN IN ROLE dune_mv_user"
check_eq "version 1.0 installed" 1.0 "$(q -d upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'dune_mv'")"
# Nothing reads the installed files again until the restart: put the current
# build back at once, so that the installation (shared with anything else
# running on this machine) holds 1.0 for a few seconds only.
install_build "$ROOT" || fatal "install the current build"

$DUNE_MV_CTL -q dune reset && $DUNE_MV_CTL -q lance reset
# Executions and jobs stay pending until forced, so that states change between reads.
$DUNE_MV_CTL -q dune set pending_ms=600000 && $DUNE_MV_CTL -q lance set pending_ms=600000
fill() {
	local user=$1 tag=$2 e1 e2 j1 j2
	local uq="q -U $user -d upgraded"
	e1=$($uq -c "SELECT execution_id FROM dune_mv_upsert('result_upg_$tag', 4242, cron => '0 3 * * 1',
		expires_at => date_trunc('day', now()) + interval '400 days', is_private => true, performance => 'large')") || return 1
	e2=$($uq -c "SELECT execution_id FROM dune_mv_refresh('result_upg_$tag', performance => 'medium')") || return 1
	$uq -c "SELECT state FROM dune_mv_status('$e1')" >/dev/null || return 1
	$DUNE_MV_CTL -q dune set exec="$e1" state=QUERY_STATE_EXECUTING
	$uq -c "SELECT state FROM dune_mv_status('$e1')" >/dev/null || return 1
	$DUNE_MV_CTL -q dune set exec="$e1" state=QUERY_STATE_COMPLETED
	$uq -c "SELECT state FROM dune_mv_wait('$e1', '10 seconds')" >/dev/null || return 1
	$uq -c "SELECT state FROM dune_mv_status('$e2')" >/dev/null || return 1
	$uq -c "SELECT id FROM dune_mv_get('result_upg_$tag')" >/dev/null || return 1
	j1=$($uq -c "SELECT job_id FROM lance_mv_create(ARRAY['upg', 'lance_$tag'], 'query',
		'{\"table\": \"docs\"}', lance_arrow_schema('id bigint NOT NULL, body text, embedding real[4]'),
		with_no_data => false, delimiter => '.')") || return 1
	$uq -c "SELECT version FROM lance_mv_create(ARRAY['upg', 'plain_$tag'], 'query', 'q',
		lance_arrow_schema('id bigint'))" >/dev/null || return 1
	j2=$($uq -c "SELECT job_id FROM lance_mv_refresh(ARRAY['upg', 'lance_$tag'], concurrency => 2, delimiter => '.')") || return 1
	$uq -c "SELECT state FROM lance_mv_job_status('$j1')" >/dev/null || return 1
	$DUNE_MV_CTL -q lance set job="$j1" state=DONE
	$uq -c "SELECT state FROM lance_mv_job_status('$j1')" >/dev/null || return 1
	$uq -c "SELECT state FROM lance_mv_job_status('$j2')" >/dev/null || return 1
	$uq -c "SELECT version FROM lance_mv_describe(ARRAY['upg', 'lance_$tag'], '.')" >/dev/null || return 1
}
# step "description" command...: a check that shows the command's errors when it fails.
step() {
	local what=$1
	shift
	if "$@" >"$tmp/step.log" 2>&1; then
		check "$what" true
	else
		check "$what" false
		tail -n 20 "$tmp/step.log"
	fi
}
# A refresh skipped by the overlap guard: another session holds the view's
# guard while the stand-in takes 3 s to answer its refresh.
skipped_refresh() {
	$DUNE_MV_CTL -q dune fault delay_ms=3000 match=result_upg_super/refresh || return 1
	q -d upgraded -c "SELECT dune_mv_refresh('result_upg_super')" >/dev/null &
	local holder=$! i
	for i in $(seq 100); do
		[ "$(q -d upgraded -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" -gt 0 ] && break
		sleep 0.05
	done
	q -d upgraded -c "SELECT dune_mv_refresh('result_upg_super')" || return 1
	wait $holder || return 1
	[ "$(q -d upgraded -c "SELECT count(*) FROM dune_mv.calls WHERE outcome = 'skipped'")" = 1 ]
}
step "1.0 calls as a member of dune_mv_user" fill upgrader member
step "1.0 calls as the superuser" fill postgres super
step "a 1.0 refresh skipped by the overlap guard" skipped_refresh
# Leave every execution and job finished (read as its own role), so that
# nothing is left for anything to follow (such as a background worker of a
# later version): the catalog is at rest when it is saved and updated.
settle() {
	local role provider id
	while IFS='|' read -r role provider id; do
		if [ "$provider" = dune ]; then
			$DUNE_MV_CTL -q dune set exec="$id" state=QUERY_STATE_COMPLETED &&
				q -U "$role" -d upgraded -c "SELECT state FROM dune_mv_status('$id')" || return 1
		else
			$DUNE_MV_CTL -q lance set job="$id" state=DONE &&
				q -U "$role" -d upgraded -c "SELECT state FROM lance_mv_job_status('$id')" || return 1
		fi
	done < <(q -d upgraded -c "SELECT role, provider, remote_id FROM dune_mv.executions WHERE NOT is_finished ORDER BY id")
	[ "$(q -d upgraded -c "SELECT count(*) FROM dune_mv.executions WHERE NOT is_finished")" = 0 ]
}
step "every 1.0 execution and job read in a final state" settle

# Every column of every dune_mv table as 1.0 defines it, read through explicit
# column lists, so that the same lists read the updated catalog (a table may
# become a view with the same columns).
declare -A key=([calls]=id [views]="role, provider, name" [executions]=id [execution_states]=id)
tables=$(q -d upgraded -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
	WHERE relnamespace = 'dune_mv'::regnamespace AND relkind = 'r'")
check_eq "the 1.0 tables" "calls execution_states executions views" "$tables"
declare -A cols
for t in $tables status; do
	cols[$t]=$(q -d upgraded -c "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'dune_mv.$t'::regclass AND attnum > 0 AND NOT attisdropped")
done
key[status]="provider, name"
sequences=$(q -d upgraded -c "SELECT string_agg(relname, ' ' ORDER BY relname) FROM pg_class
	WHERE relnamespace = 'dune_mv'::regnamespace AND relkind = 'S'")
save() {
	local dir=$1 t
	for t in $tables; do
		q -d upgraded -c "SELECT ROW(${cols[$t]})::text FROM dune_mv.$t ORDER BY ${key[$t]}" >"$dir/$t" || return 1
	done
	for user in postgres upgrader; do
		q -U $user -d upgraded -c "SELECT ROW(${cols[status]})::text FROM dune_mv.status ORDER BY ${key[status]}" \
			>"$dir/status.$user" || return 1
	done
	for s in $sequences; do
		q -d upgraded -c "SELECT last_value || ' ' || is_called FROM dune_mv.$s" >"$dir/$s" || return 1
	done
}
check "saved every row of the 1.0 catalog" save "$tmp/saved"
for t in $tables status.postgres status.upgrader; do
	check "1.0 rows in $t" test -s "$tmp/saved/$t"
done
check_eq "views rows of both providers, each role" "dune 2, lance 4" \
	"$(q -d upgraded -c "SELECT string_agg(provider || ' ' || n, ', ' ORDER BY provider) FROM
		(SELECT provider, count(*) n FROM dune_mv.views GROUP BY 1) s")"
check_eq "a Dune view with every definition column set" 2 \
	"$(q -d upgraded -c "SELECT count(*) FROM dune_mv.views WHERE provider = 'dune' AND query_id IS NOT NULL
		AND cron_expression IS NOT NULL AND expires_at IS NOT NULL AND performance IS NOT NULL
		AND is_private IS NOT NULL AND last_execution_id IS NOT NULL")"
check_eq "a Lance view with id, delimiter, kind and version set" 2 \
	"$(q -d upgraded -c "SELECT count(*) FROM dune_mv.views WHERE provider = 'lance' AND lance_id IS NOT NULL
		AND lance_delimiter = '.' AND kind = 'query' AND version IS NOT NULL AND last_execution_id IS NOT NULL")"
check_eq "state histories of both providers" "dune lance" \
	"$(q -d upgraded -c "SELECT string_agg(DISTINCT provider, ' ') FROM dune_mv.execution_states")"
check_eq "rows of both roles" "postgres upgrader" \
	"$(q -d upgraded -c "SELECT string_agg(DISTINCT role::text, ' ') FROM dune_mv.calls")"

# ---- the current build, ALTER EXTENSION UPDATE ----
stop_cluster
# (again: the build installed now is the one the cluster starts on)
install_build "$ROOT" || fatal "install the current build"
restart_cluster || fatal "the scratch cluster starts on the current library"
q -d upgraded -c "ALTER EXTENSION dune_mv UPDATE" || fatal "ALTER EXTENSION dune_mv UPDATE"
check_eq "the current version is $CURRENT" "$CURRENT" \
	"$(q -d upgraded -c "SELECT default_version FROM pg_available_extensions WHERE name = 'dune_mv'")"
check_eq "updated to $CURRENT" "$CURRENT" \
	"$(q -d upgraded -c "SELECT extversion FROM pg_extension WHERE extname = 'dune_mv'")"
mkdir -p "$tmp/after"
check "read every saved row after the update" save "$tmp/after"
for f in $tables status.postgres status.upgrader $sequences; do
	if cmp -s "$tmp/saved/$f" "$tmp/after/$f"; then
		check "$f: all $(wc -l <"$tmp/saved/$f") rows kept, same values" true
	else
		check "$f: all rows kept, same values" false
		diff -u "$tmp/saved/$f" "$tmp/after/$f" | head -n 40
	fi
done
# The updated catalog goes on: a refresh by bare name finds the 1.0 row, ids continue.
before=$(q -d upgraded -c "SELECT max(id) FROM dune_mv.calls")
check "a refresh after the update" q -U upgrader -d upgraded -c "SELECT dune_mv_refresh('result_upg_member')"
check_eq "it continued the ids and found the 1.0 view by its bare name" "$((before + 1)) dune.testteam.result_upg_member" \
	"$(q -d upgraded -c "SELECT id || ' ' || target FROM dune_mv.calls WHERE id > $before AND operation = 'refresh'
		ORDER BY id LIMIT 1")"

# ---- the updated schema equals a fresh install ----
createdb fresh && q -d fresh -c "CREATE EXTENSION dune_mv" || fatal "a fresh CREATE EXTENSION dune_mv"
# pg_dump leaves extension members out unless --binary-upgrade.  Drop what
# legitimately differs: OIDs and relfilenodes to preserve, the config tables'
# OIDs, relfrozenxid, the sequences' state (data, compared above), the header,
# the \restrict keys, the database name.
dump() {
	pg_dump --schema-only --binary-upgrade -d "$1" |
		sed -E -e '/binary_upgrade_set_next_/d' -e '/^-- Dumped (from|by) /d' -e '/^\\(un)?restrict /d' \
			-e "/binary_upgrade_create_empty_extension/ s/'\{[0-9,]*\}'/'{OIDS}'/" \
			-e "s/^SET relfrozenxid = '[0-9]+', relminmxid = '[0-9]+'$/SET relfrozenxid = 'X', relminmxid = 'X'/" \
			-e "s/^WHERE oid = '[0-9]+';$/WHERE oid = 'OID';/" \
			-e "s/^(SELECT pg_catalog\.setval\('[^']+', )[0-9]+, (true|false)\);$/\1N, B);/" \
			-e "s/\b$1\b/DBNAME/g"
}
# The catalog, one line per fact, for everything the extension owns.
cat >"$tmp/schema.sql" <<'SQL'
WITH members AS (
	SELECT d.classid, d.objid FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
	WHERE d.refclassid = 'pg_extension'::regclass AND e.extname = 'dune_mv' AND d.deptype = 'e'
), rels AS (
	SELECT objid AS oid FROM members WHERE classid = 'pg_class'::regclass
	UNION
	SELECT t.typrelid FROM members m JOIN pg_type t ON t.oid = m.objid
	WHERE m.classid = 'pg_type'::regclass AND t.typtype = 'c'
), objects AS (
	SELECT classid, objid FROM members
	UNION SELECT 'pg_class'::regclass, oid FROM rels
	UNION SELECT 'pg_class'::regclass, indexrelid FROM pg_index WHERE indrelid IN (SELECT oid FROM rels)
	UNION SELECT 'pg_policy'::regclass, oid FROM pg_policy WHERE polrelid IN (SELECT oid FROM rels)
	UNION SELECT 'pg_constraint'::regclass, oid FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rels)
	UNION SELECT 'pg_extension'::regclass, oid FROM pg_extension WHERE extname = 'dune_mv'
)
SELECT line FROM (
	SELECT format('extension %s %s schema %s relocatable %s', extname, extversion,
		extnamespace::regnamespace, extrelocatable) AS line
	FROM pg_extension WHERE extname = 'dune_mv'
	UNION ALL
	-- pg_extension_config_dump: which tables and conditions (the order they were registered in does not matter)
	SELECT format('config dump %s where %L', c.rel::regclass, c.cond)
	FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS c(rel, cond) WHERE e.extname = 'dune_mv'
	UNION ALL
	SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
	UNION ALL
	SELECT format('relation %s kind %s owner %s options %s rls %s force %s acl %s', c.oid::regclass,
		c.relkind, c.relowner::regrole, c.reloptions, c.relrowsecurity, c.relforcerowsecurity, c.relacl)
	FROM pg_class c WHERE c.oid IN (SELECT oid FROM rels)
	UNION ALL
	SELECT format('column %s.%s #%s %s not null %s default %s identity %s generated %s collation %s acl %s',
		a.attrelid::regclass, a.attname, a.attnum, format_type(a.atttypid, a.atttypmod), a.attnotnull,
		pg_get_expr(d.adbin, d.adrelid), a.attidentity, a.attgenerated, a.attcollation::regcollation, a.attacl)
	FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
	WHERE a.attrelid IN (SELECT oid FROM rels) AND a.attnum > 0 AND NOT a.attisdropped
	UNION ALL
	SELECT format('constraint %s %s %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
	FROM pg_constraint WHERE conrelid IN (SELECT oid FROM rels)
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid IN (SELECT oid FROM rels)
	UNION ALL
	SELECT format('policy %s on %s cmd %s permissive %s roles %s using %s check %s', polname,
		polrelid::regclass, polcmd, polpermissive, polroles::regrole[], pg_get_expr(polqual, polrelid),
		pg_get_expr(polwithcheck, polrelid))
	FROM pg_policy WHERE polrelid IN (SELECT oid FROM rels)
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(oid) FROM pg_trigger
	WHERE tgrelid IN (SELECT oid FROM rels) AND NOT tgisinternal
	UNION ALL
	SELECT format('view %s %s', oid::regclass, pg_get_viewdef(oid))
	FROM pg_class WHERE oid IN (SELECT oid FROM rels) AND relkind IN ('v', 'm')
	UNION ALL
	SELECT format('sequence %s %s start %s increment %s min %s max %s cache %s cycle %s',
		seqrelid::regclass, seqtypid::regtype, seqstart, seqincrement, seqmin, seqmax, seqcache, seqcycle)
	FROM pg_sequence WHERE seqrelid IN (SELECT oid FROM rels)
	UNION ALL
	SELECT format('function %s owner %s acl %s %s', p.oid::regprocedure, p.proowner::regrole, p.proacl,
		pg_get_functiondef(p.oid))
	FROM members m JOIN pg_proc p ON p.oid = m.objid WHERE m.classid = 'pg_proc'::regclass
	UNION ALL
	SELECT format('type %s type %s owner %s acl %s', t.oid::regtype, t.typtype, t.typowner::regrole, t.typacl)
	FROM members m JOIN pg_type t ON t.oid = m.objid WHERE m.classid = 'pg_type'::regclass
	UNION ALL
	SELECT format('schema %s owner %s acl %s', n.nspname, n.nspowner::regrole, n.nspacl)
	FROM members m JOIN pg_namespace n ON n.oid = m.objid WHERE m.classid = 'pg_namespace'::regclass
	UNION ALL
	SELECT format('init privs %s %s %s', pg_describe_object(classoid, objoid, objsubid), privtype, initprivs)
	FROM pg_init_privs WHERE (classoid, objoid) IN (SELECT classid, objid FROM objects)
	UNION ALL
	SELECT format('comment %s: %s', pg_describe_object(classoid, objoid, objsubid), description)
	FROM pg_description WHERE (classoid, objoid) IN (SELECT classid, objid FROM objects)
) lines ORDER BY line;
SQL
dump upgraded >"$tmp/upgraded.dump" && dump fresh >"$tmp/fresh.dump" || fatal "pg_dump --binary-upgrade"
check "pg_dump --binary-upgrade holds the extension's members" grep -q "ALTER EXTENSION dune_mv ADD TABLE dune_mv.calls" "$tmp/fresh.dump"
if diff -u "$tmp/fresh.dump" "$tmp/upgraded.dump" >"$tmp/dump.diff"; then
	check "schema dump: updated 1.0 = fresh $CURRENT" true
else
	check "schema dump: updated 1.0 = fresh $CURRENT (diff: fresh, updated)" false
	head -n 80 "$tmp/dump.diff"
fi
q -d upgraded -f "$tmp/schema.sql" >"$tmp/upgraded.schema" && q -d fresh -f "$tmp/schema.sql" >"$tmp/fresh.schema" ||
	fatal "the catalog query"
check "the catalog query sees members, columns, indexes, policies, ACLs and comments" \
	grep -q "^comment column target of table dune_mv.calls: " "$tmp/fresh.schema"
if diff -u "$tmp/fresh.schema" "$tmp/upgraded.schema" >"$tmp/schema.diff"; then
	check "catalog: updated 1.0 = fresh $CURRENT ($(wc -l <"$tmp/fresh.schema") lines)" true
else
	check "catalog: updated 1.0 = fresh $CURRENT (diff: fresh, updated)" false
	head -n 80 "$tmp/schema.diff"
fi

stop_cluster
summary
