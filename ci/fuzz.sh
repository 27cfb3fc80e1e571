#!/usr/bin/env bash
# Fuzzes every decoder that reads bytes from another process (tests/fuzz/*_fuzzer.cc) with
# libFuzzer under ASan/UBSan, starting from the committed seed corpora in tests/fuzz/corpus/.
#   ci/fuzz.sh                    each fuzzer for 15 s (the CI smoke run: six fuzzers, as many
#                                 at once as there are cores: 45 s on 2)
#   ci/fuzz.sh --seconds N        each fuzzer for N seconds
#   ci/fuzz.sh --runs N           each fuzzer for N executions (the 10-million-run check)
#   ci/fuzz.sh --write-seeds      regenerate tests/fuzz/corpus/ from the real encoders
# Prints one line per fuzzer (executions, seconds, verdict) and "N passed, M failed"; exits
# non-zero if any fuzzer found a crash, leak, timeout or out-of-memory.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${MULTIPROC_FUZZ_BUILD:-$ROOT/build/fuzz}
LIMIT=(-max_total_time=15)
WRITE_SEEDS=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) LIMIT=(-max_total_time="$2"); shift 2 ;;
    --runs) LIMIT=(-runs="$2"); shift 2 ;;
    --write-seeds) WRITE_SEEDS=1; shift ;;
    *) echo "usage: ci/fuzz.sh [--seconds N | --runs N | --write-seeds]" >&2; exit 2 ;;
  esac
done

"$ROOT/ci/install-deps.sh" || exit 1
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMULTIPROC_FUZZ=ON -DMULTIPROC_BUILD_TESTS=OFF \
  -DMULTIPROC_BUILD_BENCHMARKS=OFF -DMULTIPROC_BUILD_EXAMPLES=OFF >"$BUILD.configure.log" 2>&1 \
  || { tail -30 "$BUILD.configure.log"; exit 1; }
cmake --build "$BUILD" -j"$(nproc)" || exit 1
if [ "$WRITE_SEEDS" = 1 ]; then
  rm -rf "$ROOT/tests/fuzz/corpus"
  "$BUILD/tests/fuzz/seed_writer" "$ROOT/tests/fuzz/corpus" && ls -R "$ROOT/tests/fuzz/corpus"
  exit $?
fi

export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# run_fuzzer PATH: one fuzzer from the committed corpus; writes its verdict line to PATH.result.
run_fuzzer() {
  local fuzzer=$1 name work log status runs seconds verdict
  name=$(basename "$fuzzer")
  work=$(mktemp -d)  # libFuzzer adds what it finds here; the committed corpus stays as it is
  log=$BUILD/$name.log
  echo "[fuzz] $name ${LIMIT[*]}"
  "$fuzzer" "$work" "$ROOT/tests/fuzz/corpus/$name" "${LIMIT[@]}" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$BUILD/$name-" >"$log" 2>&1
  status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  seconds=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
  verdict=ok
  if [ "$status" -ne 0 ] || [ -z "$runs" ]; then verdict=FAILED; tail -40 "$log"; fi
  printf 'fuzz %-24s %s: %s executions in %s s\n' "$name" "$verdict" "${runs:-?}" "${seconds:-?}" \
    >"$fuzzer.result"
  rm -rf "$work"
}

# Each fuzzer is one single-threaded process: run as many at once as there are cores.
fuzzers=("$BUILD"/tests/fuzz/*_fuzzer)
rm -f "$BUILD"/tests/fuzz/*_fuzzer.result
for ((first = 0; first < ${#fuzzers[@]}; first += $(nproc))); do
  for fuzzer in "${fuzzers[@]:first:$(nproc)}"; do run_fuzzer "$fuzzer" & done
  wait
done
lines=()
for fuzzer in "${fuzzers[@]}"; do
  lines+=("$(cat "$fuzzer.result" 2>/dev/null || echo "fuzz $(basename "$fuzzer") FAILED: no result")")
done
passed=$(printf '%s\n' "${lines[@]}" | grep -c ' ok: ')
failed=$((${#lines[@]} - passed))
printf '%s\n' "${lines[@]}"
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
