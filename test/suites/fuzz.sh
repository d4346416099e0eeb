#!/usr/bin/env bash
# Build every libFuzzer target of test/fuzz/ (test/fuzz/build.sh: clang,
# -fsanitize=fuzzer,address,undefined) into a temporary directory and run
# each for FUZZ_SECONDS (default 20) from its seeds in test/fuzz/corpus/.
# One check per target: it built, and it ran its time without a crash, a
# sanitizer report or a broken invariant; the executions of each are
# printed.  A crash prints its reproducer (base64) and how to replay it.
# Needs no server.  Installs clang and its libFuzzer runtime with apt-get
# (test/lib.sh's ensure_packages) when they are missing.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (a subset, e.g.
# "remote_error names"), FUZZ_ARTIFACTS (a directory to keep crash inputs
# in), KEEP_WORK=1 (keep the build and the grown corpora).
# Last line: N passed, N failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/check.sh"

secs=${FUZZ_SECONDS:-20}
targets=${FUZZ_TARGETS:-arrow cron remote_error replies status result_pages json_scan redact names retry_after}
work=$(mktemp -d "${TMPDIR:-/tmp}/dune_mv_fuzz.XXXXXX") || { echo "0 passed, 1 failed"; exit 1; }
if [ "${KEEP_WORK:-0}" = 1 ]; then
	trap 'echo "kept $work"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi

# A clang that links a libFuzzer target with both sanitizers, or nothing.
find_clang() {
	local c
	for c in ${CC:-} clang clang-14 clang-15 clang-16; do
		command -v "$c" >/dev/null 2>&1 || continue
		printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { return 0; }\n' \
			>"$work/probe.c"
		if "$c" -fsanitize=fuzzer,address,undefined "$work/probe.c" -o "$work/probe" \
			>/dev/null 2>&1; then
			echo "$c"
			return 0
		fi
	done
	return 1
}

cc=$(find_clang)
if [ -z "$cc" ]; then
	echo "# clang with libFuzzer not found: installing clang libclang-rt-dev"
	(. "$root/test/lib.sh" && ensure_packages clang libclang-rt-dev) >"$work/install.log" 2>&1
	cc=$(find_clang)
fi
if [ -z "$cc" ]; then
	tail -n 20 "$work/install.log" 2>/dev/null
	check "clang with libFuzzer and sanitizers (apt-get install clang libclang-rt-dev)" false
	summary
	exit
fi
echo "# $($cc --version | head -n 1); $secs s per target"

CC=$cc bash "$root/test/fuzz/build.sh" "$work/bin" $targets >"$work/build.log" 2>&1
grep -E "FAILED|does not compile|error:|undefined reference" "$work/build.log" | head -n 40

for t in $targets; do
	bin=$work/bin/fuzz_$t
	check "fuzz_$t builds" test -x "$bin"
	[ -x "$bin" ] || continue
	mkdir -p "$work/corpus/$t" "$work/artifacts"
	opts=(-max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
		-artifact_prefix="$work/artifacts/$t-")
	[ "$t" = arrow ] && opts+=(-max_len=8192)
	seeds=()
	[ -d "$root/test/fuzz/corpus/$t" ] && seeds=("$root/test/fuzz/corpus/$t")
	(cd "$work" && "$bin" "${opts[@]}" "$work/corpus/$t" "${seeds[@]}") >"$work/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$t.log" | tail -n 1)
	echo "# fuzz_$t: ${execs:-0} executions in $secs s, $(find "$work/corpus/$t" -type f | wc -l) new inputs"
	crash=$(find "$work/artifacts" -name "$t-*" -type f | head -n 1)
	if [ "$rc" -ne 0 ] || [ -n "$crash" ]; then
		grep -E "FUZZ INVARIANT FAILED|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|SUMMARY:|deadly signal|fuzz target exited|out-of-memory|timeout" \
			"$work/$t.log" | head -n 8 | sed 's/^/#   /'
		grep -E "^    #[0-9]+ .* in " "$work/$t.log" | grep -F "$root/" | grep -v -E " in (shim_fail|abort) " |
			head -n 8 | sed "s|$root/||; s/^/#   /"
		if [ -n "$crash" ]; then
			echo "#   reproducer ($(wc -c <"$crash") bytes, base64): $(head -c 3000 "$crash" | base64 -w 0)"
			echo "#   replay: test/fuzz/build.sh DIR $t && DIR/fuzz_$t FILE"
			if [ -n "${FUZZ_ARTIFACTS:-}" ]; then
				mkdir -p "$FUZZ_ARTIFACTS" && cp "$crash" "$FUZZ_ARTIFACTS/" &&
					echo "#   kept in $FUZZ_ARTIFACTS/$(basename "$crash")"
			fi
		fi
	fi
	check "fuzz_$t: no crash in $secs s" test "$rc" -eq 0 -a -z "$crash"
	check "fuzz_$t: ran (${execs:-0} executions)" test "${execs:-0}" -gt 0
done
summary
