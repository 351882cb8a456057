#!/bin/bash
# Benchmark (not a test) of the hybrid interface, two namespaces on one veth pair:
#  1. WireGuard throughput through a hybrid interface (gateway with an account and L2TP/IPsec, a
#     client with [fallback]) against plain WireGuard `tandem up` nodes, in the same run,
#     alternating plain and hybrid ROUNDS times: iperf3 TCP with 1 and 4 streams.
#  2. DRILLS failover drills (`tandem drill --seconds 2`) on the hybrid client: min / median / max
#     of the time to switch, the time to fail back and the pings lost. The client's config caps
#     the failback hold at its 5 s default (failback_hold_max = 5) so that back-to-back drills do
#     not count as a flapping primary, which would double the hold each time.
#   bench/hybrid.sh [SECONDS] [ROUNDS] [DRILLS]     (defaults 10 s per iperf3 run, 2, 20)
SECONDS_PER_RUN=${1:-10}
ROUNDS=${2:-2}
DRILLS=${3:-20}
source "$(dirname "$0")/lib.sh"

GW="hg$TAG"
CL="hc$TAG"
make_ns "$GW"
make_ns "$CL"
link_ns "$GW" "$CL" 93
GW_KEY=$("$TANDEM_BIN" genkey)
CL_KEY=$("$TANDEM_BIN" genkey)
GW_PUB=$(echo "$GW_KEY" | "$TANDEM_BIN" pubkey)
CL_PUB=$(echo "$CL_KEY" | "$TANDEM_BIN" pubkey)
PSK="a pre-shared key of some length"
IF_GW="bg$TAG"
IF_CL="bc$TAG"
SOCKETS+=("/var/run/tandem/$IF_GW.hybrid" "/var/run/tandem/$IF_CL.hybrid" "/var/run/tandem/$IF_GW.l2tp"
  "/var/run/tandem/$IF_CL.l2tp" "/var/run/wireguard/$IF_GW.sock" "/var/run/wireguard/$IF_CL.sock")

interface() {  # NAME KEY ADDRESS [PORT]
  printf '[interface]\nname = "%s"\nprivate_key = "%s"\naddresses = ["%s"]\n' "$1" "$2" "$3"
  [ -z "${4:-}" ] || printf 'listen_port = %s\n' "$4"
}
wg_peer() {  # KEY ENDPOINT
  printf '\n[[peer]]\npublic_key = "%s"\nendpoint = "%s"\nallowed_ips = ["10.93.0.0/24"]\npersistent_keepalive = 25\n' "$1" "$2"
}
{ interface "$IF_GW" "$GW_KEY" 10.93.0.1/24 51820
  printf '\n[[peer]]\npublic_key = "%s"\nallowed_ips = ["10.93.0.2/32"]\n' "$CL_PUB"; } >"$TMPDIR_TEST/plain-gw.toml"
{ interface "$IF_CL" "$CL_KEY" 10.93.0.2/32; wg_peer "$GW_PUB" 192.168.93.1:51820; } >"$TMPDIR_TEST/plain-cl.toml"
{ interface "$IF_GW" "$GW_KEY" 10.93.0.1/24 51820
  printf '\n[l2tp]\nmode = "lns"\n[l2tp.ipsec]\npsk = "%s"\n' "$PSK"
  printf '\n[[account]]\nname = "alice"\npublic_key = "%s"\npassword = "correct horse"\naddress = "10.93.0.2"\n' "$CL_PUB"; } >"$TMPDIR_TEST/hybrid-gw.toml"
{ interface "$IF_CL" "$CL_KEY" 10.93.0.2/32; wg_peer "$GW_PUB" 192.168.93.1:51820
  printf '\n[l2tp]\nmode = "lac"\nserver = "192.168.93.1"\n[[l2tp.session]]\nuser = "alice"\npassword = "correct horse"\n[l2tp.ipsec]\npsk = "%s"\n' "$PSK"
  printf '\n[fallback]\ngateway = "10.93.0.1"\nfailback_hold_max = 5\n'; } >"$TMPDIR_TEST/hybrid-cl.toml"

NODE_PIDS=()
start_pair() {  # plain|hybrid
  local sock=/var/run/wireguard
  start_tandem_up "$GW" "$TMPDIR_TEST/$1-gw.toml" "$TMPDIR_TEST/$1-gw.log" "$sock/$IF_GW.sock"
  NODE_PIDS=("$TANDEM_PID")
  start_tandem_up "$CL" "$TMPDIR_TEST/$1-cl.toml" "$TMPDIR_TEST/$1-cl.log" "$sock/$IF_CL.sock"
  NODE_PIDS+=("$TANDEM_PID")
  wait_ping "$CL" 10.93.0.1 30
}
stop_pair() {
  for p in "${NODE_PIDS[@]}"; do stop_pid "$p" 30 "tandem up"; done
}
active() {
  ip netns exec "$CL" "$TANDEM_BIN" status "$IF_CL" --json |
    python3 -c 'import json,sys; print([d for d in json.load(sys.stdin) if d.get("kind") == "hybrid"][0]["active"])'
}
active_wireguard() { [ "$(active)" = wireguard ]; }

