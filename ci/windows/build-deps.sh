#!/usr/bin/env bash
# build-deps.sh — cross-build the Windows (MinGW-w64, x86_64, posix threads, static) dependencies
# from Debian 12 source packages only, and cache them outside the repo, keyed by versions.
#   Abseil   <- apt-get source abseil     (Debian-patched: same absl options as host libabsl-dev)
#   GTest    <- /usr/src/googletest       (package googletest)
#   Benchmark<- apt-get source benchmark
#   Boost    <- headers: host /usr/include/boost (libboost1.81-dev) via symlink
#               Boost.Filesystem: libs/filesystem/src from the boost1.81 orig tarball, compiled here
#               + overlay fixing Boost.Process v2 (1.81) for Windows, + Windows.h case symlink
#   cereal   <- header-only: host /usr/include/cereal via symlink + a minimal cerealConfig.cmake
# Usage: build-deps.sh [CACHE_ROOT]   -> prints the prefix path on the last line of stdout
set -euo pipefail
CACHE_ROOT=${1:-${WINDEPS_CACHE:-$HOME/.cache/windeps}}
JOBS=${JOBS:-$(nproc)}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLCHAIN=$HERE/mingw-w64-x86_64.cmake
CXX=x86_64-w64-mingw32-g++-posix
AR=x86_64-w64-mingw32-ar

srcver() { apt-cache showsrc --only-source "$1" | awk '/^Version:/{print $2}' | sort -V | tail -1; }
ABSL_DEB=$(srcver abseil); BENCH_DEB=$(srcver benchmark); BOOST_DEB=$(srcver boost1.81)
GTEST_DEB=$(dpkg-query -W -f='${Version}' googletest)
BOOSTHDR_DEB=$(dpkg-query -W -f='${Version}' libboost1.81-dev)
CEREAL_DEB=$(dpkg-query -W -f='${Version}' libcereal-dev)
GCC_DEB=$(dpkg-query -W -f='${Version}' g++-mingw-w64-x86-64-posix)
[ -n "$ABSL_DEB" ] && [ -n "$BENCH_DEB" ] && [ -n "$BOOST_DEB" ] || { echo "apt-get update first (no deb-src info)" >&2; exit 1; }
[ "${BOOST_DEB%%-*}" = "${BOOSTHDR_DEB%%-*}" ] || { echo "boost src $BOOST_DEB != headers $BOOSTHDR_DEB" >&2; exit 1; }
RECIPE_REV=4   # bump when this script's recipe changes
KEY=$(printf '%s\n' "$RECIPE_REV" "$GCC_DEB" "$ABSL_DEB" "$GTEST_DEB" "$BENCH_DEB" "$BOOST_DEB" "$BOOSTHDR_DEB" "$CEREAL_DEB" \
      "$(sha256sum "$TOOLCHAIN" | cut -c1-16)" | sha256sum | cut -c1-16)
PREFIX=$CACHE_ROOT/mingw64-$KEY
if [ -f "$PREFIX/.complete" ]; then echo "cache hit: $PREFIX" >&2; echo "$PREFIX"; exit 0; fi

STAGE=$PREFIX.tmp.$$          # build into a temp dir, rename at the end => never a half-built cache
WORK=$(mktemp -d "${TMPDIR:-/tmp}/windeps-work.XXXXXX")
trap 'rm -rf "$WORK" "$STAGE"' EXIT
mkdir -p "$STAGE/lib" "$CACHE_ROOT"
t() { local s=$SECONDS; "$@"; echo "[windeps] $* : $((SECONDS-s)) s" >&2; }

