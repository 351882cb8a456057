#!/bin/bash
# A new underlay route restarts path MTU probing at once, on an idle path: node A reaches peer B
# first over a direct link (no small hop), then, after `ip route replace`, through router R,
# whose link towards B drops datagrams over 1400 bytes without ICMP (silent_hop_lib.sh):
#
#   A ==== direct link (192.168.96.0/24) ==== B
#   A -- R (silent 1400-byte hop) -- B       (routed_pair: 192.168.86.0/24, 192.168.87.0/24)
#
# B's endpoint is 10.99.0.2 (on its loopback) either way, and B answers from it whichever link
# its answer leaves by; only A's route to it changes, so WireGuard sees no roaming at A's end.
# Nothing flows, so no confirmation of the size in use would notice the smaller hop, and the next
# periodic search is 600 s away. Checked:
#   - before: A's probing complete at the device MTU (1420: the direct link carries 1440);
#   - the route replaced: A's log names the new route and says probing searches again, and A's
#     status shows 1340 (1400 less IPv4 20, UDP 8, WireGuard 32) within 10 s, as does its device;
#   - A's event log has path.mtu_changed from 1420 to 1340 for the peer;
#   - a DF ping of 1340 bytes from A crosses, and a TCP upload at full size completes.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/wireguard_probing_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"

DEVICE_MTU=1420
PROBE_INTERVAL=600
NARROW=$((1400 - 20 - 8 - 32))

A="qa$TAG"
R="qr$TAG"
B="qb$TAG"
routed_pair "$A" "$B" "$R"
link_ns "$A" "$B" 96
ENDPOINT=10.99.0.2
ip -n "$B" addr add "$ENDPOINT/32" dev lo
# B's answers leave from ENDPOINT on either link; R knows where it is.
ip -n "$B" route replace 192.168.86.0/24 via 192.168.87.1 src "$ENDPOINT"
ip -n "$B" route replace 192.168.96.0/24 dev "vb${TAG}96" src "$ENDPOINT"
ip -n "$R" route add "$ENDPOINT/32" via 192.168.87.2
# First over the direct link (B answers ARP for any of its addresses).
ip -n "$A" route add "$ENDPOINT/32" dev "va${TAG}96"
silent_hop_set "$R" 1400
A_IF="qwa$TAG"
B_IF="qwb$TAG"
SOCKETS+=("/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")

logs() {
  echo "=== a.log" >&2
  tail -30 "$TMPDIR_TEST/a.log" >&2 || true
  echo "=== b.log" >&2
  tail -15 "$TMPDIR_TEST/b.log" >&2 || true
  ip -n "$A" route get "$ENDPOINT" >&2 || true
  echo "silent hop drops: $(silent_hop_drops "$R")" >&2
}
ON_FAILURE=logs

KA=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey)
KB=$("$TANDEM_BIN" genkey)
PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
probing_node "$TMPDIR_TEST/b.toml" "$B_IF" "$KB" 51871 10.91.0.2 a "$PA" 10.91.0.1
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log" "/var/run/wireguard/$B_IF.sock"
EVENTS_FILE="$TMPDIR_TEST/a.events" probing_node "$TMPDIR_TEST/a.toml" "$A_IF" "$KA" 51870 \
  10.91.0.1 b "$PB" 10.91.0.2 "$ENDPOINT:51871"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log" "/var/run/wireguard/$A_IF.sock"
A_PID=$TANDEM_PID

probe_field() { peer_field "$A" "$A_IF" "$1"; }
probed_is() { [ "$(probe_field probed)" = "$1" ] && [ "$(probe_field state)" = complete ]; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

wait_ping "$A" 10.91.0.2 30
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's probing complete at $DEVICE_MTU over the direct link" 60 probed_is "$DEVICE_MTU"
[ "$(silent_hop_drops "$R")" = 0 ] || die "the hop dropped packets before the route went through it"
grep -q "peer b endpoint changed" "$TMPDIR_TEST/a.log" &&
  die "B's endpoint moved at A: the test needs it fixed, so that only the route changes"
note "over the direct link: probed $(probe_field probed), $(probe_field probes_sent) probes sent"

# The route changes; no data flows.
ip -n "$A" route replace "$ENDPOINT/32" via 192.168.86.1
changed=$(now_ms)
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's probing finding $NARROW through R" 30 probed_is "$NARROW"
took=$(($(now_ms) - changed))
note "the route through R: $NARROW probed $took ms after the change; the hop dropped" \
  "$(silent_hop_drops "$R") packets"
[ "$took" -le 10000 ] || die "the new route was measured only after $took ms"
line=$(grep -m1 "the underlay route to $ENDPOINT is now dev vb${TAG}86 via 192.168.86.1 src 192.168.86.2: path MTU probing searches again" \
  "$TMPDIR_TEST/a.log" || true)
[ -n "$line" ] || die "A's log does not say the route changed"
note "A's log: $line"
wait_until "A's device MTU $NARROW" 10 device_mtu_is "$A" "$A_IF" "$NARROW"
# The change is an event too ([events] file): the peer, the new and the previous size.
python3 - "$TMPDIR_TEST/a.events" "$NARROW" <<'PY' || die "no path.mtu_changed event for the smaller path"
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["event"] == "path.mtu_changed" and e.get("peer") == "b" and e["mtu"] == int(sys.argv[2]) \
            and e["previous_mtu"] == 1420 and e["probed"]:
        print("--- event:", line.strip())
        sys.exit(0)
sys.exit(1)
PY

ip netns exec "$A" ping -c 2 -W 3 -M do -s $((NARROW - 28)) 10.91.0.2 >"$TMPDIR_TEST/fits.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits.log" >&2; die "a DF ping of $NARROW bytes did not cross"; }
iperf_ok "$B" "$A" 10.91.0.2 3
kill -0 "$A_PID" || die "A died"
note "pmtu_route_change: ok"
