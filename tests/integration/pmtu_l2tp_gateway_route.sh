#!/bin/bash
# A new underlay route towards a client restarts an L2TP/IPsec gateway's search of that session's
# path MTU at once, on an idle session. Gateway B reaches client A's address (10.99.0.1, on A's
# loopback) first over a direct link, then, after `ip route replace` at B, through router R,
# which drops what it receives from B over 1400 bytes without ICMP (silent_hop_lib.sh):
#
#   A ==== direct link (192.168.96.0/24) ==== B
#   A -- R (silent 1400-byte hop, towards A) -- B   (routed_pair: 192.168.86.0/24, .87.0/24)
#
# A dials B's 192.168.96.2 from 10.99.0.1 over the direct link either way, and probes nothing
# (mtu_probing = false, a Windows client's place); only B's route towards A changes. Nothing flows
# in the session, so no confirmation of the size in use would notice the smaller hop, and the
# next periodic search is 600 s away. Checked:
#   - before: B's search complete at the size searched up to (the direct link carries it all);
#   - the route replaced: B's log names the session, its user and the new route and says probing
#     searches again (within 10 s), and B's status then shows what the test works out from the
#     hop's 1400 bytes and the ESP suite's headers; the times both took are printed;
#   - a DF ping from B of exactly that size crosses, one byte more is answered with ICMP
#     fragmentation needed carrying it.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/l2tp_probing_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
HOP=1400
CLIENT_EP=10.99.0.1  # A's underlay address, on its loopback
SERVER=192.168.96.2  # B's end of the direct link

A="la$TAG"
R="lr$TAG"
B="lb$TAG"
routed_pair "$A" "$B" "$R"
link_ns "$A" "$B" 96
ip -n "$A" addr add "$CLIENT_EP/32" dev lo
# A's datagrams to B always take the direct link, from CLIENT_EP.
ip -n "$A" route replace "$SERVER/32" dev "va${TAG}96" src "$CLIENT_EP"
# B's to A: first the direct link (A answers ARP for any of its addresses); R knows where A is.
ip -n "$B" route add "$CLIENT_EP/32" dev "vb${TAG}96" src "$SERVER"
ip -n "$R" route add "$CLIENT_EP/32" via 192.168.86.2
silent_hop_set "$R" "$HOP" "va${TAG}87"

A_IF="lga$TAG"
B_IF="lgb$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$A_IF.l2tp" "$STATUS_DIR/$B_IF.l2tp")
PSK="a pre-shared key for the gateway's route"
logs() {
  for f in a b; do [ -f "$TMPDIR_TEST/$f.log" ] && { echo "=== $f.log"; tail -30 "$TMPDIR_TEST/$f.log"; }; done
  ip -n "$B" route get "$CLIENT_EP" || true
  echo "silent hop drops: $(silent_hop_drops "$R")"
} >&2
ON_FAILURE=logs

l2tp_gateway_config "$TMPDIR_TEST/b.toml" "$B_IF" "$PSK"
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
B_PID=$TANDEM_PID
l2tp_client_config "$TMPDIR_TEST/a.toml" "$A_IF" "$SERVER" "$PSK" alice "correct horse" \
  "mtu_probing = false"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
A_PID=$TANDEM_PID

field() { l2tp_session_field "$B" "$B_IF" "$1"; }
probed_is() { [ "$(field state)" = complete ] && [ "$(field probed)" = "$1" ]; }
search_complete() { [ "$(field state)" = complete ] && [ -n "$(field probed)" ]; }
WAIT_WATCH_PID=$B_PID WAIT_WATCH_LOG="$TMPDIR_TEST/b.log" \
  wait_until "B's search of the session's path MTU complete over the direct link" 90 search_complete
MAX=$(field max)
[ "$(field probed)" = "$MAX" ] || die "over the direct link B probed $(field probed), not the $MAX searched up to"
[ "${CLIENT_PEER:=$(field peer)}" = "$CLIENT_EP:4500" ] || die "B sees the session's client at $CLIENT_PEER, not $CLIENT_EP:4500 (ESP in UDP)"
[ "$(silent_hop_drops "$R")" = 0 ] || die "the hop dropped packets before the route went through it"
SUITE=$(ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" --json | python3 -c 'import json,sys
print([c for c in json.load(sys.stdin)[0]["ipsec"]["child_sas"] if c["carries_outbound"]][0]["suite"])')
note "over the direct link: probed $MAX (searched up to $MAX), ESP $SUITE"

esp_suite_sizes "$SUITE"
EXPECTED=$(l2tp_inner_over "$HOP" 6)
[ "$MAX" -lt "$EXPECTED" ] && EXPECTED=$MAX
note "over the $HOP-byte hop towards A with $SUITE: $EXPECTED bytes fit"
[ "$EXPECTED" -lt "$MAX" ] || die "the hop would not be smaller than the direct link ($EXPECTED, $MAX)"

# The route towards A changes; no data flows.
ip -n "$B" route replace "$CLIENT_EP/32" via 192.168.87.1 src "$SERVER"
changed=$(now_ms)
RESTART="session [0-9]+/[0-9]+ \(user 'alice'\): the underlay route to $CLIENT_EP is now .*via 192.168.87.1.*: path MTU probing searches again"
restarted() { grep -E -q "$RESTART" "$TMPDIR_TEST/b.log"; }
WAIT_WATCH_PID=$B_PID WAIT_WATCH_LOG="$TMPDIR_TEST/b.log" \
  wait_until "B's log saying the session searches again" 10 restarted
took_restart=$(($(now_ms) - changed))
note "B's log, $took_restart ms after the change: $(grep -E -m1 "$RESTART" "$TMPDIR_TEST/b.log")"
WAIT_WATCH_PID=$B_PID WAIT_WATCH_LOG="$TMPDIR_TEST/b.log" \
  wait_until "B's probing finding $EXPECTED through R" 60 probed_is "$EXPECTED"
took=$(($(now_ms) - changed))
note "the route through R: $EXPECTED probed $took ms after the change (the next periodic search" \
  "was 600 s away); the hop dropped $(silent_hop_drops "$R") packets"

CLIENT=$(field remote)  # A's inner address
one_byte_more "$B" "$CLIENT" "$EXPECTED" "$CLIENT"
exactly_fits "$B" "$CLIENT" "$EXPECTED"
kill -0 "$A_PID" && kill -0 "$B_PID" || die "a node died"
stop_pid "$A_PID" 30 "A"
echo "PASS: pmtu_l2tp_gateway_route: B measured $EXPECTED towards A $took ms after its route moved onto a $HOP-byte hop"
