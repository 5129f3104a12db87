#!/usr/bin/env bash
# Fuzz smoke run for CI (issue 6): build the libFuzzer targets of fuzz/
# with clang (ASan+UBSan, -DMMIPC_FUZZ=ON, in build-fuzz/) and run each for
# a fixed number of executions over a copy of its seed corpus and of its
# regression inputs (fuzz/corpus/T, fuzz/regress/T; nothing is written
# into the repository). Prints one line per target (executions, coverage,
# crashes) and fails if any target crashed, leaked or hung. Installs
# nothing: CI provides clang and libclang-rt-14-dev.
#
#   .ci/fuzz.sh                        the CI run, about 2 minutes
#   FUZZ_TIME=3600 .ci/fuzz.sh         an hour per target instead of a count
#   FUZZ_KEEP=DIR .ci/fuzz.sh          keep the grown corpora in DIR/T
#   FUZZ_TARGETS="ring_recv" .ci/fuzz.sh   only some targets
#
# Crashing inputs are copied to build-fuzz/fuzz-artifacts/T/; one goes to
# fuzz/regress/T/ (by hand) once the bug is reported.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
targets=${FUZZ_TARGETS:-"region_open ring_recv peer_scan stat_decode"}

# Executions per target: about 30 s each on a 2-vCPU machine. -max_len: the
# bytes a target reads (see the layout at the top of fuzz/fuzz_T.c).
declare -A runs=([region_open]=60000 [ring_recv]=100000 [peer_scan]=70000
		 [stat_decode]=36000)
declare -A max_len=([region_open]=8192 [ring_recv]=5442 [peer_scan]=1600
		    [stat_decode]=8192)

command -v clang >/dev/null || { echo "fuzz.sh: clang not found" >&2; exit 1; }
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang -DMMIPC_FUZZ=ON \
	-DMMIPC_BUILD_BENCH=OFF -DMMIPC_BUILD_EXAMPLES=OFF >/dev/null
# only the fuzz binaries: the rest of the tree is tested elsewhere
cmake --build "$build" -j2 --target $(printf 'fuzz-%s ' $targets) >/dev/null

# Everything a run writes (grown corpus, crash files, the targets' own
# temporary directories, left behind by a crash) stays in here.
work=$(mktemp -d /tmp/mmipc-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_target T: one libFuzzer run; prints the summary line; returns 1 on
# a crash.
run_target() {
	local t=$1 corpus=$work/corpus/$1 art=$work/artifacts/$1
	local log=$work/$1.log limit rc=0 execs cov crashes

	mkdir -p "$corpus" "$art" "$work/tmp"
	find "fuzz/corpus/$t" "fuzz/regress/$t" -type f ! -name '.*' \
		-exec cp {} "$corpus/" \;
	if [ -n "${FUZZ_TIME:-}" ]; then
		limit=-max_total_time=$FUZZ_TIME
	else
		limit=-runs=${runs[$t]}
	fi
	TMPDIR=$work/tmp "$build/bin/fuzz-$t" "$limit" \
		-max_len="${max_len[$t]}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" \
		"$corpus" >"$log" 2>&1 || rc=$?
	execs=$(awk '/stat::number_of_executed_units/ { print $2 }' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 || true)
	crashes=$(find "$art" -type f | wc -l)
	printf 'fuzz %-12s %8s executions, %-9s %s crash(es)\n' "$t" \
		"${execs:-?}" "${cov:-cov: ?}," "$crashes"
	if [ -n "${FUZZ_KEEP:-}" ]; then
		mkdir -p "$FUZZ_KEEP/$t"
		cp "$corpus"/* "$FUZZ_KEEP/$t/"
	fi
	if [ "$rc" = 0 ] && [ "$crashes" = 0 ]; then
		return 0
	fi
	echo "--- fuzz-$t failed (exit $rc); the end of its log:"
	grep -v -e '^#[0-9]' -e '^INFO:' "$log" | tail -n 40
	mkdir -p "$build/fuzz-artifacts/$t"
	cp "$art"/* "$build/fuzz-artifacts/$t/" 2>/dev/null || true
	echo "--- crashing inputs: $build/fuzz-artifacts/$t/"
	return 1
}

failed=0
for t in $targets; do
	run_target "$t" || failed=1
done
exit $failed
