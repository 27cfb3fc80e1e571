#!/usr/bin/env bash
# Runs every multiproc test on a fresh Debian 12 machine: installs what is missing, then builds and
# runs the ctest suite in each cell and prints one summary line per cell and a total.
#
#   ci/test.sh                         every cell
#   ci/test.sh --cells linux-release,windows-wine
#
# Cells: linux-release, linux-stress (ci/stress.sh on the release build: resource growth and the
# crash matrix), linux-asan-ubsan, linux-tsan, consumer (the release build installed to a fresh
# prefix; tests/consumer builds and runs the README's quick start with find_package and with
# pkg-config, and compiles each installed header alone), bench-quick (ci/bench.sh --quick on the
# release build: every report row present, positive and self-checked), fuzz-smoke (ci/fuzz.sh:
# every libFuzzer target for 15 s under ASan/UBSan, one per core), windows-wine (MinGW-w64 cross
# build, the same ctest suite executed under Wine), windows-stress (the crash matrix under Wine on
# that build, 20 repetitions per case: tests/RELIABILITY.md's Wine column).
# Exits non-zero if any cell fails or runs zero tests.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_ROOT=${MULTIPROC_BUILD_ROOT:-$ROOT/build}
JOBS=${JOBS:-$(nproc)}
ALL_CELLS=linux-release,linux-stress,linux-asan-ubsan,linux-tsan,consumer,bench-quick,fuzz-smoke,windows-wine,windows-stress
CELLS=$ALL_CELLS
while [ $# -gt 0 ]; do
  case "$1" in
    --cells) CELLS=$2; shift 2 ;;
    *) echo "usage: ci/test.sh [--cells $ALL_CELLS]" >&2; exit 2 ;;
  esac
done
wants() { [[ ",$CELLS," == *",$1,"* ]]; }

# Every package the chosen cells need, in one apt transaction (a later one could resolve
# differently), after a simulated install of the union of all of them proves they go together.
deps_flags=()
{ wants windows-wine || wants windows-stress; } && deps_flags+=(--windows)
wants bench-quick && deps_flags+=(--bench)
"$ROOT/ci/install-deps.sh" --check || exit 1
"$ROOT/ci/install-deps.sh" "${deps_flags[@]}" || exit 1

summaries=()
total_passed=0
total_failed=0
any_cell_failed=0