iperf_mbits() {  # STREAMS
  local row
  row=$(iperf_cpu "${NODE_PIDS[*]}" "$CL" -c 10.93.0.1 -P "$1")
  echo "${row%% *}"
}

# Not bound to 10.93.0.1: that address comes and goes with each pair of daemons.
ip netns exec "$GW" iperf3 -s -D -I "$TMPDIR_TEST/iperf.pid" >/dev/null
wait_listen "$GW" tcp 5201 30 "the iperf3 server"
PIDS+=("$(cat "$TMPDIR_TEST/iperf.pid")")

echo "machine: $(nproc) cores, $(uname -r)"
declare -A one four
for round in $(seq "$ROUNDS"); do
  for kind in plain hybrid; do
    start_pair "$kind"
    if [ "$kind" = hybrid ]; then
      WAIT_WATCH_PID=${NODE_PIDS[1]} wait_until "the hybrid client on WireGuard" 60 active_wireguard
    fi
    a=$(iperf_mbits 1)
    b=$(iperf_mbits 4)
    echo "round $round, $kind WireGuard: 1 stream $a Mbit/s, 4 streams $b Mbit/s"
    one[$kind]="${one[$kind]:-} $a"
    four[$kind]="${four[$kind]:-} $b"
    [ "$kind" = hybrid ] && [ "$round" = "$ROUNDS" ] || stop_pair
  done
done

mean() { python3 -c 'import sys; v=[float(x) for x in sys.argv[1:]]; print(f"{sum(v)/len(v):.0f}")' "$@"; }
p1=$(mean ${one[plain]}); h1=$(mean ${one[hybrid]})
p4=$(mean ${four[plain]}); h4=$(mean ${four[hybrid]})
printf '\n%-30s %10s %10s %8s\n' "WireGuard, mean of $ROUNDS rounds" "plain" "hybrid" "ratio"
printf '%-30s %10s %10s %8s\n' "TCP 1 stream (Mbit/s)" "$p1" "$h1" "$(ratio "$h1" "$p1")"
printf '%-30s %10s %10s %8s\n' "TCP 4 streams (Mbit/s)" "$p4" "$h4" "$(ratio "$h4" "$p4")"

[ "$DRILLS" -gt 0 ] || exit 0
# The hybrid pair from the last round is still running: drills on its client.
echo
echo "$DRILLS drills of 2 s on the hybrid client (pings every 20 ms through the tunnel)"
: >"$TMPDIR_TEST/drills"
for i in $(seq "$DRILLS"); do
  WAIT_WATCH_PID=${NODE_PIDS[1]} wait_until "traffic back on WireGuard before drill $i" 60 active_wireguard
  # The secondary must be healthy again too; the drill command refuses otherwise, so retry.
  for _ in $(seq 50); do
    if ip netns exec "$CL" "$TANDEM_BIN" drill "$IF_CL" --seconds 2 >"$TMPDIR_TEST/d.log" 2>&1; then break; fi
    grep -q "not healthy\|already" "$TMPDIR_TEST/d.log" || { cat "$TMPDIR_TEST/d.log" >&2; die "drill $i failed"; }
    sleep 0.2
  done
  grep -q PASS "$TMPDIR_TEST/d.log" || { cat "$TMPDIR_TEST/d.log" >&2; die "drill $i did not pass"; }
  sw=$(sed -nE 's/.*switch to the secondary: ([0-9]+) ms.*/\1/p' "$TMPDIR_TEST/d.log")
  fb=$(sed -nE 's/.*failback to WireGuard: ([0-9.]+) s.*/\1/p' "$TMPDIR_TEST/d.log")
  lost=$(sed -nE 's/.* ([0-9]+) lost$/\1/p' "$TMPDIR_TEST/d.log")
  echo "$sw $fb $lost" >>"$TMPDIR_TEST/drills"
done
python3 - "$TMPDIR_TEST/drills" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
cols = list(zip(*rows))
def line(name, values, unit):
    v = [float(x) for x in values]
    print(f"{name:<34} min {min(v):7.2f}  median {statistics.median(v):7.2f}  max {max(v):7.2f} {unit}")
line("switch after the drill began", cols[0], "ms")
line("failback after the drill ended", cols[1], "s")
line("pings lost per drill", cols[2], "")
PY
