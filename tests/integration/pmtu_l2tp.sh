#!/bin/bash
# Path MTU probing of an L2TP/IPsec session through a hop that drops large datagrams and tells
# nobody (no ICMP): Tandem's client (A, the LAC) finds the largest packet the session carries with
# LCP Echo-Requests that carry data, and holds its packets to it.
#
#   host H -- node A (tandem up, LAC) -- router R (silent hop) -- server B
#
#   pmtu_l2tp.sh tandem      B is Tandem's L2TP/IPsec gateway (LNS)
#   pmtu_l2tp.sh softether   B is SoftEther VPN Server's L2TP/IPsec, with a host on its Virtual
#                            Hub (through a Local Bridge) for iperf3 and the SYN capture
#
# R drops every packet over 1400 bytes (silent_hop_lib.sh) before any traffic, so neither node
# can learn the path from ICMP; A's own devices are 1500 bytes, so its MTU budget (and its
# device) is sized for 1500. Checked, with the figures printed:
#   - A's status shows the search complete with the probed MTU equal to what the test works out
#     from the hop's 1400 bytes and the headers of the ESP suite actually negotiated (read from
#     A's status), compared with `tandem mtu l2tp-ipsec --underlay 1400`; A logs the change;
#   - large ESP datagrams came back from B during the search (tshark on A's underlay): B's
#     Echo-Replies carry the probe's data (RFC 1661 section 5.8). SoftEther does (its PPP code
#     clones the request's data into the reply), so the search measures both directions with it;
#     a server whose replies were small would still only answer probes that arrived. SoftEther
#     answers one queued PPP control packet per wake-up of its session thread, so probes sent
#     in one burst were answered seconds late (counted lost, then a "black hole" while nothing
#     was wrong, then no answer at all for a while); Tandem spaces a session's probes 25 ms
#     apart;
#   - A's device (a client's) shows the probed MTU, so a DF ping one byte over it from H is
#     answered by A's kernel with ICMP fragmentation needed carrying the probed MTU, and one of
#     exactly the probed MTU passes;
#   - an iperf3 upload from H completes, moving bytes every second, and H's SYN reaches the far
#     side (B's device, or the host on SoftEther's hub) with MSS probed - 40;
#   - the hop raised to 1500 mid-run: with mtu_probe_interval = 10 the search looks upwards and
#     finds the larger size within the interval and one search (a search upwards begins 10 s
#     after the previous one began), and A's device follows.
#
# The expected size. An inner packet of N bytes leaves A as IPv4 20, UDP 4500 8, ESP header 8,
# the IV, the ESP payload (UDP 1701 8, L2TP 6, PPP 4, the packet and the 2-byte trailer) padded
# to the cipher's block, and the ICV. B's replies carry the same PPP frame back, so the largest
# probe answered is the largest size that fits both ways: Tandem's gateway writes the same
# 6-byte L2TP data header; SoftEther always sets the Length bit (an 8-byte header; its
# SendL2TPDataPacket), so its replies cost 2 bytes more, and with AES-CBC's 16-byte blocks that
# may cost a whole block. `tandem mtu` works the padding out exactly (not as a worst case), so
# its figure for the suite negotiated is the forward direction to the byte. Measured: Tandem's
# gateway agrees on AES-GCM, 1320 both ways, the budget's figure; SoftEther on AES-CBC-256 with
# HMAC-SHA1-96, 1308 towards it (the budget's figure) but 1306 back, so 1306 is probed. Both
# are configured at 1404 (the budget over 1500 for the costliest suite allowed).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/l2tp_probing_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: tandem or softether}
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"
HOP=1400
RAISED=1500
PROBE_INTERVAL=10

H="ph$TAG"
A="pa$TAG"
R="pr$TAG"
B="pb$TAG"
host_node_router_server "$H" "$A" "$R" "$B"
ip -n "$A" route add 192.168.93.0/24 via 192.168.92.2
ip -n "$B" route add 192.168.92.0/24 via 192.168.93.1
# The small hop is there before anything is sent: nothing ever learns it from ICMP.
silent_hop_set "$R" "$HOP"

