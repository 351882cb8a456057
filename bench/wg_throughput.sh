#!/bin/bash
# Benchmark (not a test): Tandem and wireguard-go on the same two-namespace setup, one after the
# other in the same run. For each: iperf3 TCP throughput with 1 and 4 streams, ping RTT through
# the tunnel, and CPU seconds the two VPN daemons used per GB moved. Prints a table and the
# Tandem / wireguard-go ratio.
#   bench/wg_throughput.sh [SECONDS]     (default 10 s per iperf3 run)
SECONDS_PER_RUN=${1:-10}
source "$(dirname "$0")/lib.sh"

measure() {
  local impl=$1
  local nl="bl$TAG$impl" nr="br$TAG$impl"
  nl=${nl:0:12}; nr=${nr:0:12}
  make_ns "$nl"; make_ns "$nr"
  local idx=$((RANDOM % 100 + 100))
  link_ns "$nl" "$nr" "$idx"
  local ifl="bl${TAG}${impl:0:1}" ifr="br${TAG}${impl:0:1}"
  start_wg "$impl" "$nl" "$ifl"; local pl=${PIDS[-1]}
  start_wg "$impl" "$nr" "$ifr"; local pr=${PIDS[-1]}
  wg genkey >"$TMPDIR_TEST/k1"; wg genkey >"$TMPDIR_TEST/k2"
  ip netns exec "$nl" wg set "$ifl" private-key "$TMPDIR_TEST/k1" listen-port 51900 \
    peer "$(wg pubkey <"$TMPDIR_TEST/k2")" allowed-ips 10.190.0.2/32 endpoint "192.168.$idx.2:51901"
  ip netns exec "$nr" wg set "$ifr" private-key "$TMPDIR_TEST/k2" listen-port 51901 \
    peer "$(wg pubkey <"$TMPDIR_TEST/k1")" allowed-ips 10.190.0.1/32
  ip -n "$nl" addr add 10.190.0.1/24 dev "$ifl"; ip -n "$nl" link set "$ifl" up
  ip -n "$nr" addr add 10.190.0.2/24 dev "$ifr"; ip -n "$nr" link set "$ifr" up
  ip netns exec "$nl" ping -c 2 -W 2 10.190.0.2 >/dev/null || die "$impl: no tunnel"

  ip netns exec "$nr" iperf3 -s -D -B 10.190.0.2 -I "$TMPDIR_TEST/iperf-$impl.pid" >/dev/null
  sleep 0.5
  PIDS+=("$(cat "$TMPDIR_TEST/iperf-$impl.pid")")
  local results=()
  for streams in 1 4; do
    local row mbits cpu_s_per_gb
    row=$(iperf_cpu "$pl $pr" "$nl" -c 10.190.0.2 -P "$streams")
    read -r mbits cpu_s_per_gb _ <<<"$row"
    results+=("$mbits" "$cpu_s_per_gb")
  done
  local rtt
  rtt=$(ip netns exec "$nl" ping -c 50 -i 0.01 -q 10.190.0.2 | awk -F/ '/rtt/ {print $5}')
  echo "$impl ${results[*]} $rtt"
}

echo "machine: $(nproc) cores, $(uname -r); $(wireguard-go --version 2>/dev/null | head -1)"
echo "measuring tandem..."
# Not in $( ): a subshell's PIDS and NAMESPACES would escape the cleanup on exit.
measure tandem >"$TMPDIR_TEST/row"
T_ROW=$(cat "$TMPDIR_TEST/row")
echo "measuring wireguard-go..."
measure wireguard-go >"$TMPDIR_TEST/row"
G_ROW=$(cat "$TMPDIR_TEST/row")
read -r _ t1 tc1 t4 tc4 trtt <<<"$T_ROW"
read -r _ g1 gc1 g4 gc4 grtt <<<"$G_ROW"
printf '\n%-28s %14s %14s %8s\n' "" "tandem" "wireguard-go" "ratio"
printf '%-28s %14s %14s %8s\n' "TCP 1 stream (Mbit/s)" "$t1" "$g1" "$(ratio "$t1" "$g1")"
printf '%-28s %14s %14s %8s\n' "TCP 4 streams (Mbit/s)" "$t4" "$g4" "$(ratio "$t4" "$g4")"
printf '%-28s %14s %14s %8s\n' "CPU s/GB, 1 stream" "$tc1" "$gc1" "$(ratio "$tc1" "$gc1")"
printf '%-28s %14s %14s %8s\n' "CPU s/GB, 4 streams" "$tc4" "$gc4" "$(ratio "$tc4" "$gc4")"
printf '%-28s %14s %14s %8s\n' "ping RTT avg (ms)" "$trtt" "$grtt" "$(ratio "$trtt" "$grtt")"
