#!/bin/bash
# Shared helpers for tests that build their own hosts out of network namespaces and veth pairs.
# Everything a test creates is named after its PID and removed by the EXIT trap; processes are
# stopped by the PIDs this script recorded, never by name.
set -euo pipefail

TAG="t$$"
NAMESPACES=()
PIDS=()
SOCKETS=()
umask 077
TMPDIR_TEST=$(mktemp -d "/tmp/tandem-test-$TAG.XXXX")
# `tandem up` locks a pidfile per config name (gw.toml is gw) in its run directory; one of its
# own per test, so tests that reuse a name, and real daemons, never refuse each other.
export TANDEM_RUN_DIR="$TMPDIR_TEST/run"

# ON_FAILURE, when a test sets it, names a function that shows context (daemon logs) when the
# test dies; it runs once, before the message.
die() {
  if [ -n "${ON_FAILURE:-}" ] && [ -z "${_IN_ON_FAILURE:-}" ]; then
    _IN_ON_FAILURE=1
    "$ON_FAILURE" >&2 || true
  fi
  echo "FAIL: $*" >&2
  exit 1
}
note() { echo "--- $*"; }

require_root() {
  [ "$(id -u)" = 0 ] || die "this test needs root (network namespaces, TUN devices); run it as root"
}

cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  # EXTRA_CLEANUP, when a test sets it, names a function that stops what the test started
  # outside PIDS (a server stopped its own way), after the test's processes.
  [ -z "${EXTRA_CLEANUP:-}" ] || "$EXTRA_CLEANUP" || true
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for s in "${SOCKETS[@]}"; do rm -f "$s"; done
  rm -rf "$TMPDIR_TEST"
  exit $rc
}
trap cleanup EXIT

# Readiness. Every wait is bounded, polls the real condition and dies naming what never became
# ready: a test never carries on after a timeout as if the thing were there. Bounds are generous
# because the suite must pass on a busy 2-core machine; TEST_WAIT_SCALE multiplies them all.
TEST_WAIT_SCALE=${TEST_WAIT_SCALE:-1}

# wait_until WHAT SECONDS COMMAND...: polls COMMAND until it succeeds; dies "WHAT" otherwise.
# WAIT_WATCH_PID, when set, is a process that must stay alive meanwhile (its death ends the wait
# at once, with WAIT_WATCH_LOG shown when set).
wait_until() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$(($(date +%s%N) + seconds * TEST_WAIT_SCALE * 1000000000))
  while :; do
    "$@" >/dev/null 2>&1 && return 0
    if [ -n "${WAIT_WATCH_PID:-}" ] && ! kill -0 "$WAIT_WATCH_PID" 2>/dev/null; then
      [ -z "${WAIT_WATCH_LOG:-}" ] || tail -40 "$WAIT_WATCH_LOG" >&2 || true
      die "not ready: $what (process $WAIT_WATCH_PID exited while waiting)"
    fi
    if [ "$(date +%s%N)" -ge "$deadline" ]; then
      [ -z "${WAIT_WATCH_LOG:-}" ] || tail -40 "$WAIT_WATCH_LOG" >&2 || true
      die "not ready after $((seconds * TEST_WAIT_SCALE)) s: $what"
    fi
    sleep 0.1
  done
}

# wait_log FILE EXTENDED_REGEX SECONDS: until a line of FILE matches.
wait_log() {
  wait_until "a line matching '$2' in $(basename "$1")" "$3" grep -Eq -- "$2" "$1"
}

# wait_exit PID SECONDS WHAT: the process must end by itself within SECONDS.
wait_exit() {
  local deadline=$(($(date +%s%N) + $2 * TEST_WAIT_SCALE * 1000000000))
  while kill -0 "$1" 2>/dev/null; do
    [ "$(date +%s%N)" -lt "$deadline" ] || die "$3 (pid $1) did not exit within $2 s"
    sleep 0.1
  done
}

