#!/usr/bin/env bash
# Analysis for mmipc (issue 6): run by CI as root from the repo root on
# Debian 12, after `apt-get install valgrind cppcheck clang-tidy` (plus the
# build packages of .ci/run). Three steps, each under its own header and
# timed; the script runs all three and fails if any found anything:
#
#   lint      cppcheck and clang-tidy on src/ and tools/, with the
#             checked-in configurations (.cppcheck-suppressions,
#             .clang-tidy); any finding fails
#   tsan      a ThreadSanitizer build (build-tsan/) of the thread-based
#             ring tests (tests/threads/); any report fails
#   valgrind  a plain RelWithDebInfo build (build-vg/) whose tests run
#             under valgrind memcheck; a named subset of the suite (below)
#
# Usage: .ci/analysis.sh [lint|tsan|valgrind]...   (default: all three)
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS=2	# the CI machine has 2 vCPUs

step() { printf '\n=== %s ===\n' "$*"; }

# ------------------------------------------------------------------------
# lint: cppcheck, then clang-tidy (which needs build-vg's
# compile_commands.json, so the valgrind build is configured first).
# ------------------------------------------------------------------------
configure_vg() {
	# The test commands of this build run under valgrind: CMake puts the
	# "emulator" in front of every add_test() command, so ctest's
	# selection, timeouts and -j work as usual. Exec'd children are traced
	# too (the mmipc tool, the examples, a test re-executing itself), but
	# not system programs (sh, rm, python3): /usr/* and /bin/*.
	# --vgdb=no: a child that drops to uid 65534 cannot create valgrind's
	# vgdb pipes in /tmp.
	local vg="/usr/bin/valgrind;--error-exitcode=1;--leak-check=full"
	vg+=";--errors-for-leak-kinds=definite;--show-leak-kinds=definite"
	vg+=";--trace-children=yes;--trace-children-skip=/usr/*,/bin/*"
	vg+=";--vgdb=no;--quiet;--suppressions=$PWD/.ci/valgrind.supp"
	cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DMMIPC_BUILD_BENCH=OFF -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
		"-DCMAKE_CROSSCOMPILING_EMULATOR=$vg" >/dev/null
}

run_lint() {
	local rc=0

	echo "cppcheck $(cppcheck --version | cut -d' ' -f2): src/ tools/"
	cppcheck --enable=warning,style,performance,portability \
		--library=posix --std=c11 --inline-suppr \
		--suppressions-list=.cppcheck-suppressions --error-exitcode=1 \
		-q -j "$JOBS" -I include -I src -D_GNU_SOURCE -DMMIPC_BUILDING \
		src tools || rc=1
	configure_vg || return 1
	echo "clang-tidy $(clang-tidy --version | sed -n 's/.*version //p'):" \
		"src/*.c tools/*.c (checks: .clang-tidy)"
	# WarningsAsErrors '*': any warning makes clang-tidy, so xargs, fail
	ls src/*.c tools/*.c |
		xargs -P "$JOBS" -n 4 clang-tidy -p build-vg --quiet \
		>build-vg/clang-tidy.log 2>&1 || rc=1
	grep -v '^[0-9]* warnings\? generated\.$' build-vg/clang-tidy.log
	[ $rc = 0 ] && echo "cppcheck and clang-tidy: no findings"
	return $rc
}

# ------------------------------------------------------------------------
# tsan: gcc 12's ThreadSanitizer. -Wno-tsan: gcc warns that TSan does not
# model atomic_thread_fence (the two seq_cst fences of the eventcount,
# src/futex.c (A)/(B)), and -Werror would stop the build. So TSan checks
# the data hand-off (acquire/release of head and tail, which it models),
# not the fences' store-load ordering; the thread tests check that part by
# counting wake-ups per hand-off. No TSan suppressions: any report fails.
# (clang is no alternative here: it links the TSan runtime into
# executables only, so libmmipc.so fails its -Wl,--no-undefined link.)
# ------------------------------------------------------------------------
run_tsan() {
	local targets=(t_zz_leftovers) src

	for src in tests/threads/t_*.c; do
		src=${src##*/}
		targets+=("threads_${src#t_}")
	done
	targets=("${targets[@]/%.c/}")
	cmake -S . -B build-tsan -DMMIPC_TSAN=ON -DMMIPC_BUILD_BENCH=OFF \
		-DCMAKE_C_FLAGS=-Wno-tsan >/dev/null || return 1
	cmake --build build-tsan -j "$JOBS" --target "${targets[@]}" \
		>/dev/null || return 1
	(cd build-tsan &&
	 TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1" \
	 ctest -R '^threads_' --no-tests=error --output-on-failure \
	       --timeout 300)
}

