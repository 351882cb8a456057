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

die() { echo "FAIL: $*" >&2; exit 1; }
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
  for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  for s in "${SOCKETS[@]}"; do rm -f "$s"; done
  rm -rf "$TMPDIR_TEST"
  exit $rc
}
trap cleanup EXIT

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
  for _ in $(seq 100); do
    [ -S "/var/run/wireguard/$ifname.sock" ] && return 0
    kill -0 "${PIDS[-1]}" 2>/dev/null || { cat "$log" >&2; die "$impl exited while starting $ifname"; }
    sleep 0.1
  done
  cat "$log" >&2
  die "$impl did not create /var/run/wireguard/$ifname.sock"
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

# start_tandem_up NS CONFIG LOG SOCKET: `tandem up -c CONFIG` in NS, logging to LOG, until it
# serves SOCKET (its status or UAPI socket; at most 5 s). Sets TANDEM_PID.
start_tandem_up() {
  ip netns exec "$1" "$TANDEM_BIN" up -c "$2" >"$3" 2>&1 &
  TANDEM_PID=$!
  PIDS+=("$TANDEM_PID")
  for _ in $(seq 50); do
    [ -S "$4" ] && return 0
    kill -0 "$TANDEM_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$3" >&2
  die "tandem up did not serve $4"
}

# ping_ok NS ADDRESS: a few pings must all come back.
ping_ok() {
  ip netns exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >"$TMPDIR_TEST/ping.log" 2>&1 ||
    { cat "$TMPDIR_TEST/ping.log" >&2; die "ping $2 from $1 failed"; }
  note "ping $2 from $1: $(grep -o '[0-9]* received' "$TMPDIR_TEST/ping.log")"
}

# iperf_ok SERVER_NS CLIENT_NS SERVER_ADDRESS [SECONDS]: a TCP transfer through the tunnel.
iperf_ok() {
  ip netns exec "$1" iperf3 -s -1 -B "$3" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
  local spid=$!
  PIDS+=($spid)
  sleep 0.5
  ip netns exec "$2" iperf3 -c "$3" -t "${4:-3}" -J >"$TMPDIR_TEST/iperf.json" 2>&1 ||
    { cat "$TMPDIR_TEST/iperf.json" >&2; die "iperf3 to $3 failed"; }
  local bps
  bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$TMPDIR_TEST/iperf.json")
  note "iperf3 TCP to $3: $((bps / 1000000)) Mbit/s"
  [ "$bps" -gt 0 ] || die "iperf3 moved no data"
}