fetch() {
  cd "$WORK"
  apt-get source -qq --download-only abseil benchmark boost1.81 2>&1 | grep -v 'unsandboxed' >&2 || true
  dpkg-source -q -x abseil_*.dsc abseil >/dev/null
  dpkg-source -q -x benchmark_*.dsc benchmark >/dev/null
  tar -xJf boost1.81_*.orig.tar.xz --wildcards 'boost/libs/filesystem/*'   # ~4 s: xz must be streamed whole
}
cm() {  # cm <name> <srcdir> [cmake args...]
  local name=$1 src=$2; shift 2
  cmake -S "$src" -B "$WORK/build-$name" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$TOOLCHAIN" \
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$STAGE" "$@" >"$WORK/$name-config.log" 2>&1 \
    || { tail -40 "$WORK/$name-config.log" >&2; return 1; }
  cmake --build "$WORK/build-$name" -j"$JOBS" >"$WORK/$name-build.log" 2>&1 || { tail -40 "$WORK/$name-build.log" >&2; return 1; }
  cmake --install "$WORK/build-$name" >/dev/null
}
abseil()    { cm abseil "$WORK/abseil" -DCMAKE_CXX_STANDARD=17 -DABSL_PROPAGATE_CXX_STD=ON \
                -DABSL_ENABLE_INSTALL=ON -DBUILD_TESTING=OFF; }
googletest(){ cm googletest /usr/src/googletest -DCMAKE_CXX_STANDARD=17 -Dgtest_force_shared_crt=ON; }
benchmark() { cm benchmark "$WORK/benchmark" -DCMAKE_CXX_STANDARD=17 -DGIT_VERSION="${BENCH_DEB%%-*}" \
                -DBENCHMARK_ENABLE_TESTING=OFF -DBENCHMARK_ENABLE_GTEST_TESTS=OFF \
                -DBENCHMARK_ENABLE_WERROR=OFF -DBENCHMARK_ENABLE_LTO=OFF -DBENCHMARK_INSTALL_DOCS=OFF; }
