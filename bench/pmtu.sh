#!/bin/bash
# Benchmark (not a test) of path MTU probing on a hybrid client's WireGuard path, Tandem to
# Tandem, through a router hop that drops datagrams over a size and sends no ICMP
# (tests/integration/silent_hop_lib.sh), as in tests/integration/pmtu_hybrid.sh:
#   - recovery: a TCP upload (iperf3, 1 stream, client to gateway) at full size over a hop of
#     1500 bytes; 4 s in, the hop shrinks to 1400. Printed: how long the upload moved no data
#     (0.5 s intervals), and when the new MTU was held; median, least and most over ROUNDS
#     rounds (the hop grows back, and the path is found at full size, between rounds).
#   - idle cost: on a path that carries nothing but probes, what the path MTU probes and the
#     health probes send per second, over IDLE_SECONDS with mtu_probe_interval = 20 s, and what
#     path MTU probing costs at the default interval (600 s) from the bytes of one upward search.
#   bench/pmtu.sh [ROUNDS] [IDLE_SECONDS]      (defaults 5, 60)
ROUNDS=${1:-5}
IDLE_SECONDS=${2:-60}
source "$(dirname "$0")/lib.sh"
source tests/integration/hybrid_lib.sh
source tests/integration/silent_hop_lib.sh
PSK="a pre-shared key for the path MTU benchmark"
INTERVAL=20

GW="g$TAG"
CL="c$TAG"
RT="r$TAG"
routed_pair "$CL" "$GW" "$RT"
GW_IF="bg$TAG"
CL_IF="bc$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp"
  "$STATUS_DIR/$CL_IF.l2tp" "/var/run/wireguard/$GW_IF.sock" "/var/run/wireguard/$CL_IF.sock")
FALLBACK_EXTRA="mtu_probe_interval = $INTERVAL" \
  fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "$CL_IF" "$PSK"
silent_hop_set "$RT" 1500 >/dev/null
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
wg_path() { hybrid_field "$CL" "$CL_IF" "d[\"paths\"][0]$1"; }
probed_is() { [ "$(wg_path '["mtu_probe"].get("probed")')" = "$1" ]; }
FULL=$(wg_path '["mtu_probe"]["max"]')
wait_until "the WireGuard path probed at its full $FULL" 60 probed_is "$FULL"

stalls=()
held=()
for round in $(seq "$ROUNDS"); do
  start_iperf "$GW" 10.86.0.1 "$CL" 14
  sleep 4
  silent_hop_set "$RT" 1400 >/dev/null
  shrunk=$(now_ms)
  wait_until "the shrunk hop found (round $round)" 60 probed_is $((1400 - 60))
  held+=("$(python3 -c "print(f'{$(($(now_ms) - shrunk)) / 1000:.1f}')")")
  finish_iperf >/dev/null
  stalls+=("$(python3 - "$TMPDIR_TEST/iperf.json" <<'PY'
import json, sys
iv = [i["sum"] for i in json.load(open(sys.argv[1]))["intervals"]]
print(f'{sum(i["seconds"] for i in iv if i["start"] >= 3.5 and i["bytes"] == 0):.1f}')
PY
)")
  note "round $round: held $((1400 - 60)) after ${held[-1]} s, upload without data for ${stalls[-1]} s"
  silent_hop_set "$RT" 1500 >/dev/null
  wait_until "the hop grown back (round $round)" $((INTERVAL * 3)) probed_is "$FULL"
done

# Idle: the hop stays at 1400, so each upward search has sizes to lose (the dearer case).
silent_hop_set "$RT" 1400 >/dev/null
wait_until "the path probed at 1340 before the idle run" 60 probed_is 1340
search_done() { [ "$(wg_path '["mtu_probe"]["state"]')" = complete ]; }
wait_until "the search complete before the idle run" 60 search_done
sleep $((INTERVAL + 2))  # past an upward search that may have begun before
b0=$(wg_path '["mtu_probe"]["probe_bytes"]')
s0=$(wg_path '["mtu_probe"]["probes_sent"]')
h0=$(wg_path '["probes_sent"]')
sleep "$IDLE_SECONDS"
b1=$(wg_path '["mtu_probe"]["probe_bytes"]')
s1=$(wg_path '["mtu_probe"]["probes_sent"]')
h1=$(wg_path '["probes_sent"]')
searches=$((IDLE_SECONDS / INTERVAL))
python3 - "$b0" "$b1" "$s0" "$s1" "$h0" "$h1" "$IDLE_SECONDS" "$searches" <<'PY'
import sys
b0, b1, s0, s1, h0, h1, secs, searches = map(int, sys.argv[1:])
# What the client sends, on the wire: each probe plus WireGuard's 32 bytes and UDP/IPv4's 28.
# (The upward searches' probes are lost at the hop, so nothing comes back for them.)
mtu_bits = ((b1 - b0) + (s1 - s0) * 60) * 8 / secs
health_bits = (h1 - h0) * (62 + 60) * 8 / secs
per_search = ((b1 - b0) + (s1 - s0) * 60) / max(searches, 1)
print(f"idle path (hop 1400, probed 1340), {secs} s with mtu_probe_interval 20 s, client to "
      f"gateway: path MTU probes {mtu_bits / 1000:.2f} kbit/s ({s1 - s0} probes), health probes "
      f"{health_bits / 1000:.1f} kbit/s; one upward search {per_search / 1000:.1f} kB, so at the "
      f"default interval (600 s) {per_search * 8 / 600:.0f} bit/s")
PY
echo "hop shrinking 1500 -> 1400 under a TCP upload, $ROUNDS rounds: upload without data" \
  "median $(median "${stalls[@]}") s (least $(printf '%s\n' "${stalls[@]}" | sort -n | head -1)," \
  "most $(printf '%s\n' "${stalls[@]}" | sort -n | tail -1)); 1340 held after median" \
  "$(median "${held[@]}") s"
