#!/usr/bin/env bash
# cross_os_manager.sh LINUX_PEER WINDOWS_PEER — a remote manager between a Linux program and a
# Windows program (run under Wine), both ways: each serves on 127.0.0.1 while the other connects
# as a client on another host would (tests/interop/remote_manager_peer.cc). Exit 0 when both
# directions pass, 77 (skipped, with the reason) when no Linux peer was named, 1 on a failure
# (also when a Linux peer was named but is not there). Each direction takes at most 50 s.
set -uo pipefail
LINUX_PEER=${1:-}
WINDOWS_PEER=${2:?usage: cross_os_manager.sh LINUX_PEER WINDOWS_PEER}
if [ -z "$LINUX_PEER" ]; then
  echo "skipped: no Linux remote_manager_peer named (configure with -DMULTIPROC_LINUX_PEER=PATH;"
  echo "ci/test.sh names the linux-release build's)"
  exit 77
fi
if [ ! -x "$LINUX_PEER" ]; then
  echo "FAILED: the Linux peer $LINUX_PEER is not an executable"
  exit 1
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; [ -n "${server:-}" ] && kill "$server" 2>/dev/null' EXIT
KEY=$(head -c 24 /dev/urandom | base64)

# converse SERVER_LABEL CLIENT_LABEL SERVER_COMMAND... -- CLIENT_COMMAND...
converse() {
  local server_label=$1 client_label=$2; shift 2
  local server_command=() client_command=()
  while [ "$1" != "--" ]; do server_command+=("$1"); shift; done
  shift
  client_command=("$@")
  printf '%s\n' "$KEY" | timeout 50 "${server_command[@]}" >"$WORK/address" 2>"$WORK/server.err" &
  server=$!
  local address=""
  for _ in $(seq 200); do  # up to 20 s: Wine may start slowly
    address=$(head -n 1 "$WORK/address" 2>/dev/null | tr -d '\r')  # may not exist yet
    [ -n "$address" ] && break
    kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$address" ]; then
    echo "FAILED: the $server_label server reported no address"; cat "$WORK/server.err"; return 1
  fi
  local output status
  output=$(printf '%s\n' "$KEY" | timeout 20 "${client_command[@]}" "$address" 2>"$WORK/client.err")
  status=$?
  if [ "$status" -ne 0 ] || [ "$(tr -d '\r' <<<"$output")" != "ok" ]; then
    echo "FAILED: $client_label client of the $server_label server at $address (exit $status):"
    echo "$output"; cat "$WORK/client.err"; return 1
  fi
  wait "$server"  # the server's own timeout bounds this
  status=$?
  server=""
  if [ "$status" -ne 0 ]; then
    echo "FAILED: the $server_label server exited with $status after shutdown"
    cat "$WORK/server.err"; return 1
  fi
  echo "passed: $client_label client -> $server_label server at $address (wrong key refused;"
  echo "        dict, list, Namespace, Queue and Lock shared; shutdown ended the server)"
}

converse Windows Linux wine "$WINDOWS_PEER" serve -- "$LINUX_PEER" client || exit 1
converse Linux Windows "$LINUX_PEER" serve -- wine "$WINDOWS_PEER" client || exit 1