# stop_pid PID SECONDS WHAT: SIGTERM, then it must exit by itself within SECONDS.
stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait_exit "$1" "$2" "$3 after SIGTERM"
}

# Listening sockets in a namespace, for servers that take a moment to bind.
_listening() {  # NS tcp|udp PORT
  local flag=-Htln
  [ "$2" = udp ] && flag=-Huln
  ip netns exec "$1" ss "$flag" "sport = :$3" | grep -q .
}
# wait_listen NS tcp|udp PORT SECONDS WHAT
wait_listen() {
  wait_until "$5 listening on $2 port $3 in $1" "$4" _listening "$1" "$2" "$3"
}

# make_ns NAME: a namespace with loopback up.
make_ns() {
  ip netns add "$1"
  NAMESPACES+=("$1")
  ip -n "$1" link set lo up
}

# link_ns NS_A NS_B INDEX: a veth pair between two namespaces with IPv4 192.168.INDEX.{1,2}/24
# and IPv6 fd00:INDEX::{1,2}/64 outer addresses.
link_ns() {
  local a=$1 b=$2 i=$3
  ip link add "va$TAG$i" netns "$a" type veth peer name "vb$TAG$i" netns "$b"
  ip -n "$a" addr add "192.168.$i.1/24" dev "va$TAG$i"
  ip -n "$b" addr add "192.168.$i.2/24" dev "vb$TAG$i"
  ip -n "$a" addr add "fd00:$i::1/64" dev "va$TAG$i" nodad
  ip -n "$b" addr add "fd00:$i::2/64" dev "vb$TAG$i" nodad
  ip -n "$a" link set "va$TAG$i" up
  ip -n "$b" link set "vb$TAG$i" up
}

# start_wg IMPL NS IFNAME: runs a userspace WireGuard implementation ("tandem" or
# "wireguard-go") in the foreground inside NS and waits for its UAPI socket.
start_wg() {
  local impl=$1 ns=$2 ifname=$3
  local log="$TMPDIR_TEST/$ifname.log"
  case "$impl" in
    tandem) ip netns exec "$ns" "$TANDEM_BIN" userspace -f "$ifname" >"$log" 2>&1 & ;;
    wireguard-go) ip netns exec "$ns" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$ifname" >"$log" 2>&1 & ;;
    *) die "unknown implementation $impl" ;;
  esac
  PIDS+=($!)
  SOCKETS+=("/var/run/wireguard/$ifname.sock")
  WAIT_WATCH_PID=${PIDS[-1]} WAIT_WATCH_LOG=$log \
    wait_until "$impl serving /var/run/wireguard/$ifname.sock" 30 test -S "/var/run/wireguard/$ifname.sock"
}

# wg_dump_field NS IFNAME FIELD: from `wg show IF dump`, the first peer's latest-handshake
# (FIELD=handshake), rx (FIELD=rx) or tx (FIELD=tx).
wg_dump_field() {
  local col
  case "$3" in handshake) col=5 ;; rx) col=6 ;; tx) col=7 ;; esac
  ip netns exec "$1" wg show "$2" dump | sed -n 2p | cut -f"$col"
}

# assert_wg_counters NS IFNAME: the first peer shows a handshake and traffic both ways.
assert_wg_counters() {
  local hs rx tx
  hs=$(wg_dump_field "$1" "$2" handshake)
  rx=$(wg_dump_field "$1" "$2" rx)
  tx=$(wg_dump_field "$1" "$2" tx)
  note "$2 in $1: latest-handshake=$hs rx=$rx tx=$tx"
  [ "${hs:-0}" -gt 0 ] || die "$2: wg show reports no handshake"
  [ "${rx:-0}" -gt 0 ] || die "$2: wg show reports no bytes received"
  [ "${tx:-0}" -gt 0 ] || die "$2: wg show reports no bytes sent"
}