# ------------------------------------------------------------------------
# valgrind: the suite runs 20-50x slower under memcheck, about 10 minutes
# in all on 2 CPUs: this subset covers every part of the library and the
# tool in about 3. Left out, and why:
#  - ring_stream, ring_stream_zc: 10 M messages each, over 2 minutes
#    each under valgrind (their paths run in ring_batch, ring_more,
#    ring_wrap and the threads_* tests);
#  - ring_stats: its busy-ring phase races stats against a live stream
#    and hits its 115 s watchdog under valgrind;
#  - ring_replace (76 s), ring_scribble (54 s; it runs under ASan),
#    ring_kill (kill -9 at random moments, "notices within a second"),
#    ring_eintr (20 s of signal storms), cli_ring_exit (exit codes after
#    --timeout and a killed peer, paced by timers), threads_wrap (28 s;
#    ring_wrap covers the wrap): time;
#  - region_crash, region_enospc: mount a private tmpfs with a NULL fs
#    type, which valgrind 3.19 reports as an error (a false positive of
#    its mount() wrapper), and region_crash runs 200 kill -9 seeds;
#  - region_excl: racing creators, 27 s (the create/open paths it races
#    run in region_lifecycle and region_cycles);
#  - demo, ex_ring, ex_writer_reader: the examples again, paced by
#    timers (20 ms per value): 30-55 s each; ex_fork_* and ex_mapfile
#    run the same programs;
#  - the tests added in issue 6 (torture, fault injection, fuzz replays):
#    kill loops and LD_PRELOAD shims, already run under ASan.
# ------------------------------------------------------------------------
VG_TESTS=(
	cli_basic cli_errors cli_file cli_ring_pipe cli_ring_stat cli_stale
	ex_fork_anon ex_fork_file ex_mapfile
	futex futex_signal
	region_badmagic region_cycles region_exec region_fork region_format
	region_kind region_leaks region_lifecycle region_memfd_pass
	region_mode region_names region_notready region_plain region_rdonly
	region_refresh region_resize region_shmdir region_sizes
	region_special region_stat region_symlink region_sync region_trunc
	region_uid region_unlink region_version
	ring_api ring_backends ring_batch ring_eof ring_epipe ring_idle
	ring_more ring_nonblock ring_wrap
	strerror
	threads_eof threads_pingpong threads_stream threads_zc
)

run_valgrind() {
	local have t missing=0

	configure_vg || return 1
	cmake --build build-vg -j "$JOBS" >/dev/null || return 1
	have=$(cd build-vg && ctest -N | sed -n 's/^ *Test *#[0-9]*: //p')
	for t in "${VG_TESTS[@]}"; do
		if ! grep -qx "$t" <<<"$have"; then
			echo "valgrind subset: no test named $t (renamed?)"
			missing=1
		fi
	done
	[ $missing = 0 ] || return 1
	echo "valgrind $(valgrind --version | cut -d- -f2):" \
		"${#VG_TESTS[@]} of $(wc -l <<<"$have") tests"
	(IFS='|'; cd build-vg &&
	 ctest -R "^(${VG_TESTS[*]})\$" -j "$JOBS" --no-tests=error \
	       --output-on-failure --timeout 300)
}

# ------------------------------------------------------------------------
declare -A took status
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(lint tsan valgrind)
for s in "${steps[@]}"; do
	case $s in
	lint) title="static analysis: cppcheck, clang-tidy" ;;
	tsan) title="ThreadSanitizer: tests/threads in build-tsan" ;;
	valgrind) title="valgrind memcheck: a subset of the suite in build-vg" ;;
	*) echo "usage: $0 [lint|tsan|valgrind]..." >&2; exit 2 ;;
	esac
	step "$s: $title"
	t0=$(date +%s)
	if "run_$s"; then status[$s]=ok; else status[$s]=FAILED; fi
	took[$s]=$(($(date +%s) - t0))
done

step "analysis summary"
fail=0
for s in "${steps[@]}"; do
	printf '%-9s %-7s %4d s\n' "$s" "${status[$s]}" "${took[$s]}"
	[ "${status[$s]}" = ok ] || fail=1
done
exit $fail