A_IF="pla$TAG"
B_IF="plb$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$A_IF.l2tp")
PSK="a pre-shared key for path MTU probing"
logs() {
  for f in a b; do [ -f "$TMPDIR_TEST/$f.log" ] && { echo "=== $f.log"; tail -30 "$TMPDIR_TEST/$f.log"; }; done
  [ -z "${SOFTETHER_LOG:-}" ] || { echo "=== SoftEther"; tail -20 "$SOFTETHER_LOG"; }
  echo "=== A's sessions"
  ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" --json 2>/dev/null | python3 -c 'import json,sys
for s in json.load(sys.stdin)[0]["sessions"]: print(s)' || true
} >&2
ON_FAILURE=logs

case "$SCENARIO" in
  tandem)
    SOCKETS+=("$STATUS_DIR/$B_IF.l2tp")
    l2tp_gateway_config "$TMPDIR_TEST/b.toml" "$B_IF" "$PSK"
    start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
    B_PID=$TANDEM_PID
    SERVER_NS=$B SERVER_DEVICE=$B_IF TARGET=10.88.0.1 ROUTES='["10.88.0.0/24"]'
    USER_NAME=alice PASSWORD="correct horse"
    THEIR_L2TP=6
    ;;
  softether)
    source "$(dirname "$0")/../interop/softether_lib.sh"
    L="pl$TAG"
    make_ns "$L"
    HUB=TESTHUB
    USER_NAME=alice
    PASSWORD="S3cret-$RANDOM-pw"
    export SOFTETHER_L2TP_IPSEC=yes
    export SOFTETHER_PSK="$PSK"
    softether_start "$B" 192.168.93.2 "$HUB" "$USER_NAME" "$PASSWORD"
    softether_bridge_host "$HUB" "$L"
    B_PID=$SOFTETHER_PID
    # The inner SYN is seen on the hub host's device, past SoftEther.
    SERVER_NS=$L SERVER_DEVICE=$SOFTETHER_HOST_IF TARGET=$SOFTETHER_HOST
    ROUTES="[\"$SOFTETHER_NET\"]"
    USER_NAME="$USER_NAME@$HUB"
    THEIR_L2TP=8
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac

l2tp_client_config "$TMPDIR_TEST/a.toml" "$A_IF" 192.168.93.2 "$PSK" "$USER_NAME" "$PASSWORD" \
  "routes = $ROUTES" "mtu_probe_interval = $PROBE_INTERVAL"
# H's packets leave A from the session's address, the only one B routes back.
masquerade_behind "$A" "$A_IF"
# Large ESP datagrams both ways on A's underlay while the session comes up and is searched.
capture_start "$A" "va${TAG}92" "udp port 4500 and greater 1000" "$TMPDIR_TEST/esp.pcap"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
A_PID=$TANDEM_PID
T_START=$(date +%s%N)

