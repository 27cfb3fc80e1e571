#!/usr/bin/env bash
# run-tests.sh BUILD_DIR [ctest args...] — cross-builds multiproc with MinGW-w64 against the cached
# Windows dependencies and runs its ctest suite under Wine. Exits with ctest's status.
# MULTIPROC_LINUX_PEER (optional) names a Linux remote_manager_peer for the cross-system test.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
BUILD=${1:?usage: run-tests.sh BUILD_DIR [ctest args...]}
shift
JOBS=${JOBS:-$(nproc)}
PREFIX=$("$HERE/build-deps.sh" "${WINDEPS_CACHE:-$HOME/.cache/multiproc-windeps}" | tail -1)
source "$HERE/wine-env.sh"
cmake -S "$SRC" -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PREFIX/toolchain.cmake" \
  -DWINDEPS_PREFIX="$PREFIX" -DCMAKE_BUILD_TYPE=Release \
  -DMULTIPROC_LINUX_PEER="${MULTIPROC_LINUX_PEER:-}" >/dev/null
cmake --build "$BUILD" -j"$JOBS"
cd "$BUILD"
timeout 1800 ctest --output-on-failure --timeout 120 -j"$JOBS" "$@"
