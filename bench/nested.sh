#!/bin/bash
# Benchmark (not a test) of nesting: each nested stack next to its outer tunnel alone, Tandem to
# Tandem on one veth pair, in the same run. One server runs WireGuard (10.96.0.1) and an
# L2TP/IPsec gateway (10.86.0.1) side by side, configured as in tests/integration/nested.sh (the
# configs are in nested_lib.sh there); against it, one client at a time:
#   WireGuard alone                  [interface]                       iperf3 to 10.96.0.1
#   L2TP/IPsec inside WireGuard      [nesting] outer = "wireguard"     iperf3 to 10.86.0.1
#   L2TP/IPsec alone                 [l2tp] LAC                        iperf3 to 10.86.0.1
#   WireGuard inside L2TP/IPsec      [nesting] outer = "l2tp"          iperf3 to 10.96.0.1
# For each: iperf3 TCP, 1 stream, client to server (as bench/wg_throughput.sh), the CPU seconds
# both daemons used per GB moved, and TCP retransmissions; medians over ROUNDS rounds, each round
# running the four in that order. Every daemon logs at its default level.
#
# The server's WireGuard pads to its own MTU; with WireGuard inside L2TP/IPsec its packets must fit
# the client's nested MTU (1340) whole, since a nested receive drops IP fragments for now. So the
# server runs with WireGuard's default 1420 for the first three and is restarted with mtu = 1340
# for the last.
#   bench/nested.sh [SECONDS] [ROUNDS]     (defaults 10 s per iperf3 run, 3)
SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-3}
source "$(dirname "$0")/lib.sh"
source tests/integration/nested_lib.sh
PSK="a pre-shared key for the nested benchmark"

nested_nodes 87
nested_server_config 1420 >"$TMPDIR_TEST/sv-1420.toml"
nested_server_config 1340 >"$TMPDIR_TEST/sv-1340.toml"
for kind in wireguard l2tp-in-wireguard l2tp wireguard-in-l2tp; do
  nested_client_config "$kind" >"$TMPDIR_TEST/$kind.toml"
done

declare -A TARGET=([wireguard]=10.96.0.1 [l2tp-in-wireguard]=10.86.0.1 [l2tp]=10.86.0.1
  [wireguard-in-l2tp]=10.96.0.1)
declare -A SOCKET=([wireguard]="/var/run/wireguard/$CL_IF.sock" [l2tp]="$STATUS_DIR/$CL_IF.l2tp"
  [l2tp-in-wireguard]="$STATUS_DIR/$CL_IF.hybrid" [wireguard-in-l2tp]="$STATUS_DIR/$CL_IF.hybrid")

