#!/usr/bin/env bash
# Runs a command in a Debian 12 machine nobody has installed anything on: a minimal debootstrap
# root (the Debian mirror this machine's apt already uses), into which this repository is cloned
# from its last commit. This is how a README command is proved to install everything it needs:
# packages installed by hand on the developer's machine are not there.
#
#   ci/fresh-machine.sh ROOT                     make ROOT (if new) and open a shell in the clone
#   ci/fresh-machine.sh ROOT bash ci/test.sh     run the test command there (twice: run it again)
#   ci/fresh-machine.sh --new ROOT ...           delete ROOT first: a machine that is new again
#
# Needs root (debootstrap, chroot, mounts) and the debootstrap package. The clone is at
# /src/multiproc inside ROOT; what a command writes there stays for the next run, as on a machine.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "${1:-}" = --new ]; then
  renew=1
  shift
else
  renew=0
fi
ROOT=${1:?usage: ci/fresh-machine.sh [--new] ROOT [COMMAND...]}
shift
[ "$(id -u)" = 0 ] || { echo "fresh-machine.sh: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null || { echo "fresh-machine.sh: apt-get install debootstrap" >&2; exit 1; }

# The host's Debian mirror, from either apt source format; no host of ours is named here.
mirror() {
  { grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}'
    grep -hE '^deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
      awk '{print $2}'
  } | grep -v -e security -e '^$' | head -1
}

unmount_all() {
  local target
  for target in dev/shm dev/pts sys proc; do
    mountpoint -q "$ROOT/$target" && umount -l "$ROOT/$target"
  done
  return 0
}

if [ "$renew" = 1 ] && [ -d "$ROOT" ]; then
  unmount_all
  rm -rf --one-file-system "$ROOT"
fi
if [ ! -f "$ROOT/.debootstrap-complete" ]; then
  started=$SECONDS
  debootstrap --variant=minbase bookworm "$ROOT" "$(mirror)" >"$ROOT.debootstrap.log" 2>&1 ||
    { tail -20 "$ROOT.debootstrap.log" >&2; exit 1; }
  touch "$ROOT/.debootstrap-complete"
  echo "[fresh] debootstrap --variant=minbase bookworm: $((SECONDS - started)) s"
fi
if [ ! -d "$ROOT/src/multiproc/.git" ]; then
  mkdir -p "$ROOT/src"
  git clone -q "$HERE" "$ROOT/src/multiproc"
  echo "[fresh] cloned $(git -C "$ROOT/src/multiproc" rev-parse --short HEAD) into $ROOT/src/multiproc"
fi

trap unmount_all EXIT
mount -t proc proc "$ROOT/proc"
mount -t sysfs sys "$ROOT/sys"
# debootstrap made the device nodes; the host's /dev is not shared in.
mkdir -p "$ROOT/dev/pts" "$ROOT/dev/shm"
mount -t devpts devpts "$ROOT/dev/pts" -o newinstance,ptmxmode=0666
mount -t tmpfs shm "$ROOT/dev/shm" -o mode=1777
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
[ $# -gt 0 ] || set -- bash
chroot "$ROOT" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" CI="${CI:-}" \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -c 'cd /src/multiproc && exec "$@"' fresh "$@"
