#!/usr/bin/env bash
# Runs the stress target (tests/stress: 1,000 start/join cycles and 1,000 Pool worker recycles per
# start method, the crash matrix with 100 repetitions per case) against a Linux build, or under
# Wine with --windows.
#   ci/stress.sh BUILD_DIR [gtest args...]             Linux build dir (built here if needed)
#   ci/stress.sh --windows BUILD_DIR [gtest args...]   a MinGW build dir (run-tests.sh made it)
# Writes BUILD_DIR/stress.xml (GoogleTest XML) and BUILD_DIR/stress.log (the output) and exits
# with the test binary's status.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN=()
SUFFIX=
if [ "${1:-}" = "--windows" ]; then
  shift
  source "$ROOT/ci/windows/wine-env.sh"
  RUN=(wine)
  SUFFIX=.exe
fi
BUILD=${1:?usage: ci/stress.sh [--windows] BUILD_DIR [gtest args...]}
shift
cmake --build "$BUILD" --target stress_test >/dev/null || exit 1
# A Windows program needs the report's path in Windows form.
XML=$BUILD/stress.xml
[ -n "$SUFFIX" ] && XML=$(winepath -w "$XML" 2>/dev/null)
timeout 1800 "${RUN[@]}" "$BUILD/tests/stress_test$SUFFIX" --gtest_output=xml:"$XML" "$@" \
  2>&1 | tee "$BUILD/stress.log"
status=${PIPESTATUS[0]}
# Under Wine a crashed process can still exit with status 0: its crash report decides (as in
# tests/CMakeLists.txt).
if [ -n "$SUFFIX" ] && grep -q "wine: Unhandled" "$BUILD/stress.log"; then status=1; fi
exit "$status"