logs() {
  for f in "$TMPDIR_TEST"/*.log; do echo "=== $(basename "$f")" >&2; tail -30 "$f" >&2 || true; done
}
ON_FAILURE=logs

SV_PID=""
start_server() {  # WIREGUARD_MTU
  [ -z "$SV_PID" ] || stop_pid "$SV_PID" 30 "the server"
  start_tandem_up "$SV" "$TMPDIR_TEST/sv-$1.toml" "$TMPDIR_TEST/sv.log" "$STATUS_DIR/$SV_L2.l2tp"
  SV_PID=$TANDEM_PID
  wait_until "the server's WireGuard UAPI socket" 30 test -S "/var/run/wireguard/$SV_WG.sock"
}

# The nested client's drops by reason, if any (a nested client only).
nested_drops() {
  ip netns exec "$CL" "$TANDEM_BIN" status "$CL_IF" --json | python3 -c 'import json,sys
d = [d for d in json.load(sys.stdin) if d.get("role") == "nested"][0]["counters"]
drops = {k[len("dropped_"):]: v for k, v in d.items() if k.startswith("dropped_") and v}
print(", nested drops: " + " ".join(f"{k} {v}" for k, v in drops.items()) if drops else "")'
}
# The ESP suite of the server's live child SAs.
esp_suite() {
  ip netns exec "$SV" "$TANDEM_BIN" status "$SV_L2" --json | python3 -c 'import json,sys
print(", ESP " + " ".join(sorted({c["suite"] for c in json.load(sys.stdin)[0]["ipsec"]["child_sas"]})))'
}

# kernel_drops FILE: the kernel's drop counters in both namespaces, one "NAME COUNT" a line: UDP
# receive buffers that overflowed, and each device's drops by direction (a TUN device whose
# reader falls behind counts tx drops). drops_between BEFORE AFTER: what rose, as a phrase.
kernel_drops() {
  local ns
  for ns in "$SV" "$CL"; do
    ip netns exec "$ns" awk -v ns="$ns" '/^Udp:/ { if (n++) print ns "/UDP-rcvbuf", $6 }' /proc/net/snmp
    ip -n "$ns" -s -j link show | python3 -c 'import json,sys
for l in json.load(sys.stdin):
    for d in ("rx", "tx"): print(sys.argv[1] + "/" + l["ifname"] + "-" + d, l["stats64"][d]["dropped"])' "$ns"
  done >"$1"
}
drops_between() {
  python3 - "$1" "$2" "$SV" "$CL" <<'PY'
import sys
before, after = ({k: int(v) for k, v in (l.split() for l in open(f))} for f in sys.argv[1:3])
names = {sys.argv[3]: "server", sys.argv[4]: "client"}
rose = [f"{names[k.split('/')[0]]} {k.split('/')[1]} {v - before.get(k, 0)}"
        for k, v in after.items() if v > before.get(k, 0)]
print(", kernel drops: " + ", ".join(rose) if rose else ", no kernel drops")
PY
}

declare -A MBITS CPU RETRANS MTU
measure() {  # KIND: one client, one iperf3 run
  local kind=$1 target=${TARGET[$1]} row mbits cpu retrans more
  start_tandem_up "$CL" "$TMPDIR_TEST/$kind.toml" "$TMPDIR_TEST/$kind.log" "${SOCKET[$kind]}"
  local cl_pid=$TANDEM_PID
  WAIT_WATCH_PID=$cl_pid WAIT_WATCH_LOG="$TMPDIR_TEST/$kind.log" \
    wait_until "a ping through $kind to $target" 60 ip netns exec "$CL" ping -c 1 -W 1 "$target"
  local mtu
  mtu=$(ip -n "$CL" -j link show dev "$CL_IF" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')
  kernel_drops "$TMPDIR_TEST/drops-before"
  row=$(iperf_cpu "$SV_PID $cl_pid" "$CL" -c "$target" -P 1)
  kernel_drops "$TMPDIR_TEST/drops-after"
  read -r mbits cpu retrans <<<"$row"
  more=$(drops_between "$TMPDIR_TEST/drops-before" "$TMPDIR_TEST/drops-after")
  case $kind in *l2tp*) more+=$(esp_suite) ;; esac
  case $kind in *-in-*) more+=$(nested_drops) ;; esac
  echo "round $round, $kind: $mbits Mbit/s, $cpu CPU s/GB, $retrans retransmits$more"
  MBITS[$kind]="${MBITS[$kind]:-} $mbits"
  CPU[$kind]="${CPU[$kind]:-} $cpu"
  RETRANS[$kind]="${RETRANS[$kind]:-} $retrans"
  MTU[$kind]="${MTU[$kind]:-} $mtu"
  stop_pid "$cl_pid" 30 "the $kind client"
}

# Not bound to an address: the tunnels' addresses come and go with the daemons.
ip netns exec "$SV" iperf3 -s -D -I "$TMPDIR_TEST/iperf.pid" >/dev/null
wait_listen "$SV" tcp 5201 30 "the iperf3 server"
PIDS+=("$(cat "$TMPDIR_TEST/iperf.pid")")

echo "machine: $(nproc) cores, $(uname -r); $SECONDS_PER_RUN s per iperf3 run, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  start_server 1420
  for kind in wireguard l2tp-in-wireguard l2tp; do measure "$kind"; done
  start_server 1340
  measure wireguard-in-l2tp
done

# shellcheck disable=SC2086  # VALUES holds each kind's rounds, space-separated
row() {  # LABEL VALUES OUTER NESTED: medians of the outer tunnel alone and the nesting, and ratio
  local -n values=$2
  local o n
  o=$(median ${values[$3]}); n=$(median ${values[$4]})
  printf '%-34s %12s %12s %8s\n' "$1" "$o" "$n" "$(ratio "$n" "$o")"
}
table() {  # TITLE OUTER_NAME OUTER NESTED
  printf '\n%-34s %12s %12s %8s\n' "$1" "$2 alone" "nested" "ratio"
  row "TCP 1 stream (Mbit/s)" MBITS "$3" "$4"
  row "CPU s/GB" CPU "$3" "$4"
  row "retransmits per run" RETRANS "$3" "$4"
  row "MTU of the client's device" MTU "$3" "$4"
}
echo
echo "medians of $ROUNDS rounds"
table "L2TP/IPsec inside WireGuard" "WireGuard" wireguard l2tp-in-wireguard
table "WireGuard inside L2TP/IPsec" "L2TP/IPsec" l2tp wireguard-in-l2tp
