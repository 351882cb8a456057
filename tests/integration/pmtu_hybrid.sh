#!/bin/bash
# Path MTU probing on a hybrid client's WireGuard path, Tandem to Tandem, through a hop that drops
# large datagrams and sends no ICMP (silent_hop_lib.sh):
#
#   host 192.168.85.2 -- .85.1 client 192.168.86.2 -- .86.1 [router] .87.1 -- 192.168.87.2 gateway
#   inner: client 10.86.0.2 (account alice; the host masqueraded behind it) -- gateway 10.86.0.1
#   (fallback_pair_configs in hybrid_lib.sh)
#
# The router forwards nothing over 1400 bytes. The client's padded health probes find what the
# WireGuard path carries: 1400 - 20 (IPv4) - 8 (UDP) - 32 (WireGuard) = 1340. Then:
#  - the status (JSON and text) and `tandem mtu --interface` show 1340 probed, beside the budget
#    of 1440, and the device MTU follows it;
#  - with the device MTU put back by hand, what Tandem itself does with the result shows: a DF
#    ping one byte over is answered from inside the tunnel with ICMP naming 1340, and the host's
#    SYN reaches the gateway's device clamped to MSS 1300; the TCP upload that follows, at full
#    size from the start, completes and moves data all along; the gateway, told by the probes,
#    holds what it sends back to the client to 1340 too (one byte over from it gets ICMP);
#  - the hop grows back to 1500: the periodic upward search (mtu_probe_interval = 10) finds the
#    device MTU again (1440: the client sizes it from its 1500-byte path to the gateway);
#  - the hop shrinks to 1400 again during a TCP upload: the confirmation of the size in use is
#    lost (a black hole), the path falls back and is measured again, and the upload carries on.
# Prints how long each took.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
PSK="a pre-shared key of some length"

GW="g$TAG"
CL="c$TAG"
RT="r$TAG"
H="h$TAG"
routed_pair "$CL" "$GW" "$RT"
make_ns "$H"
link_ns "$CL" "$H" 85
ip -n "$H" route add default via 192.168.85.1
ip netns exec "$CL" sysctl -qw net.ipv4.ip_forward=1

GW_IF="pg$TAG"
CL_IF="pc$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp"
  "$STATUS_DIR/$CL_IF.l2tp" "/var/run/wireguard/$GW_IF.sock" "/var/run/wireguard/$CL_IF.sock")
FALLBACK_EXTRA="mtu_probe_interval = 10" fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "$CL_IF" "$PSK"

show_logs() {
  hybrid_doc "$CL" "$CL_IF" || true
  ip -n "$CL" -o link show dev "$CL_IF" || true
  for f in gw cl; do
    echo "=== $f.log (path MTU lines and the last 15)"
    grep -E "MTU" "$TMPDIR_TEST/$f.log" | tail -20 || true
    tail -15 "$TMPDIR_TEST/$f.log" || true
  done
}
ON_FAILURE=show_logs

silent_hop_set "$RT" 1400
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
started=$(now_ms)
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
masquerade_behind "$CL" "$CL_IF"

probed() { hybrid_field "$CL" "$CL_IF" 'd["paths"][0]["mtu_probe"].get("probed")'; }
probed_is() { [ "$(probed)" = "$1" ]; }
device_mtu() { ip -n "$1" -o link show dev "$2" | sed -nE 's/.* mtu ([0-9]+) .*/\1/p'; }
client_device_mtu_is() { [ "$(device_mtu "$CL" "$CL_IF")" = "$1" ]; }

wait_until "the WireGuard path probed at 1340" 60 probed_is 1340
note "probed 1340 on the WireGuard path $(($(now_ms) - started)) ms after the client started;" \
  "the hop dropped $(silent_hop_drops "$RT") packets, silently"
[ "$(silent_hop_drops "$RT")" -gt 0 ] || die "the hop dropped nothing: the test proves nothing"
[ "$(hybrid_field "$CL" "$CL_IF" 'd["paths"][0]["mtu"]')" = 1340 ] ||
  die "the WireGuard path's MTU in status is not the probed 1340"
wait_until "the client's device MTU following the probed path" 10 client_device_mtu_is 1340
note "client device MTU $(device_mtu "$CL" "$CL_IF"); status: $(hybrid_field "$CL" "$CL_IF" \
  'd["paths"][0]["mtu_probe"]')"