# admin_socket CONFIG: where the daemon `tandem up -c CONFIG` runs serves its admin socket.
admin_socket() { echo "$TANDEM_RUN_DIR/$(basename "$1" .toml).admin"; }

# start_tandem_up NS CONFIG LOG [SOCKET]: `tandem up -c CONFIG` in NS, logging to LOG, until it
# serves its admin socket (the last thing it sets up before it says it is ready) and SOCKET (a
# UAPI socket) when given. Sets TANDEM_PID.
start_tandem_up() {
  local admin
  admin=$(admin_socket "$2")
  ip netns exec "$1" "$TANDEM_BIN" up -c "$2" >"$3" 2>&1 &
  TANDEM_PID=$!
  PIDS+=("$TANDEM_PID")
  WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG=$3 wait_until "tandem up serving $admin" 30 \
    test -S "$admin"
  [ -z "${4:-}" ] ||
    WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG=$3 wait_until "tandem up serving $4" 30 test -S "$4"
}

# write_node_config FILE IFNAME ADDRESS PEER_PUBLIC_KEY ALLOWED_IP...: a `tandem up` config with a
# new private key, one interface address and one peer "far" (no endpoint). INTERFACE_EXTRA, when
# set, holds more [interface] lines.
write_node_config() {
  local file=$1 ifname=$2 address=$3 peer=$4
  shift 4
  local allowed
  allowed=$(printf '"%s", ' "$@")
  cat >"$file" <<TOML
[interface]
name = "$ifname"
private_key = "$("$TANDEM_BIN" genkey)"
addresses = ["$address"]
${INTERFACE_EXTRA:-}

[[peer]]
name = "far"
public_key = "$peer"
allowed_ips = [${allowed%, }]
TOML
}

# wait_ping NS ADDRESS SECONDS: until one ping is answered (a handshake, a session coming up).
wait_ping() {
  wait_until "a ping reply from $2 in $1" "$3" ip netns exec "$1" ping -c 1 -W 1 "$2"
}

# ping_ok NS ADDRESS: once the address answers at all, a few pings come back.
ping_ok() {
  wait_ping "$1" "$2" 30
  ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >"$TMPDIR_TEST/ping.log" 2>&1 ||
    { cat "$TMPDIR_TEST/ping.log" >&2; die "ping $2 from $1 failed"; }
  note "ping $2 from $1: $(grep -o '[0-9]* received' "$TMPDIR_TEST/ping.log")"
}

# iperf_ok SERVER_NS CLIENT_NS SERVER_ADDRESS [SECONDS]: a TCP transfer through the tunnel.
iperf_ok() {
  ip netns exec "$1" iperf3 -s -1 -B "$3" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
  local spid=$!
  PIDS+=($spid)
  WAIT_WATCH_PID=$spid WAIT_WATCH_LOG="$TMPDIR_TEST/iperf-server.log" \
    wait_listen "$1" tcp 5201 30 "the iperf3 server"
  ip netns exec "$2" iperf3 -c "$3" -t "${4:-3}" -J >"$TMPDIR_TEST/iperf.json" 2>&1 ||
    { cat "$TMPDIR_TEST/iperf.json" >&2; die "iperf3 to $3 failed"; }
  local bps
  bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$TMPDIR_TEST/iperf.json")
  note "iperf3 TCP to $3: $((bps / 1000000)) Mbit/s"
  [ "$bps" -gt 0 ] || die "iperf3 moved no data"
}

# event_seen KIND [FIELD=VALUE...]: a line of the event log $EVENTS (an [events] file) is that
# event with those fields.
event_seen() {
  python3 - "$EVENTS" "$@" <<'PY'
import json, sys
kind, wanted = sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == kind and all(str(e.get(k)) == v for k, v in wanted.items()):
        sys.exit(0)
sys.exit(1)
PY
}

source "$(dirname "${BASH_SOURCE[0]}")/capture.sh"
