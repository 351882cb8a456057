#!/bin/bash
# Path MTU probing by a hybrid gateway of an IKEv2 road warrior's path: ICMP echoes to the inner
# address the gateway gave it (configuration payload), sealed in its ESP SA, which the road
# warrior's kernel answers. The road warrior is strongSwan's charon (kernel-libipsec, ESP in UDP
# 4500, AES-GCM-16); it speaks none of Tandem's probes.
#
#   carol 192.168.86.2 (charon) -- .86.1 [router R, silent hop] .87.1 -- 192.168.87.2 gateway
#   inner: gateway 10.88.0.1, carol 10.88.0.3 (her account's, from the configuration payload)
#
# R drops every packet over HOP bytes that it received from the gateway's side (one direction,
# silent_hop_lib.sh) before any traffic, and sends no ICMP: only the gateway's probing can find
# the hop. What fits is what the test computes from the hop and ESP-in-UDP's headers: IPv4 20,
# UDP 8, ESP header 8, IV 8, the inner packet and the 2-byte trailer padded to 4, ICV 16.
# Checked, with the figures printed:
#   - the gateway's status shows carol's IKEv2 search complete at that size, her packets held to
#     it, the target her address, the configured MTU beside it (and the text view says so); the
#     log and the event file have the change;
#   - a DF ping from the gateway one byte over the probed size is answered with ICMP
#     fragmentation needed carrying it, and one of exactly that size passes;
#   - a TCP transfer from the gateway to carol, starting at full size (the gateway's 1420-byte
#     device), completes, moving bytes every second, its SYN reaching carol with MSS probed less
#     40;
#   - the hop grown to 1500: the next search upwards (mtu_probe_interval, 10 s here) finds the
#     configured MTU again, and carol's packets are held to it;
#   - carol hangs up: her probing goes with her last Child SA.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/../interop/strongswan_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
for tool in iperf3 tshark python3; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done
HOP=1380
IV=8 ICV=16 BLOCK=4  # AES-GCM-16 (RFC 4106)
ROOM=$((HOP - 20 - 8 - 8 - IV - ICV))
EXPECTED=$((ROOM / BLOCK * BLOCK - 2))
CAROL=10.88.0.3
PROBE_INTERVAL=10  # s between searches upwards

GW="g$TAG"
CA="c$TAG"
RT="r$TAG"
GW_IF="hg$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$GW_IF.ipsec" "/var/run/wireguard/$GW_IF.sock")
routed_pair "$CA" "$GW" "$RT"
# Towards carol only: what R receives from the gateway (its device on the 87 link).
silent_hop_set "$RT" "$HOP" "va${TAG}87"

GW_KEY=$("$TANDEM_BIN" genkey)
printf '%s\n' "carol's pre-shared key, long enough" >"$TMPDIR_TEST/carol.ike"
cat >"$TMPDIR_TEST/gw.toml" <<TOML
[interface]
name = "$GW_IF"
private_key = "$GW_KEY"
listen_port = 51820
addresses = ["10.88.0.1/24"]

[ipsec]
local_address = "192.168.87.2"

[[account]]
name = "carol"
ike_id = "carol@example.org"
ike_psk_file = "carol.ike"
address = "$CAROL"

[accounts]
mtu_probing = true
mtu_probe_interval = $PROBE_INTERVAL

[events]
file = "$TMPDIR_TEST/gw.events"
TOML

strongswan_road_warrior_conf "$TMPDIR_TEST/carol.conf" "carol's pre-shared key, long enough" \
  192.168.86.2 192.168.87.2 10.88.0.0/24 0.0.0.0

logs() {
  [ -f "$TMPDIR_TEST/gw.log" ] && { echo "=== gw.log"; tail -40 "$TMPDIR_TEST/gw.log"; }
  ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" 2>/dev/null || true
  [ -n "${STRONGSWAN_LOG[carol]:-}" ] &&
    { echo "=== charon log"; grep -v "vici client" "${STRONGSWAN_LOG[carol]}" | tail -30; }
  echo "silent hop drops: $(silent_hop_drops "$RT")"
} >&2
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
STRONGSWAN_CHARON_EXTRA="install_virtual_ip = yes"
strongswan_start "$CA" carol
strongswan_load carol "$TMPDIR_TEST/carol.conf"
strongswan_initiate carol net
WAIT_WATCH_PID=${STRONGSWAN_PID[carol]} WAIT_WATCH_LOG=${STRONGSWAN_LOG[carol]} \
  wait_until "carol's address $CAROL from the configuration payload" 60 \
  bash -c "[ \"\$(ip -n $CA -4 -o addr show | grep -c ' $CAROL/')\" -ge 1 ]"
T_START=$(date +%s%N)
# Carol's first packet through her SA gives the gateway's router her path back (the probes need
# none: they go out on her SA, and their replies never reach the router).
ping_ok "$CA" 10.88.0.1

