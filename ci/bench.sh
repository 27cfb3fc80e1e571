#!/usr/bin/env bash
# The benchmark report (README command 1). On a fresh Debian 12 machine: installs what is missing,
# builds in Release, runs the Google Benchmark binaries (multiproc and raw floors in one run) and
# the CPython peer script doing the same workloads, then writes build/bench-report/:
# results.json, report.md (tables with ratios) and report.png (log-scale chart).
#
#   ci/bench.sh             full run: every benchmark (and CPython workload) 3 times, medians
#   ci/bench.sh --quick     smoke run (CI): short timings, every row still present and checked
#   ci/bench.sh --windows   the MinGW-w64 build of the same binaries run under Wine, written to
#                           build/bench-report-windows/ and marked as Wine (no floors, no CPython)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MIN_TIME=1
REPETITIONS=3  # the report takes each benchmark's median repetition: noisy machines swing
PYTHON=/usr/bin/python3  # Debian's, with python3-matplotlib; not a python3 earlier on PATH
PEER_FLAGS=()
WINDOWS=0
for arg in "$@"; do
  case "$arg" in
    --quick) MIN_TIME=0.2; REPETITIONS=1; PEER_FLAGS=(--quick) ;;
    --windows) WINDOWS=1 ;;
    *) echo "usage: ci/bench.sh [--quick] [--windows]" >&2; exit 2 ;;
  esac
done

if [ "$WINDOWS" = 1 ]; then
  "$ROOT/ci/install-deps.sh" --bench --windows
  BUILD=${MULTIPROC_BENCH_BUILD:-$ROOT/build/bench-windows}
  OUT=$ROOT/build/bench-report-windows
  PREFIX=$("$ROOT/ci/windows/build-deps.sh" "${WINDEPS_CACHE:-$HOME/.cache/multiproc-windeps}" | tail -1)
  source "$ROOT/ci/windows/wine-env.sh"
  echo "[bench] building the MinGW-w64 benchmarks (Release) in $BUILD"
  cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
    -DWINDEPS_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release -DMULTIPROC_BUILD_TESTS=OFF \
    -DMULTIPROC_BUILD_EXAMPLES=OFF >/dev/null
  RUN=(wine)
  SUFFIX=.exe
else
  "$ROOT/ci/install-deps.sh" --bench
  BUILD=${MULTIPROC_BENCH_BUILD:-$ROOT/build/bench}
  OUT=$ROOT/build/bench-report
  echo "[bench] building (Release) in $BUILD"
  # An existing build (ci/test.sh passes its linux-release build) keeps its own options.
  [ -f "$BUILD/CMakeCache.txt" ] ||
    cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMULTIPROC_BUILD_TESTS=OFF \
      >/dev/null
  RUN=()
  SUFFIX=
fi
cmake --build "$BUILD" -j"$(nproc)"
mkdir -p "$OUT"
benchmark_jsons=()
for binary in "$BUILD"/bench/*_bench$SUFFIX; do
  name=$(basename "$binary" "$SUFFIX")
  echo "[bench] running $name (min time ${MIN_TIME}s per benchmark, $REPETITIONS repetitions)"
  "${RUN[@]}" "$binary" --benchmark_min_time="$MIN_TIME" --benchmark_repetitions="$REPETITIONS" \
    --benchmark_out="$OUT/$name.json" \
    --benchmark_out_format=json
  benchmark_jsons+=("$OUT/$name.json")
done
if [ "$WINDOWS" = 1 ]; then
  "$PYTHON" "$ROOT/bench/make_report.py" \
    --platform-note "Windows (MinGW-w64 build) under Wine $(wine --version 2>/dev/null | cut -d- -f2), not native Windows" \
    "$OUT" - "${benchmark_jsons[@]}"
else
  echo "[bench] running the CPython peer ($("$PYTHON" --version))"
  "$PYTHON" "$ROOT/bench/cpython_peer.py" "${PEER_FLAGS[@]}" > "$OUT/cpython.json"
  "$PYTHON" "$ROOT/bench/make_report.py" "$OUT" "$OUT/cpython.json" "${benchmark_jsons[@]}"
fi
cat "$OUT/report.md"