status_json() { ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" --json; }
# probe_field FIELD: the first session's mtu_probe FIELD (or the session's own "mtu", "max"...).
probe_field() {
  status_json 2>/dev/null | python3 -c 'import json,sys
s = [s for s in json.load(sys.stdin)[0]["sessions"] if s["up"]]
p = s[0]["mtu_probe"] if s else {}
f = sys.argv[1]
print((s[0] if s else {}).get(f) if f in ("mtu", "configured_mtu") else p.get(f, ""))' "$1"
}
search_complete() { [ "$(probe_field state)" = complete ] && [ -n "$(probe_field probed)" ]; }
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's search of the session's path MTU complete" 90 search_complete
note "search complete $((($(date +%s%N) - T_START) / 1000000)) ms after A started"
capture_stop

status_json >"$TMPDIR_TEST/a-status.json"
read -r PROBED MAX SESSION_MTU CONFIGURED TOP_MTU SUITE SENT ACKED < <(python3 - "$TMPDIR_TEST/a-status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))[0]
s = [s for s in d["sessions"] if s["up"]][0]
p = s["mtu_probe"]
c = [c for c in d["ipsec"]["child_sas"] if c["carries_outbound"]][0]
print(p["probed"], p["max"], s["mtu"], s["configured_mtu"], d["mtu"], c["suite"],
      p["probes_sent"], p["probes_acked"])
PY
)
note "A's status: probed $PROBED (searched up to $MAX), session MTU $SESSION_MTU (configured" \
  "$CONFIGURED), interface MTU $TOP_MTU; $SENT probes sent, $ACKED answered; ESP $SUITE"
ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" | { grep -E "MTU|path MTU probing" || true; } | sed 's/^/--- text: /'

# The ESP suite negotiated, in the sizes the budget needs.
esp_suite_sizes "$SUITE"
min() { [ "$1" -le "$2" ] && echo "$1" || echo "$2"; }
FORWARD=$(l2tp_inner_over "$HOP" 6)
BACK=$(l2tp_inner_over "$HOP" "$THEIR_L2TP")
EXPECTED=$(min "$(min "$FORWARD" "$BACK")" "$MAX")
BUDGET=$("$TANDEM_BIN" mtu l2tp-ipsec --underlay "$HOP" --esp "$ESP_FLAG" | awk '/inner MTU/ {print $3}')
DEFAULT_BUDGET=$("$TANDEM_BIN" mtu l2tp-ipsec --underlay "$HOP" | awk '/inner MTU/ {print $3}')
note "over the $HOP-byte hop with $SUITE: $FORWARD bytes fit towards B, $BACK back" \
  "(B's L2TP header $THEIR_L2TP bytes); expected $EXPECTED; tandem mtu --esp $ESP_FLAG says" \
  "$BUDGET, its default (AES-GCM) $DEFAULT_BUDGET"
# Tandem's budget is the forward direction exactly: it must agree with the sum above. What was
# probed can only be below it where B's replies cost more (SoftEther's Length field).
[ "$BUDGET" = "$FORWARD" ] || die "tandem mtu prints $BUDGET, the headers add up to $FORWARD"
[ "$PROBED" = "$EXPECTED" ] || die "probed $PROBED, expected $EXPECTED"
[ "$SESSION_MTU" = "$PROBED" ] && [ "$TOP_MTU" = "$PROBED" ] ||
  die "the session (MTU $SESSION_MTU) and the interface (MTU $TOP_MTU) are not held to $PROBED"
[ "$CONFIGURED" -gt "$PROBED" ] || die "the configured MTU $CONFIGURED is not above the probed $PROBED"
# log_line EXTENDED_REGEX: the first line of A's log that matches, shown; dies when there is none.
log_line() {
  local line
  line=$(grep -E -m1 -- "$1" "$TMPDIR_TEST/a.log" || true)
  [ -n "$line" ] || die "A's log has no line matching '$1'"
  note "A's log: $line"
}
log_line "path MTU probing holds its packets to $PROBED \(was the configured MTU"

# B's replies to the probes, as tshark sees them on A's underlay: the sizes of the large ESP
# datagrams each way. Replies that came back large carried the probe's data.
sizes() {
  tshark -r "$TMPDIR_TEST/esp.pcap" -Y "ip.src == $1 && udp.port == 4500 && $CAPTURE_NOT_MARKER" \
    -T fields -e ip.len 2>/dev/null | sort -n | uniq -c | awk '{printf "%sx%s ", $1, $2}' || true
}
note "ESP datagrams over 1000 bytes from A: $(sizes 192.168.92.1)"
note "ESP datagrams over 1000 bytes from B: $(sizes 192.168.93.2)"
largest_back=$(tshark -r "$TMPDIR_TEST/esp.pcap" -Y "ip.src == 192.168.93.2 && udp.port == 4500" \
  -T fields -e ip.len 2>/dev/null | sort -n | tail -1 || true)
# The reply to the largest probe answered fills the hop (to within one cipher block).
[ -n "$largest_back" ] && [ "$largest_back" -gt $((HOP - BLOCK - 1)) ] && [ "$largest_back" -le "$HOP" ] ||
  die "no reply from B near $HOP bytes (largest: ${largest_back:-none}): B's Echo-Replies do not carry the probe's data?"

# A client's device shows what its sessions carry: one byte over it from behind A is answered by
# A's kernel (from A's address on H's link) with fragmentation needed.
device_mtu_is() {
  [ "$(ip -n "$A" -j link show dev "$A_IF" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["mtu"])')" = "$1" ]
}
wait_until "A's device MTU $PROBED" 10 device_mtu_is "$PROBED"
log_line "$A_IF: device MTU $CONFIGURED -> $PROBED, what probing found"
wait_ping "$H" "$TARGET" 30
one_byte_more "$H" "$TARGET" "$PROBED" 192.168.91.1
exactly_fits "$H" "$TARGET" "$PROBED"

# A TCP upload from H (its LAN is 1500 bytes: it offers MSS 1460), SYNs captured on the far
# side; bytes must move in every second.
transfer_with_syn_capture "$SERVER_NS" "$SERVER_DEVICE" "$TARGET" "$H" upload
mss=$(first_syn_mss "$TMPDIR_TEST/syn.pcap")
note "H's SYN at $SERVER_DEVICE: MSS $mss (expected $((PROBED - 40)))"
[ "$mss" = $((PROBED - 40)) ] || die "the SYN's MSS on the far side is $mss, not $((PROBED - 40))"

# The hop grows: the next search upwards (every PROBE_INTERVAL s) finds it. Where it settles:
# what fits towards B over the raised hop, or the most the search looks for. B's replies no
# longer limit it: the hop is now as large as B's own link, and a reply larger than that link
# leaves B in IP fragments (SoftEther's replies to the largest probes, 2 bytes longer than
# Tandem's requests, are 1504 bytes), each of which passes. Fragments from B are captured.
note "the $HOP-byte hop dropped $(silent_hop_drops "$R") packets (probes and the first pings)"
capture_start "$A" "va${TAG}92" "src host 192.168.93.2 and ip[6:2] & 0x3fff != 0" \
  "$TMPDIR_TEST/fragments.pcap"
silent_hop_set "$R" "$RAISED"
T_RAISE=$(date +%s%N)
RAISED_EXPECTED=$(min "$(l2tp_inner_over "$RAISED" 6)" "$MAX")
# Does B's reply to a probe of RAISED_EXPECTED bytes exceed its 1500-byte link?
room=$((RAISED_EXPECTED + 8 + THEIR_L2TP + 4 + 2))
REPLY_OUTER=$((20 + 8 + 8 + IV + (room + BLOCK - 1) / BLOCK * BLOCK + ICV))
found_again() { [ "$(probe_field probed)" = "$RAISED_EXPECTED" ]; }
# Within the interval and one search: a search upwards begins an interval after the previous
# one began, even when that one was under way (and losing sizes) as the hop grew.
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A finding the raised hop ($RAISED_EXPECTED)" $((3 * PROBE_INTERVAL)) found_again
took=$((($(date +%s%N) - T_RAISE) / 1000000))
note "hop raised to $RAISED: probed $RAISED_EXPECTED after $took ms (interval ${PROBE_INTERVAL} s)"
[ "$took" -le $((PROBE_INTERVAL * 1000 + 5000)) ] ||
  die "the raised hop was found $took ms after the raise, more than the interval and 5 s"
wait_until "A's device MTU $RAISED_EXPECTED" 10 device_mtu_is "$RAISED_EXPECTED"
capture_stop
fragments=$(tshark -r "$TMPDIR_TEST/fragments.pcap" -Y "ip.src == 192.168.93.2" 2>/dev/null | wc -l) ||
  die "tshark cannot read the capture of fragments"
note "B's reply to a $RAISED_EXPECTED-byte probe: $REPLY_OUTER bytes; $fragments IP fragments from B"
if [ "$REPLY_OUTER" -gt 1500 ]; then
  [ "$fragments" -gt 0 ] || die "B's $REPLY_OUTER-byte replies came back, but not in fragments?"
else
  [ "$fragments" = 0 ] || die "B sent fragments though its replies fit its link"
fi
# From PROBED, or from a size between: a search upwards that was under way when the hop grew
# settles on what it confirmed, and the next one goes the rest of the way.
log_line "path MTU probing holds its packets to $RAISED_EXPECTED \(was [0-9]+\)"
# From A itself: H keeps the smaller MTU A told it for ten minutes.
ip netns exec "$A" ping -c 2 -W 3 -M do -s $((RAISED_EXPECTED - 28)) "$TARGET" >"$TMPDIR_TEST/fits2.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits2.log" >&2; die "a DF ping of $RAISED_EXPECTED bytes did not pass the raised hop"; }

[ "$(grep -c "session .* down" "$TMPDIR_TEST/a.log" || true)" = 0 ] ||
  die "the session went down while probing"
note "the raised hop dropped $(silent_hop_drops "$R") packets"
kill -0 "$A_PID" && kill -0 "$B_PID" || die "a node died"
stop_pid "$A_PID" 30 "A"
[ "$SCENARIO" != softether ] || softether_stop
echo "PASS: pmtu_l2tp $SCENARIO: probed $PROBED over a $HOP-byte hop, $RAISED_EXPECTED over $RAISED"
