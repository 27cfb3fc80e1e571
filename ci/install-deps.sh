#!/usr/bin/env bash
# Installs the Debian packages multiproc needs, only those missing, on a fresh Debian 12 machine,
# in one apt transaction.
#   ci/install-deps.sh            Linux build, tests and sanitizers
#   ci/install-deps.sh --windows  also the MinGW-w64 cross toolchain, Wine and deb-src entries
#   ci/install-deps.sh --bench    also what the benchmark report needs (matplotlib)
#   ci/install-deps.sh --check    installs nothing: asks apt (-s, a simulation) whether every
#                                 package of every option installs together, and exits non-zero
#                                 if not
# Run it as root, or as a user with sudo; a minimal Debian has no sudo, so as another user
# without it, it stops and says so.
set -euo pipefail

linux_packages=(cmake ninja-build g++ clang libclang-rt-14-dev pkg-config dpkg-dev xz-utils
  libabsl-dev libgtest-dev libgmock-dev googletest libbenchmark-dev libboost1.81-dev
  libboost-filesystem1.81-dev libcereal-dev nettle-dev python3)
windows_packages=(g++-mingw-w64-x86-64-posix gcc-mingw-w64-x86-64-posix wine wine64)
# python3-fonttools (a matplotlib dependency) needs python3-scipy OR python3-munkres. apt's first
# choice, scipy, pulls python3-pythran -> libboost-dev (1.74), which conflicts with Boost 1.81:
# naming munkres satisfies the alternative without it, in this transaction and in any later one.
bench_packages=(python3-matplotlib python3-munkres)

wanted=("${linux_packages[@]}")
want_source=0
check_only=0
for arg in "$@"; do
  case "$arg" in
    --windows) wanted+=("${windows_packages[@]}"); want_source=1 ;;
    --bench) wanted+=("${bench_packages[@]}") ;;
    --check) check_only=1 ;;
    *) echo "install-deps.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    echo "install-deps.sh: installing packages needs root; run it as root or install sudo" >&2
    exit 1
  fi
}

# apt-get source (the Windows dependencies are built from Debian source packages) needs a deb-src
# entry. We mirror the machine's own bookworm entry rather than naming a host of our own: from a
# deb822 *.sources file (Debian 12's default) or from a classic one-line sources.list.
add_deb_src_entry() {
  local deb822=/etc/apt/sources.list.d/multiproc-deb-src.sources
  local classic=/etc/apt/sources.list.d/multiproc-deb-src.list
  [ -f "$deb822" ] || [ -f "$classic" ] && return 0
  local source_file
  source_file=$(grep -l '^Types:.*deb.*' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    xargs -r grep -l 'bookworm' | head -1 || true)
  if [ -n "$source_file" ]; then
    sed -e 's/^Types: deb$/Types: deb-src/' "$source_file" | as_root tee "$deb822" >/dev/null
    echo "[deps] added deb-src entry $deb822 (from $source_file)"
    return 0
  fi
  local lines
  lines=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -E '^deb[[:space:]].*bookworm' | sed -e 's/^deb[[:space:]]/deb-src /' || true)
  [ -n "$lines" ] || { echo "[deps] no bookworm apt entry to mirror for deb-src" >&2; exit 1; }
  printf '%s\n' "$lines" | as_root tee "$classic" >/dev/null
  echo "[deps] added deb-src entry $classic (from sources.list)"
}

# Registries other than Debian's are unreachable here; their failures must not stop the update.
apt_update() {
  as_root apt-get update -qq || echo "[deps] apt-get update reported errors (non-Debian sources?)" >&2
}

if [ "$check_only" = 1 ]; then
  everything=("${linux_packages[@]}" "${windows_packages[@]}" "${bench_packages[@]}")
  apt-cache show libabsl-dev >/dev/null 2>&1 || apt_update  # a new machine has no package lists
  if apt-get -s install --no-install-recommends "${everything[@]}" >/tmp/multiproc-apt-check.log 2>&1; then
    echo "[deps] check: all ${#everything[@]} packages install together (apt-get -s)"
    exit 0
  fi
  echo "[deps] check FAILED: apt cannot install every package in one transaction:" >&2
  grep -E '^E:|Depends|Conflicts|Breaks' /tmp/multiproc-apt-check.log >&2 || tail -20 /tmp/multiproc-apt-check.log >&2
  exit 1
fi

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
[ "$need_update" = 1 ] && apt_update
if [ "${#missing[@]}" -gt 0 ]; then
  echo "[deps] installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi
echo "[deps] all present (${#wanted[@]} packages)"