# Complete, or searching again for a moment: the size in use is confirmed while data flows.
ip netns exec "$CL" "$TANDEM_BIN" status "$CL_IF" | grep -qE "path MTU probing: [a-z]+, 1340 probed" ||
  die "tandem status (text) does not show the probed MTU"
ip netns exec "$CL" "$TANDEM_BIN" mtu --interface "$CL_IF" >"$TMPDIR_TEST/mtu.txt" ||
  die "tandem mtu --interface failed: $(cat "$TMPDIR_TEST/mtu.txt")"
grep -qE "^$CL_IF wireguard: budget 1440, probed 1340 \((complete|searching)\)" "$TMPDIR_TEST/mtu.txt" ||
  die "tandem mtu does not show the probed MTU beside the budget: $(cat "$TMPDIR_TEST/mtu.txt")"
note "tandem mtu: $(head -1 "$TMPDIR_TEST/mtu.txt")"

FULL=$(hybrid_field "$CL" "$CL_IF" 'd["paths"][0]["mtu_probe"]["max"]')
[ "$FULL" = 1440 ] || die "the WireGuard path is searched up to $FULL, not the device's 1440"

# Tandem's own hold, past the kernel's: the device as large as configured again.
ip -n "$CL" link set dev "$CL_IF" mtu "$FULL"
one_byte_more "$H" 10.86.0.1 1340 10.86.0.1

# The gateway holds what it sends back to the client to the same size, told by the probes.
wait_log "$TMPDIR_TEST/gw.log" "peer alice \(10\.86\.0\.2\): WireGuard held to 1340" 10
one_byte_more "$GW" 10.86.0.2 1340 10.86.0.2

capture_start "$GW" "$GW_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/syn.pcap"
start_iperf "$GW" 10.86.0.1 "$H" 5
finish_iperf
capture_stop
mss=$(tshark -r "$TMPDIR_TEST/syn.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" \
  -T fields -e tcp.options.mss_val 2>/dev/null | head -1 || true)
note "the host's SYN at the gateway's device: MSS $mss (expected 1300)"
[ "$mss" = 1300 ] || die "the SYN's MSS at the gateway is $mss, not 1340 - 40"

# every_interval_moved FROM_S: every 0.5 s interval of the last transfer from FROM_S on moved data.
every_interval_moved() {
  python3 - "$TMPDIR_TEST/iperf.json" "$1" <<'PY'
import json, sys
iv = [i["sum"] for i in json.load(open(sys.argv[1]))["intervals"]]
idle = [f'{i["start"]:.1f}' for i in iv if i["start"] >= float(sys.argv[2]) and i["bytes"] == 0]
if idle: sys.exit("no data in the intervals starting at " + ", ".join(idle))
PY
}
every_interval_moved 0 || die "the upload through the probed path stalled"

silent_hop_set "$RT" 1500
grown=$(now_ms)
wait_until "the grown hop found again ($FULL)" 40 probed_is "$FULL"
took=$(($(now_ms) - grown))
note "the hop grew to 1500: $FULL probed $took ms later (mtu_probe_interval 10 s)"
# A search upwards begins an interval after the previous one began: within that and one search.
[ "$took" -le 15000 ] || die "the grown hop was found $took ms after it grew: more than 10 s and 5"
wait_until "the client's device MTU grown back" 10 client_device_mtu_is "$FULL"

start_iperf "$GW" 10.86.0.1 "$CL" 20
sleep 4  # a transfer at full size, well under way
silent_hop_set "$RT" 1400
shrunk=$(now_ms)
wait_until "the shrunk hop found while the upload runs (1340)" 40 probed_is 1340
note "the hop shrank to 1400 under a transfer: 1340 held $(($(now_ms) - shrunk)) ms later"
grep -q "black hole" "$TMPDIR_TEST/cl.log" || die "the client did not log the black hole"
finish_iperf
# The transfer flows again within the confirmation interval, its tries and the search.
every_interval_moved 18 || die "the upload did not flow again after the hop shrank"
python3 - "$TMPDIR_TEST/iperf.json" <<'PY'
import json, sys
iv = [i["sum"] for i in json.load(open(sys.argv[1]))["intervals"]]
stall = [i for i in iv if i["start"] >= 4 and i["bytes"] == 0]
print(f"--- after the shrink: {len(stall) * 0.5:.1f} s of 0.5 s intervals without data")
PY
echo "PASS: the WireGuard path probed through a silent hop (1340), held, grown and shrunk again"