boost() {
  local S=$WORK/boost/libs/filesystem/src O=$WORK/boostfs
  mkdir -p "$O" "$STAGE/boost-include" "$STAGE/boost-compat/boost/process/v2" "$STAGE/wincase" \
           "$STAGE/lib/cmake/Boost-${BOOST_DEB%%-*}"
  ln -sfn /usr/include/boost "$STAGE/boost-include/boost"        # headers only, no glibc headers
  ln -sfn /usr/x86_64-w64-mingw32/include/windows.h "$STAGE/wincase/Windows.h"
  # Boost.Process v2 1.81 Windows compile fix (build_env(sv, "") has no matching overload)
  sed -e 's/build_env(sv,  "")/build_env(sv)/' -e 's/build_env(sv, L"")/build_env(sv)/' \
      /usr/include/boost/process/v2/environment.hpp > "$STAGE/boost-compat/boost/process/v2/environment.hpp"
  local f
  for f in codecvt_error_category exception operations directory path path_traits portability \
           unique_path utf8_codecvt_facet windows_file_codecvt; do echo "$f"; done |
    xargs -P"$JOBS" -I{} "$CXX" -std=c++17 -O2 -DNDEBUG -D_WIN32_WINNT=0x0A00 \
      -DBOOST_FILESYSTEM_SOURCE -DBOOST_FILESYSTEM_STATIC_LINK=1 -DBOOST_ALL_NO_LIB -DBOOST_USE_WINDOWS_H \
      -DWIN32_LEAN_AND_MEAN -DNOMINMAX -DBOOST_FILESYSTEM_NO_CXX20_ATOMIC_REF -DBOOST_FILESYSTEM_HAS_BCRYPT \
      -DBOOST_FILESYSTEM_HAS_INIT_PRIORITY -I"$S" -isystem "$STAGE/boost-include" -c "$S/{}.cpp" -o "$O/{}.o"
  "$AR" rcs "$STAGE/lib/libboost_filesystem.a" "$O"/*.o
  cat > "$STAGE/lib/cmake/Boost-${BOOST_DEB%%-*}/BoostConfig.cmake" <<'EOF'
# Minimal BoostConfig for the MinGW prefix: Boost::headers, Boost::boost, Boost::filesystem.
get_filename_component(_BW "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
set(Boost_VERSION 1.81.0)
set(Boost_VERSION_STRING 1.81.0)
set(Boost_INCLUDE_DIRS "${_BW}/boost-include")
if(NOT TARGET Boost::headers)
  add_library(Boost::headers INTERFACE IMPORTED)
  # order matters: v2 fix overlay and Windows.h case shim come before the real headers
  set_target_properties(Boost::headers PROPERTIES
    INTERFACE_INCLUDE_DIRECTORIES "${_BW}/boost-compat;${_BW}/wincase;${_BW}/boost-include"
    INTERFACE_COMPILE_DEFINITIONS "BOOST_ALL_NO_LIB"
    INTERFACE_LINK_LIBRARIES "ws2_32;mswsock;bcrypt;ntdll")
  add_library(Boost::boost INTERFACE IMPORTED)
  set_target_properties(Boost::boost PROPERTIES INTERFACE_LINK_LIBRARIES Boost::headers)
  add_library(Boost::filesystem STATIC IMPORTED)
  set_target_properties(Boost::filesystem PROPERTIES
    IMPORTED_LOCATION "${_BW}/lib/libboost_filesystem.a"
    INTERFACE_COMPILE_DEFINITIONS "BOOST_FILESYSTEM_STATIC_LINK=1"
    INTERFACE_LINK_LIBRARIES "Boost::headers;bcrypt")
endif()
set(Boost_headers_FOUND TRUE)
set(Boost_filesystem_FOUND TRUE)
set(Boost_FOUND TRUE)
foreach(_c IN LISTS Boost_FIND_COMPONENTS)
  if(NOT Boost_${_c}_FOUND AND Boost_FIND_REQUIRED_${_c})
    set(Boost_FOUND FALSE)
    set(Boost_NOT_FOUND_MESSAGE "Boost component '${_c}' is not built in the MinGW prefix")
  endif()
endforeach()
EOF
  cat > "$STAGE/lib/cmake/Boost-${BOOST_DEB%%-*}/BoostConfigVersion.cmake" <<EOF
set(PACKAGE_VERSION ${BOOST_DEB%%-*})
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
EOF
}

cereal() {  # header-only; a symlink folder keeps glibc's headers out of the MinGW include path
  mkdir -p "$STAGE/cereal-include" "$STAGE/lib/cmake/cereal"
  ln -sfn /usr/include/cereal "$STAGE/cereal-include/cereal"
  cat > "$STAGE/lib/cmake/cereal/cerealConfig.cmake" <<'EOF2'
# Minimal cerealConfig for the MinGW prefix: cereal::cereal (header-only).
get_filename_component(_CW "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET cereal::cereal)
  add_library(cereal::cereal INTERFACE IMPORTED)
  set_target_properties(cereal::cereal PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${_CW}/cereal-include")
endif()
set(cereal_FOUND TRUE)
EOF2
}

t fetch
t abseil
t googletest
t benchmark
t boost
t cereal
cp "$TOOLCHAIN" "$STAGE/toolchain.cmake"
printf 'abseil %s\ngoogletest %s\nbenchmark %s\nboost1.81 %s\nlibboost1.81-dev %s\ncereal %s\nmingw-g++ %s\nrecipe %s\n' \
  "$ABSL_DEB" "$GTEST_DEB" "$BENCH_DEB" "$BOOST_DEB" "$BOOSTHDR_DEB" "$CEREAL_DEB" "$GCC_DEB" "$RECIPE_REV" > "$STAGE/VERSIONS"
touch "$STAGE/.complete"
rm -rf "$PREFIX"; mv "$STAGE" "$PREFIX"
echo "built: $PREFIX ($(du -sh "$PREFIX" | cut -f1))" >&2
echo "$PREFIX"