# record_cell NAME STATUS JUNIT SECONDS: reads ctest's JUnit report and adds one summary line.
record_cell() {
  local name=$1 status=$2 junit=$3 seconds=$4 counts methods
  counts=$(python3 "$ROOT/ci/junit_counts.py" "$junit" 2>/dev/null || printf '0 0 0\n-')
  read -r passed failed skipped <<<"$(sed -n 1p <<<"$counts")"
  methods=$(sed -n 2p <<<"$counts")
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi  # build or harness failure
  local verdict=ok
  if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then verdict=FAILED; any_cell_failed=1; fi
  summaries+=("$(printf 'cell %-17s %s: %d passed, %d failed, %d skipped (%d s)' \
    "$name" "$verdict" "$passed" "$failed" "$skipped" "$seconds")")
  # Each start method is a conformance cell of its own: passed/failed/skipped per method.
  [ "$methods" != "-" ] && [ -n "$methods" ] && summaries+=("     conformance by start method: $methods")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

# What a test run may leave behind by mistake: named shared memory and semaphores in /dev/shm,
# and multiproc's private socket directories in the temp directory.
leftovers() {
  { ls -A /dev/shm; ls -A "${TMPDIR:-/tmp}" | grep '^multiproc-'; } 2>/dev/null | sort
}

# linux_cell NAME CMAKE_ARGS...: configure, build and ctest one Linux configuration.
linux_cell() {
  local name=$1; shift
  local build=$BUILD_ROOT/$name started=$SECONDS status=0
  echo "=== cell $name"
  rm -f "$build/junit.xml"
  local before leaked
  before=$(leftovers)
  cmake -S "$ROOT" -B "$build" -G Ninja "$@" >"$BUILD_ROOT/$name-configure.log" 2>&1 \
    && cmake --build "$build" -j"$JOBS" \
    && (cd "$build" && timeout 1200 $CTEST_PREFIX ctest --output-on-failure --timeout 180 \
          -j"$JOBS" --output-junit junit.xml) || status=$?
  leaked=$(comm -13 <(echo "$before") <(leftovers))
  if [ -n "$leaked" ]; then
    echo "[$name] the tests left these behind (a leak):"; echo "$leaked"
    [ "$status" -ne 0 ] || status=1
  fi
  [ -s "$BUILD_ROOT/$name-configure.log" ] && [ "$status" -ne 0 ] && tail -30 "$BUILD_ROOT/$name-configure.log"
  record_cell "$name" "$status" "$build/junit.xml" $((SECONDS - started))
}

# Builds the README quick start (as the CMake consumer extracted it) with the compiler and
# pkg-config alone (no CMake) and runs it.
pkg_config_consumer() {
  local prefix=$1 build=$2 flags output
  flags=$(PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig" \
    pkg-config --cflags --libs --static multiproc) || return 1
  # shellcheck disable=SC2086  # pkg-config output is a list of words
  c++ -o "$build/pkg-config-quick-start" "$build/app/readme_quick_start.cc" $flags || return 1
  output=$("$build/pkg-config-quick-start") || return 1
  [ "$output" = "hi 16" ] || { echo "[consumer] pkg-config quick start printed: $output"; return 1; }
  echo "[consumer] pkg-config build of the README quick start ran: ok"
}

# ensure_release_build: the linux-release build, configured if that cell did not run, so the
# cells that only need a Release library (consumer, bench-quick, the Wine cell's Linux peer)
# reuse one build instead of making their own.
ensure_release_build() {
  local build=$BUILD_ROOT/linux-release
  [ -f "$build/build.ninja" ] ||
    cmake -S "$ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >"$BUILD_ROOT/linux-release-configure.log" 2>&1
}

stress_cell() {
  local build=$BUILD_ROOT/linux-release started=$SECONDS status=0
  echo "=== cell linux-stress"
  rm -f "$build/stress.xml"
  [ -d "$build" ] || cmake -S "$ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  bash "$ROOT/ci/stress.sh" "$build" >"$BUILD_ROOT/linux-stress.log" 2>&1 || status=$?
  grep -E '^\[ *(OK|FAILED|SKIPPED) *\]|^\[crash matrix\]' "$BUILD_ROOT/linux-stress.log" | tail -60
  record_cell linux-stress "$status" "$build/stress.xml" $((SECONDS - started))
}

consumer_cell() {
  local build=$BUILD_ROOT/consumer started=$SECONDS status=0
  local prefix=$build/prefix release=$BUILD_ROOT/linux-release
  echo "=== cell consumer"
  rm -rf "$build"
  ensure_release_build && cmake --build "$release" -j"$JOBS" --target multiproc \
    && cmake --install "$release" --prefix "$prefix" >/dev/null \
    && cmake -S "$ROOT/tests/consumer" -B "$build/app" -G Ninja -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null \
    && cmake --build "$build/app" -j"$JOBS" \
    && (cd "$build/app" && ctest --output-on-failure --output-junit junit.xml) \
    && pkg_config_consumer "$prefix" "$build" || status=$?
  record_cell consumer "$status" "$build/app/junit.xml" $((SECONDS - started))
}

bench_cell() {
  local started=$SECONDS status=0 rows=0
  echo "=== cell bench-quick"
  ensure_release_build
  MULTIPROC_BENCH_BUILD=$BUILD_ROOT/linux-release bash "$ROOT/ci/bench.sh" --quick \
    >"$BUILD_ROOT/bench-quick.log" 2>&1 || status=$?
  tail -25 "$BUILD_ROOT/bench-quick.log"
  if [ "$status" -eq 0 ]; then
    rows=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))))' \
      "$ROOT/build/bench-report/results.json")
  fi
  local verdict=ok failed=0
  if [ "$status" -ne 0 ] || [ "$rows" -eq 0 ]; then verdict=FAILED; failed=1; any_cell_failed=1; fi
  summaries+=("$(printf 'cell %-17s %s: %d passed, %d failed, 0 skipped (%d s; report rows checked)' \
    bench-quick "$verdict" "$rows" "$failed" $((SECONDS - started)))")
  total_passed=$((total_passed + rows))
  total_failed=$((total_failed + failed))
}

