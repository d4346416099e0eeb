#!/usr/bin/env bash
# Build dune_mv's libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined).
#
#   test/fuzz/build.sh OUTDIR [TARGET...]      (default: every target)
#
# Writes OUTDIR/fuzz_<target> for each target (objects go to OUTDIR/obj;
# nothing is written into the repository).  "OUTDIR/fuzz_<target> FILE..."
# runs the target once on each file (a reproducer); with a directory it fuzzes.
#
# Targets (test/fuzz/fuzz_<target>.c; corpus seeds in test/fuzz/corpus/<target>/):
#   arrow        Arrow IPC schema decoder (src/arrow/, no PostgreSQL code)
#   cron         cron parser and gap check (src/cron/, no PostgreSQL code)
#   remote_error error bodies to error messages (src/transport/remote_error.c)
#   replies      the reply readers of both APIs, through the SQL functions
#                (src/functions/dune_views.c, lance_views.c, lance_tables.c,
#                results_source.c, src/core/call.c)
#   status       execution and job status replies and RFC 3339 times (src/core/status.c,
#                src/functions/follow.c)
#   result_pages results pages: the page scanner, rows split into columns, values
#                as COPY text (src/functions/results.c, json_scan.c, dune_types.c)
#   json_scan    the span scanner alone (src/functions/json_scan.c)
#   redact       secrets masked in log messages (src/core/redact.c)
#   names        names and ids: validators, percent-encoding, Lance ids and paths
#                (src/functions/validate.c, src/transport/url.c, src/providers/)
#   retry_after  the Retry-After value (src/transport/transfer.c)
#
# The PostgreSQL targets compile src/ against the server headers
# (pg_config --includedir-server) and link test/fuzz/pg_shim.c (backend
# symbols), test/fuzz/dune_mv_stubs.c (the extension's modules left out),
# libpgcommon/libpgport (UTF-8, StringInfo, psprintf), json-c and libcurl.
#
# Environment: CC (default clang), PG_CONFIG (default pg_config),
# FUZZ_CFLAGS (added to every compile).  At run time, FUZZ_VERBOSE=1 makes the
# PostgreSQL targets print how each call ended (returned, or its ERROR).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: build.sh OUTDIR [TARGET...]}
shift
cc=${CC:-clang}
pg_config=${PG_CONFIG:-pg_config}

ALL_TARGETS="arrow cron remote_error replies status result_pages json_scan redact names retry_after"
targets=${*:-$ALL_TARGETS}

mkdir -p "$out/obj"
out=$(cd "$out" && pwd)
obj=$out/obj

san="-fsanitize=address,undefined -fno-sanitize-recover=all"
common="-g -O1 -fno-omit-frame-pointer $san ${FUZZ_CFLAGS:-}"
# what PGXS compiles with that changes semantics, and the server headers
pg_inc="-I $root/src -I $("$pg_config" --includedir-server) -I $here"
pg_flags="-fwrapv -fno-strict-aliasing -D_GNU_SOURCE -Wall -Wno-ignored-attributes
	-Werror=implicit-function-declaration"
pglib=$("$pg_config" --pkglibdir)
pg_libs="$pglib/libpgcommon.a $pglib/libpgport.a -ljson-c -lcurl -lcrypto -lm"

# The extension's files the PostgreSQL targets may use (the linker takes
# from the archive only what a target references).
# the backend stand-in (pg_shim*.c) and the modules left out (dune_mv_stubs.c)
SHIM_FILES="pg_shim pg_shim_errors pg_shim_text pg_shim_time pg_shim_rows dune_mv_stubs"
SRC_FILES="core/json_util.c core/provider.c core/redact.c core/call.c core/status.c
	providers/dune.c providers/lance.c
	transport/url.c transport/remote_error.c transport/transfer.c
	functions/validate.c functions/results.c functions/results_source.c
	functions/json_scan.c functions/dune_types.c functions/dune_views.c
	functions/lance_views.c functions/lance_tables.c functions/rows.c functions/follow.c
	cron/cron.c cron/cron_gaps.c"

needs_pg() {
	case $1 in arrow | cron) return 1 ;; *) return 0 ;; esac
}

pg_needed=0
for t in $targets; do
	case " $ALL_TARGETS " in *" $t "*) ;; *) echo "build.sh: unknown target $t" >&2; exit 2 ;; esac
	needs_pg "$t" && pg_needed=1
done

# cc_obj SRC OBJ [FLAGS...]: compile one file, instrumented for libFuzzer.
cc_obj() {
	local src=$1 o=$2
	shift 2
	$cc -c $common -fsanitize=fuzzer-no-link "$@" "$src" -o "$o"
}

# The shared part of the PostgreSQL targets: src/ files, the shim, the stand-ins.
pg_ok=1
if [ "$pg_needed" = 1 ]; then
	rm -f "$obj/libdunemv.a"
	objs=()
	for f in $SRC_FILES; do
		o=$obj/src_$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
		cc_obj "$root/src/$f" "$o" $pg_inc $pg_flags || { pg_ok=0; echo "build.sh: src/$f does not compile" >&2; }
		objs+=("$o")
	done
	[ "$pg_ok" = 1 ] && ar rcs "$obj/libdunemv.a" "${objs[@]}"
	for f in $SHIM_FILES; do
		cc_obj "$here/$f.c" "$obj/$f.o" $pg_inc $pg_flags || { pg_ok=0; echo "build.sh: test/fuzz/$f.c does not compile" >&2; }
	done
fi

# build_target T: OUTDIR/fuzz_T.
build_target() {
	local t=$1 src=$here/fuzz_$1.c a c
	case $t in
		arrow)
			a="$root/src/arrow"
			$cc $common -fsanitize=fuzzer -I "$a" -I "$root/src" "$src" "$a/arrow_ipc.c" \
				"$a/arrow_ipc_flatbuf.c" "$a/arrow_ipc_types.c" "$a/arrow_ipc_write.c" \
				-o "$out/fuzz_$t"
			;;
		cron)
			c="$root/src/cron"
			$cc $common -fsanitize=fuzzer -I "$c" "$src" "$c/cron.c" "$c/cron_gaps.c" \
				-o "$out/fuzz_$t"
			;;
		*)
			[ "$pg_ok" = 1 ] || return 1
			cc_obj "$src" "$obj/fuzz_$t.o" $pg_inc $pg_flags &&
				$cc $common -fsanitize=fuzzer "$obj/fuzz_$t.o" \
					$(for f in $SHIM_FILES; do echo "$obj/$f.o"; done) \
					"$obj/libdunemv.a" $pg_libs -o "$out/fuzz_$t"
			;;
	esac
}

# Every target is attempted; the status is 1 when any failed to build.
failed=""
for t in $targets; do
	rm -f "$out/fuzz_$t"
	if build_target "$t"; then
		echo "built $out/fuzz_$t"
	else
		failed="$failed $t"
		echo "build.sh: fuzz_$t FAILED to build (an undefined reference means src/ now calls" \
			"something that test/fuzz/dune_mv_stubs.c or pg_shim.c does not provide)" >&2
	fi
done
[ -z "$failed" ]
