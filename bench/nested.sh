#!/bin/bash
# Benchmark (not a test) of nesting: each nested stack next to its outer tunnel alone, Tandem to
# Tandem on one veth pair, in the same run. One server runs WireGuard (10.96.0.1) and an
# L2TP/IPsec gateway (10.86.0.1) side by side, as in tests/integration/nested.sh; against it, one
# client at a time:
#   WireGuard alone                  [interface]                       iperf3 to 10.96.0.1
#   L2TP/IPsec inside WireGuard      [nesting] outer = "wireguard"     iperf3 to 10.86.0.1
#   L2TP/IPsec alone                 [l2tp] LAC                        iperf3 to 10.86.0.1
#   WireGuard inside L2TP/IPsec      [nesting] outer = "l2tp"          iperf3 to 10.96.0.1
# For each: iperf3 TCP, 1 stream, client to server (as bench/wg_throughput.sh), the CPU seconds
# both daemons used per GB moved, and TCP retransmissions; medians over ROUNDS rounds, each round
# running the four in that order. Every daemon logs at its default level. One server serves all
# four, its WireGuard at the default MTU: towards WireGuard inside L2TP/IPsec it learns the
# smaller path from its own socket and holds its packets to it, and a nested client reassembles
# IPv4 fragments of what it carries.
#   bench/nested.sh [SECONDS] [ROUNDS]     (defaults 10 s per iperf3 run, 3)
SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-3}
source "$(dirname "$0")/lib.sh"
source tests/integration/nested_lib.sh
PSK="a pre-shared key for the nested benchmark"

SV="ns$TAG"
CL="nc$TAG"
make_ns "$SV"
make_ns "$CL"
link_ns "$SV" "$CL" 87
SV_WG="sw$TAG"
SV_L2="sl$TAG"
CL_IF="cn$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$SV_L2.l2tp" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.l2tp"
  "/var/run/wireguard/$SV_WG.sock" "/var/run/wireguard/$CL_IF.sock")
SK=$("$TANDEM_BIN" genkey)
CK=$("$TANDEM_BIN" genkey)

# wireguard_section NAME PRIVATE_KEY ADDRESS PEER PEER_PRIVATE_KEY ALLOWED_IP [ENDPOINT]: an
# [interface] on UDP 51820 with one peer.
wireguard_section() {
  cat <<TOML
[interface]
name = "$1"
private_key = "$2"
listen_port = 51820
addresses = ["$3"]

[[peer]]
name = "$4"
public_key = "$(echo "$5" | "$TANDEM_BIN" pubkey)"
allowed_ips = ["$6"]
${7:+endpoint = \"$7\"}
TOML
}
# l2tp_section MODE LINE...: [l2tp] with LINEs, the user alice in an LNS's table or a LAC's
# session.
l2tp_section() {
  local mode=$1 table=session key=user
  shift
  [ "$mode" = lns ] && table=user key=name
  cat <<TOML

[l2tp]
mode = "$mode"
$(printf '%s\n' "$@")

[[l2tp.$table]]
$key = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML
}
{
  wireguard_section "$SV_WG" "$SK" 10.96.0.1/24 client "$CK" 10.96.0.2/32
  l2tp_section lns "interface = \"$SV_L2\"" 'host_name = "gateway"' 'address = "10.86.0.1/24"' \
    'pool = "10.86.0.10-10.86.0.20"'
} >"$TMPDIR_TEST/sv.toml"

# The client of each kind: WireGuard to the server on the underlay (192.168.87.1) or inside
# L2TP/IPsec (10.86.0.1), L2TP/IPsec to the gateway on the underlay or inside WireGuard
# (10.96.0.1); a nesting names its outer tunnel.
client_wireguard() { wireguard_section "$CL_IF" "$CK" 10.96.0.2/24 server "$SK" 10.96.0.0/24 "$1"; }
client_l2tp() { l2tp_section lac 'host_name = "client"' "server = \"$1\"" "${@:2}"; }
ROUTES='routes = ["10.86.0.0/24"]'
client_wireguard 192.168.87.1:51820 >"$TMPDIR_TEST/wireguard.toml"
client_l2tp 192.168.87.1 "interface = \"$CL_IF\"" "$ROUTES" >"$TMPDIR_TEST/l2tp.toml"
{
  client_wireguard 192.168.87.1:51820
  client_l2tp 10.96.0.1 "$ROUTES"
  printf '\n[nesting]\nouter = "wireguard"\n'
} >"$TMPDIR_TEST/l2tp-in-wireguard.toml"
{
  client_wireguard 10.86.0.1:51820
  client_l2tp 192.168.87.1
  printf '\n[nesting]\nouter = "l2tp"\n'
} >"$TMPDIR_TEST/wireguard-in-l2tp.toml"

declare -A TARGET=([wireguard]=10.96.0.1 [l2tp-in-wireguard]=10.86.0.1 [l2tp]=10.86.0.1
  [wireguard-in-l2tp]=10.96.0.1)
declare -A STARTED_AS=([l2tp-in-wireguard]="L2TP/IPsec inside WireGuard"
  [wireguard-in-l2tp]="WireGuard inside L2TP/IPsec")

logs() {
  for f in "$TMPDIR_TEST"/*.log; do echo "=== $(basename "$f")" >&2; tail -30 "$f" >&2 || true; done
}
ON_FAILURE=logs

# The nested client's drops by reason, if any.
nested_drops() {
  local drops
  drops=$(nested_field "$CL" "$CL_IF" '" ".join(k.removeprefix("dropped_") + " " + str(v)
    for k, v in d["counters"].items() if k.startswith("dropped_") and v)')
  echo "${drops:+, nested drops: $drops}"
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
    # shellcheck disable=SC2016  # $6 is awk's
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
  if [ -n "${STARTED_AS[$kind]:-}" ]; then
    start_nested_tandem "$CL" "$TMPDIR_TEST/$kind.toml" "$TMPDIR_TEST/$kind.log" "$CL_IF" \
      "${STARTED_AS[$kind]}"
  else
    start_tandem_up "$CL" "$TMPDIR_TEST/$kind.toml" "$TMPDIR_TEST/$kind.log"
  fi
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

start_tandem_up "$SV" "$TMPDIR_TEST/sv.toml" "$TMPDIR_TEST/sv.log"
SV_PID=$TANDEM_PID
wait_until "the server's WireGuard UAPI socket" 30 test -S "/var/run/wireguard/$SV_WG.sock"

# Not bound to an address: the tunnels' addresses come and go with the daemons.
ip netns exec "$SV" iperf3 -s -D -I "$TMPDIR_TEST/iperf.pid" >/dev/null
wait_listen "$SV" tcp 5201 30 "the iperf3 server"
PIDS+=("$(cat "$TMPDIR_TEST/iperf.pid")")

echo "machine: $(nproc) cores, $(uname -r); $SECONDS_PER_RUN s per iperf3 run, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  for kind in wireguard l2tp-in-wireguard l2tp wireguard-in-l2tp; do measure "$kind"; done
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
