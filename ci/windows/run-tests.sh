#!/usr/bin/env bash
# run-tests.sh BUILD_DIR [ctest args...] — cross-builds multiproc with MinGW-w64 against the cached
# Windows dependencies and runs its ctest suite under Wine. Exits with ctest's status.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${1:?usage: run-tests.sh BUILD_DIR [ctest args...]}
shift
JOBS=${JOBS:-$(nproc)}
PREFIX=$("$HERE/build-deps.sh" "${WINDEPS_CACHE:-$HOME/.cache/multiproc-windeps}" | tail -1)
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="   # no Mono/Gecko install prompts
export WINEPREFIX=${WINEPREFIX:-$HOME/.wine-multiproc}
# A persistent wineserver started with stdio on /dev/null plus one warm-up run: otherwise every
# test pays ~2.4 s, and services.exe inherits ctest's output pipe so ctest can hang forever.
mkdir -p "$WINEPREFIX"
# Fails when a persistent server already runs for this prefix, which is fine.
wineserver -p </dev/null >/dev/null 2>&1 || true
trap 'wineserver -k 2>/dev/null || true' EXIT
started=$SECONDS
timeout 300 wine cmd /c exit </dev/null >/dev/null 2>&1 || true
echo "[wine] prefix/server warm-up: $((SECONDS - started)) s"
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
  -DWINDEPS_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"$JOBS"
cd "$BUILD"
timeout 1800 ctest --output-on-failure --timeout 120 -j"$JOBS" "$@"