fuzz_cell() {
  local started=$SECONDS status=0 passed=0 failed=0
  echo "=== cell fuzz-smoke"
  bash "$ROOT/ci/fuzz.sh" --seconds 15 >"$BUILD_ROOT/fuzz-smoke.log" 2>&1 || status=$?
  grep -E '^fuzz ' "$BUILD_ROOT/fuzz-smoke.log"
  read -r passed failed <<<"$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' \
    "$BUILD_ROOT/fuzz-smoke.log")"
  passed=${passed:-0}
  failed=${failed:-0}
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; tail -30 "$BUILD_ROOT/fuzz-smoke.log"; fi
  local verdict=ok
  if [ "$failed" -gt 0 ] || [ "$passed" -eq 0 ]; then verdict=FAILED; any_cell_failed=1; fi
  summaries+=("$(printf 'cell %-17s %s: %d passed, %d failed, 0 skipped (%d s; one per fuzzer)' \
    fuzz-smoke "$verdict" "$passed" "$failed" $((SECONDS - started)))")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
}

windows_cell() {
  local build=$BUILD_ROOT/windows-wine started=$SECONDS status=0
  echo "=== cell windows-wine"
  rm -f "$build/junit.xml"
  # The remote manager test between Linux and Windows programs needs a Linux peer of the same
  # sources: the linux-release build's, brought up to date here (configured if that cell did not
  # run). If it cannot be built, the cell fails rather than skipping the test.
  local linux_build=$BUILD_ROOT/linux-release
  if ! ensure_release_build ||
     ! cmake --build "$linux_build" -j"$JOBS" --target remote_manager_peer >/dev/null; then
    echo "windows-wine: cannot build the Linux remote_manager_peer"
    status=1
  fi
  MULTIPROC_LINUX_PEER=$linux_build/tests/remote_manager_peer JOBS=$JOBS \
    "$ROOT/ci/windows/run-tests.sh" "$build" --output-junit junit.xml || status=$?
  record_cell windows-wine "$status" "$build/junit.xml" $((SECONDS - started))
}

# The crash matrix under Wine, on the windows-wine cell's MinGW build (built first if that cell
# did not run): 20 repetitions per case, a shorter run than the 100 of the Linux cell.
windows_stress_cell() {
  local build=$BUILD_ROOT/windows-wine started=$SECONDS status=0
  echo "=== cell windows-stress"
  rm -f "$build/stress.xml"
  [ -f "$build/build.ninja" ] || "$ROOT/ci/windows/run-tests.sh" "$build" -R '^$' >/dev/null 2>&1
  MULTIPROC_CRASH_REPETITIONS=20 bash "$ROOT/ci/stress.sh" --windows "$build" \
    --gtest_filter='*CrashMatrix*' >"$BUILD_ROOT/windows-stress.log" 2>&1 || status=$?
  grep -E '^\[ *(OK|FAILED|SKIPPED) *\]|^\[crash matrix\]' "$BUILD_ROOT/windows-stress.log" | tail -20
  record_cell windows-stress "$status" "$build/stress.xml" $((SECONDS - started))
}

mkdir -p "$BUILD_ROOT"
# Sanitizer builds at -O1 with line tables only (-g1): what ASan and TSan ask for (stack traces
# keep their file:line), and half the compile time of -O2 -g (54 s -> 27 s for the largest test
# file under ASan), which was the largest part of a fresh run.
SANITIZER_FLAGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG"
  -DMULTIPROC_BUILD_BENCHMARKS=OFF)
CTEST_PREFIX=""
wants linux-release && linux_cell linux-release -DCMAKE_BUILD_TYPE=Release
wants linux-stress && stress_cell
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
wants linux-asan-ubsan && linux_cell linux-asan-ubsan "${SANITIZER_FLAGS[@]}" \
  -DMULTIPROC_SANITIZE=address,undefined
# TSan needs a predictable address-space layout; newer kernels randomize more than it can map.
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
CTEST_PREFIX="setarch $(uname -m) -R"
wants linux-tsan && linux_cell linux-tsan "${SANITIZER_FLAGS[@]}" -DMULTIPROC_SANITIZE=thread
CTEST_PREFIX=""
wants consumer && consumer_cell
wants bench-quick && bench_cell
wants fuzz-smoke && fuzz_cell
wants windows-wine && windows_cell
wants windows-stress && windows_stress_cell

echo
printf '%s\n' "${summaries[@]}"
echo "total: $total_passed passed, $total_failed failed"
exit $any_cell_failed