carol() { hybrid_field "$GW" "$GW_IF" "[a for a in d[\"accounts\"] if a[\"name\"] == \"carol\"][0]$1"; }
search_complete() {
  [ "$(carol '.get("ikev2_mtu", {}).get("mtu_probe", {}).get("state")')" = complete ] &&
    [ "$(carol '["ikev2_mtu"]["mtu_probe"].get("probed")')" != None ]
}
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the gateway's search of carol's IKEv2 path MTU complete" 90 search_complete
note "the gateway's search complete $((($(date +%s%N) - T_START) / 1000000)) ms after carol's address came"

read -r PROBED MAX HELD CONFIGURED TARGET SENT ACKED < <(hybrid_doc "$GW" "$GW_IF" | python3 -c '
import json, sys
a = [a for a in json.load(sys.stdin)["accounts"] if a["name"] == "carol"][0]["ikev2_mtu"]
p = a["mtu_probe"]
print(p["probed"], p["max"], a["mtu"], a["configured_mtu"], a["mtu_probe_target"],
      p["probes_sent"], p["probes_acked"])')
note "the gateway's status: carol probed $PROBED (searched up to $MAX) through echoes to $TARGET," \
  "her ESP packets held to $HELD (configured $CONFIGURED); $SENT probes sent, $ACKED answered"
note "over the $HOP-byte hop towards carol: ($HOP - 20 - 8 - 8 - $IV - $ICV) / $BLOCK * $BLOCK - 2 = $EXPECTED bytes fit"
[ "$PROBED" = "$EXPECTED" ] || die "probed $PROBED, expected $EXPECTED"
[ "$HELD" = "$PROBED" ] || die "carol's packets are held to $HELD, not $PROBED"
[ "$TARGET" = "$CAROL" ] || die "the probes go to $TARGET, not carol's address $CAROL"
# The search goes up to the IKEv2 path's configured MTU (the gateway's device MTU).
[ "$CONFIGURED" = "$MAX" ] || die "carol's configured MTU is $CONFIGURED, the search went up to $MAX"
text=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" | grep -A6 "account carol" | grep "ikev2 path MTU probing")
note "the text view: $text"
echo "$text" | grep -qE "ikev2 path MTU probing: [a-z]+, $PROBED probed .*echoes to $CAROL; ESP packets held to $PROBED \(configured $CONFIGURED\)" ||
  die "the text view does not show carol's probing"
line=$(grep -m1 "road warrior carol: path MTU probing holds its packets to $PROBED" "$TMPDIR_TEST/gw.log" || true)
[ -n "$line" ] || die "the gateway's log does not name carol and the probed $PROBED"
note "the gateway's log: $line"
mtu_changed_event "$TMPDIR_TEST/gw.events" account carol "$PROBED"

# A DF ping from the gateway one byte over the probed size: ICMP fragmentation needed from inside
# the tunnel; exactly the probed size passes.
one_byte_more "$GW" "$CAROL" "$PROBED" "$CAROL"
exactly_fits "$GW" "$CAROL" "$PROBED"

# A TCP transfer from the gateway to carol, starting at full size (the gateway's SYN carries the
# MSS of its 1420-byte device): the SYN is clamped to carol's path, and bytes must move every
# second.
transfer_with_syn_capture "$CA" ipsec0 "$CAROL" "$GW" "transfer from the gateway to carol"
mss=$(first_syn_mss "$TMPDIR_TEST/syn.pcap")
note "the gateway's SYN at carol's device: MSS $mss (expected $((PROBED - 40)))"
[ "$mss" = $((PROBED - 40)) ] || die "the SYN reached carol with MSS $mss, not $((PROBED - 40))"
note "the hop dropped $(silent_hop_drops "$RT") packets from the gateway"

# The hop grows: the next search upwards (one mtu_probe_interval after the last began) finds the
# whole configured MTU again, and carol's packets are held to it.
silent_hop_set "$RT" 1500 "va${TAG}87"
grown=$(now_ms)
probed_is() {
  [ "$(carol '["ikev2_mtu"]["mtu_probe"]["state"]')" = complete ] &&
    [ "$(carol '["ikev2_mtu"]["mtu_probe"].get("probed")')" = "$1" ]
}
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the gateway finding $MAX towards carol again" $((2 * PROBE_INTERVAL + 20)) probed_is "$MAX"
note "the hop grown to 1500: $MAX found $(($(now_ms) - grown)) ms later (mtu_probe_interval" \
  "$PROBE_INTERVAL s); carol's ESP packets held to $(carol '["ikev2_mtu"]["mtu"]')"
[ "$(carol '["ikev2_mtu"]["mtu"]')" = "$MAX" ] || die "carol's packets are not held to $MAX again"

# Carol hangs up: her probing goes with her last Child SA.
strongswan_swanctl carol --terminate --ike tandem --timeout 20 >/dev/null
carol_unprobed() { [ "$(carol '.get("ikev2_mtu")')" = None ]; }
WAIT_WATCH_PID=$GW_PID wait_until "carol's probing gone after she hung up" 30 carol_unprobed
kill -0 "$GW_PID" || die "the gateway died"
echo "PASS: pmtu_hybrid_gateway_ikev2: the gateway probed $PROBED towards charon over a $HOP-byte hop"
