#!/usr/bin/env bash
# Installs the Debian packages multiproc needs, only those missing, on a fresh Debian 12 machine.
#   ci/install-deps.sh            Linux build, tests and sanitizers
#   ci/install-deps.sh --windows  also the MinGW-w64 cross toolchain, Wine and deb-src entries
#   ci/install-deps.sh --bench    also what the benchmark report needs (matplotlib)
set -euo pipefail

linux_packages=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config dpkg-dev xz-utils
  libabsl-dev libgtest-dev libgmock-dev googletest libbenchmark-dev libboost1.81-dev
  libboost-filesystem1.81-dev libcereal-dev nettle-dev python3)
windows_packages=(g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix wine wine64)
bench_packages=(python3-matplotlib)

wanted=("${linux_packages[@]}")
want_source=0
for arg in "$@"; do
  case "$arg" in
    --windows) wanted+=("${windows_packages[@]}"); want_source=1 ;;
    --bench) wanted+=("${bench_packages[@]}") ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

# apt-get source (the Windows dependencies are built from Debian source packages) needs a deb-src
# entry; we mirror the machine's bookworm entry rather than naming a host of our own.
add_deb_src_entry() {
  local target=/etc/apt/sources.list.d/multiproc-deb-src.sources
  [ -f "$target" ] && return 0
  local source_file
  source_file=$(grep -l 'bookworm' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1 || true)
  [ -n "$source_file" ] || { echo "no bookworm .sources entry to mirror for deb-src" >&2; exit 1; }
  sed -e 's/^Types: deb$/Types: deb-src/' "$source_file" > "$target"
  echo "[deps] added deb-src entry $target"
}

missing=()
for package in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$package")
done
[ "$want_source" = 1 ] && add_deb_src_entry
need_update=0
[ "${#missing[@]}" -gt 0 ] && need_update=1
if [ "$want_source" = 1 ] && [ -z "$(apt-cache showsrc --only-source abseil 2>/dev/null | head -1)" ]; then
  need_update=1
fi
sudo_cmd=""
[ "$(id -u)" = 0 ] || sudo_cmd="sudo"
if [ "$need_update" = 1 ]; then
  # Registries other than Debian's are unreachable here; their failures must not stop the update.
  $sudo_cmd apt-get update -qq || echo "[deps] apt-get update reported errors (non-Debian sources?)" >&2
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
echo "[deps] all present (${#wanted[@]} packages)"
