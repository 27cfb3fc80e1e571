#!/usr/bin/env bash
# The benchmark report (README command 1). On a fresh Debian 12 machine: installs what is missing,
# builds in Release, runs the Google Benchmark binaries (multiproc and raw floors in one run) and
# the CPython peer script doing the same workloads, then writes build/bench-report/:
# results.json, report.md (tables with ratios) and report.png (log-scale chart).
#
#   ci/bench.sh           full run
#   ci/bench.sh --quick   smoke run (CI): short timings, every row still checked
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MULTIPROC_BENCH_BUILD:-$ROOT/build/bench}
OUT=$ROOT/build/bench-report
MIN_TIME=2
PYTHON=/usr/bin/python3  # Debian's, with python3-matplotlib; not a python3 earlier on PATH
PEER_FLAGS=()
for arg in "$@"; do
  case "$arg" in
    --quick) MIN_TIME=0.2; PEER_FLAGS=(--quick) ;;
    *) echo "usage: ci/bench.sh [--quick]" >&2; exit 2 ;;
  esac
done

"$ROOT/ci/install-deps.sh" --bench
echo "[bench] building (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DMULTIPROC_BUILD_TESTS=OFF \
  >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
mkdir -p "$OUT"
benchmark_jsons=()
for binary in "$BUILD"/bench/*_bench; do
  name=$(basename "$binary")
  echo "[bench] running $name (min time ${MIN_TIME}s per benchmark)"
  "$binary" --benchmark_min_time="$MIN_TIME" --benchmark_out="$OUT/$name.json" \
    --benchmark_out_format=json
  benchmark_jsons+=("$OUT/$name.json")
done
echo "[bench] running the CPython peer ($("$PYTHON" --version))"
"$PYTHON" "$ROOT/bench/cpython_peer.py" "${PEER_FLAGS[@]}" > "$OUT/cpython.json"
"$PYTHON" "$ROOT/bench/make_report.py" "$OUT" "$OUT/cpython.json" "${benchmark_jsons[@]}"
cat "$OUT/report.md"
