#!/bin/bash
# The MTU of a tunnel, end to end: WireGuard over an IPv4 or an IPv6 underlay (and over an IPv4
# underlay of jumbo frames, 9000 bytes), and L2TP/IPsec (a Tandem client dialling a Tandem
# gateway) with its ESP suite forced to AES-GCM or to AES-CBC with HMAC-SHA1-96:
#
#   host H -- node A (tandem up) -- router R -- node B (tandem up)
#
# Over jumbo frames the budget (8940) is more than the data path carries: the device MTU is kept
# to Tandem's largest tunnel packet, 1800, and every check below holds for that figure.
#
# Neither config names an MTU, so each node sizes its device from the budget: WireGuard from the
# path to its peer, the L2TP client from the path to its gateway, the gateway for a 1500-byte
# underlay (its clients' paths are not known before they dial). The test works out the MTU
# itself from the header sizes over the 1500-byte underlay:
#   WireGuard    IPv4 20 or IPv6 40, UDP 8, WireGuard 32 (data header 16, tag 16);
#   L2TP/IPsec   IPv4 20, UDP 4500 8, ESP header 8, the IV (GCM 8, CBC 16) and ICV (GCM 16,
#                HMAC-SHA1-96 12) around the ESP payload: UDP 1701 8, L2TP 6, PPP 4, the inner
#                packet and the 2-byte trailer, padded to 4 bytes (GCM) or 16 (CBC); the inner
#                MTU is the largest packet whose padded payload still fits;
# and checks:
#   - `tandem mtu` prints that inner MTU for the stack and underlay;
#   - both devices have it, and the client's log says it comes from the path;
#   - a DF ping of exactly that size from H (behind A) reaches B and comes back, its outer
#     datagrams are exactly the size the test works out, unfragmented, on the router's link
#     towards B; one byte more is answered by A with ICMP fragmentation needed carrying that MTU;
#   - H's SYN (advertising 1460 on its 1500-byte LAN) reaches B's device clamped to MTU - 40, in
#     a capture of SYNs decoded by tshark;
#   - the underlay shrunk to 1280 in the middle of a TCP transfer (the router's link towards B):
#     the transfer goes on, bytes flowing every second after the shrink, and completes;
#   - A learned the shrunk path from the router's ICMP on its socket: its log says so (L2TP/IPsec:
#     its status too), and a DF ping of the budget over 1280 passes while one byte more is
#     answered with that smaller MTU.
# L2TP/IPsec runs ESP in UDP 4500 (the client announces a NAT that is not there, the budget's
# framing; the gateway's status must show it) and A masquerades H behind its session's address.
#
# Plain L2TP (l2tp-plain: allow_unencrypted on both ends) is checked the same way: IPv4 20, UDP
# 1701 8, L2TP 6 and PPP 4.
#
#   mtu_stacks.sh wireguard-v4 | wireguard-v6 | wireguard-v4-jumbo | l2tp-ipsec-gcm |
#                 l2tp-ipsec-cbc | l2tp-plain
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: wireguard-v4, wireguard-v6, wireguard-v4-jumbo, l2tp-ipsec-gcm, l2tp-ipsec-cbc or l2tp-plain}
# Tandem's largest tunnel packet (kMaxTunnelMtu in src/base/packet.hpp).
MAX_TUNNEL_MTU=1800
UNDERLAY=1500

H="uh$TAG"
A="ua$TAG"
R="ur$TAG"
B="ub$TAG"
host_node_router_server "$H" "$A" "$R" "$B"
if [ "$SCENARIO" = wireguard-v4-jumbo ]; then
  UNDERLAY=9000
  ip -n "$A" link set dev "va${TAG}91" mtu 9000
  ip -n "$H" link set dev "vb${TAG}91" mtu 9000
  ip -n "$A" link set dev "va${TAG}92" mtu 9000
  ip -n "$R" link set dev "vb${TAG}92" mtu 9000
  ip -n "$R" link set dev "va${TAG}93" mtu 9000
  ip -n "$B" link set dev "vb${TAG}93" mtu 9000
fi
A_IF="wa$TAG"
B_IF="wb$TAG"
STATUS_DIR=/var/run/tandem

# The underlay's addresses: IPv4 for all but wireguard-v6.
if [ "$SCENARIO" = wireguard-v6 ]; then
  ip -n "$A" -6 route add fd00:93::/64 via fd00:92::2
  ip -n "$B" -6 route add fd00:92::/64 via fd00:93::1
else
  ip -n "$A" route add 192.168.93.0/24 via 192.168.92.2
  ip -n "$B" route add 192.168.92.0/24 via 192.168.93.1
fi

case "$SCENARIO" in
  wireguard-v4 | wireguard-v6 | wireguard-v4-jumbo)
    STACK=wireguard
    if [ "$SCENARIO" != wireguard-v6 ]; then
      A_ENDPOINT="192.168.92.1:51850" B_ENDPOINT="192.168.93.2:51851"
      IP_HEADER=20 MTU_FLAGS=""
    else
      A_ENDPOINT="[fd00:92::1]:51850" B_ENDPOINT="[fd00:93::2]:51851"
      IP_HEADER=40 MTU_FLAGS="--ipv6"
    fi
    EXPECTED=$((UNDERLAY - IP_HEADER - 8 - 32))
    [ "$EXPECTED" -gt "$MAX_TUNNEL_MTU" ] && EXPECTED=$MAX_TUNNEL_MTU
    # WireGuard pads to 16 only up to the MTU: a packet of exactly the MTU is not padded.
    OUTER=$((EXPECTED + 32 + 8 + IP_HEADER))
    OUTER_PORT=51851
    TARGET=10.90.0.2  # B's address inside the tunnel
    ;;
  l2tp-ipsec-gcm | l2tp-ipsec-cbc)
    STACK=l2tp-ipsec
    if [ "$SCENARIO" = l2tp-ipsec-gcm ]; then
      # RFC 4106: an 8-byte IV, a 16-byte ICV; ESP aligns its trailer to 4 bytes (RFC 4303).
      IV=8 ICV=16 BLOCK=4 ESP_SUITE=aes-gcm PROPOSAL=aes256gcm16 SUITE_NAME=AES_GCM_16_256
    else
      # RFC 3602: a 16-byte IV and 16-byte blocks; RFC 2404: HMAC-SHA1-96's 12-byte ICV.
      IV=16 ICV=12 BLOCK=16 ESP_SUITE=aes-cbc-sha1 PROPOSAL=aes256-sha1
      SUITE_NAME=AES_CBC_256/HMAC_SHA1_96
    fi
    MTU_FLAGS="--esp $ESP_SUITE"
    # What the underlay leaves for ESP's padded payload, rounded down to the block; the payload
    # is the inner packet, UDP 1701 8, L2TP 6, PPP 4 and the 2-byte trailer.
    room=$((1500 - 20 - 8 - 8 - IV - ICV))
    padded=$((room / BLOCK * BLOCK))
    EXPECTED=$((padded - 2 - 8 - 6 - 4))
    OUTER=$((20 + 8 + 8 + IV + padded + ICV))
    OUTER_PORT=4500
    TARGET=10.88.0.1  # the gateway's address inside the session
    PSK="a pre-shared key for the MTU test"
    ;;
  l2tp-plain)
    STACK=l2tp MTU_FLAGS=""
    EXPECTED=$((1500 - 20 - 8 - 6 - 4))
    OUTER=1500
    OUTER_PORT=1701
    TARGET=10.88.0.1
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac

# The inner MTU over an underlay of $1 bytes, from the same header sizes.
inner_mtu_over() {
  if [ "$STACK" = wireguard ]; then
    echo $(($1 - IP_HEADER - 8 - 32))
  elif [ "$STACK" = l2tp ]; then
    echo $(($1 - 20 - 8 - 6 - 4))
  else
    local room=$(($1 - 20 - 8 - 8 - IV - ICV))
    echo $((room / BLOCK * BLOCK - 2 - 8 - 6 - 4))
  fi
}
BUDGET=$(inner_mtu_over "$UNDERLAY")
[ "$BUDGET" = "$EXPECTED" ] || [ "$EXPECTED" = "$MAX_TUNNEL_MTU" ] || die "the test's own sums disagree"

# What `tandem mtu` says for this stack, against the sum above.
printed=$("$TANDEM_BIN" mtu "$STACK" --underlay "$UNDERLAY" $MTU_FLAGS | awk '/inner MTU/ {print $3}')
note "tandem mtu $STACK --underlay $UNDERLAY $MTU_FLAGS: inner MTU $printed (computed here: $BUDGET)"
[ "$printed" = "$BUDGET" ] || die "tandem mtu prints $printed, the headers add up to $BUDGET"

logs() { for f in a b; do echo "=== $f.log" >&2; tail -20 "$TMPDIR_TEST/$f.log" >&2 || true; done; }
ON_FAILURE=logs

if [ "$STACK" = wireguard ]; then
  SOCKETS+=("/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")
  KA=$("$TANDEM_BIN" genkey)
  KB=$("$TANDEM_BIN" genkey)
  PA=$(echo "$KA" | "$TANDEM_BIN" pubkey)
  PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
  cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "$A_IF"
private_key = "$KA"
listen_port = 51850
addresses = ["10.90.0.1/24"]

[[peer]]
public_key = "$PB"
endpoint = "$B_ENDPOINT"
allowed_ips = ["10.90.0.2/32"]
TOML
  cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "$B_IF"
private_key = "$KB"
listen_port = 51851
addresses = ["10.90.0.2/24"]

[[peer]]
public_key = "$PA"
endpoint = "$A_ENDPOINT"
allowed_ips = ["10.90.0.1/32", "192.168.91.0/24"]
TOML
  start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log" "/var/run/wireguard/$B_IF.sock"
  B_PID=$TANDEM_PID
  start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log" "/var/run/wireguard/$A_IF.sock"
  A_PID=$TANDEM_PID
else
  SOCKETS+=("$STATUS_DIR/$A_IF.l2tp" "$STATUS_DIR/$B_IF.l2tp")
  # Both ends allow only the suite under test, or (plain L2TP) no IPsec at all.
  if [ "$STACK" = l2tp ]; then
    IPSEC="" PLAIN="allow_unencrypted = true"
  else
    IPSEC=$(printf '[l2tp.ipsec]\npsk = "%s"\nesp_proposals = ["%s"]' "$PSK" "$PROPOSAL") PLAIN=""
  fi
  # The budget alone is under test: no path MTU probing, whose LCP echoes of every size would
  # mix with the pings in the capture (pmtu_l2tp*.sh test it).
  cat >"$TMPDIR_TEST/b.toml" <<TOML
[l2tp]
mode = "lns"
$PLAIN
mtu_probing = false
interface = "$B_IF"
host_name = "gateway"
address = "10.88.0.1/24"
pool = "10.88.0.10-10.88.0.20"

[[l2tp.user]]
name = "alice"
password = "correct horse"

$IPSEC
TOML
  cat >"$TMPDIR_TEST/a.toml" <<TOML
[l2tp]
mode = "lac"
$PLAIN
mtu_probing = false
interface = "$A_IF"
host_name = "client"
server = "192.168.93.2"
routes = ["10.88.0.0/24"]

[[l2tp.session]]
user = "alice"
password = "correct horse"

$IPSEC
TOML
  # H's packets leave A from the session's address, the only one the gateway routes back.
  masquerade_behind "$A" "$A_IF"
  start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
  B_PID=$TANDEM_PID
  start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
  A_PID=$TANDEM_PID
  session_up() {
    ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" --json 2>/dev/null | python3 -c 'import json,sys
sys.exit(0 if any(s["up"] for s in json.load(sys.stdin)[0]["sessions"]) else 1)'
  }
  WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
    wait_until "the client's L2TP/IPsec session up" 60 session_up
  # The SA the budget was worked out for: the forced suite, ESP in UDP 4500.
  [ "$STACK" = l2tp ] || ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" --json >"$TMPDIR_TEST/b-status.json" ||
    die "no status from the gateway"
  [ "$STACK" = l2tp ] || python3 - "$TMPDIR_TEST/b-status.json" "$SUITE_NAME" <<'PY' || die "the gateway's ESP SA is not the one the budget is for"
import json, sys
sas = [c for c in json.load(open(sys.argv[1]))[0]["ipsec"]["child_sas"] if c["carries_outbound"]]
assert len(sas) == 1, sas
c = sas[0]
print("--- gateway's ESP SA:", c["suite"], "in UDP" if c["udp_encapsulated"] else "as IP protocol 50")
assert c["suite"] == sys.argv[2] and c["udp_encapsulated"], c
PY
fi

device_mtu() { ip -n "$1" -j link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])'; }
mtu_line() { grep -o 'MTU [0-9]* (.*)' "$1" | head -1 || true; }
note "device MTUs: A $(device_mtu "$A" "$A_IF"), B $(device_mtu "$B" "$B_IF")"
note "A's log: $(mtu_line "$TMPDIR_TEST/a.log")"
note "B's log: $(mtu_line "$TMPDIR_TEST/b.log")"
[ "$(device_mtu "$A" "$A_IF")" = "$EXPECTED" ] || die "A's device MTU is not $EXPECTED"
[ "$(device_mtu "$B" "$B_IF")" = "$EXPECTED" ] || die "B's device MTU is not $EXPECTED"
grep -q "MTU $EXPECTED (the path to " "$TMPDIR_TEST/a.log" ||
  die "A's log does not say its MTU comes from the path to its peer"
if [ "$EXPECTED" != "$BUDGET" ]; then
  grep -q "kept to $EXPECTED, the largest packet the data path carries" "$TMPDIR_TEST/a.log" ||
    die "A's log does not say its MTU was kept to the data path's largest packet"
fi

wait_ping "$H" "$TARGET" 30
# Exactly the MTU, DF set, from the host behind A: through the tunnel and back, each way in one
# outer datagram of the size worked out above (captured on the router's link towards B).
capture_start "$R" "va${TAG}93" \
  "(udp port $OUTER_PORT and greater 1200) or (ip[6:2] & 0x3fff != 0) or (ip6 and ip6[6] == 44)" \
  "$TMPDIR_TEST/outer.pcap"
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((EXPECTED - 28)) "$TARGET" >"$TMPDIR_TEST/fits.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits.log" >&2; die "a DF ping of exactly $EXPECTED bytes did not pass"; }
capture_stop
note "a DF ping of $EXPECTED bytes from H passed"
# Frame lengths less the 14-byte Ethernet header, and any fragment at all.
sizes=$(tshark -r "$TMPDIR_TEST/outer.pcap" -Y "udp.port == $OUTER_PORT && $CAPTURE_NOT_MARKER" \
  -T fields -e frame.len 2>/dev/null | awk '{print $1 - 14}' | sort | uniq -c | tr -s ' \n' ' ' || true)
fragments=$(tshark -r "$TMPDIR_TEST/outer.pcap" \
  -Y "ip.flags.mf == 1 || ip.frag_offset > 0 || ipv6.fragment" 2>/dev/null | wc -l) ||
  die "tshark cannot read the capture of the outer datagrams"
note "outer datagrams of the DF pings on the underlay (count, bytes): $sizes; fragments: $fragments (expected $OUTER bytes)"
[ "$fragments" = 0 ] || die "the outer datagrams of packets of exactly the MTU were fragmented"
read -r count size rest <<<"$sizes"
[ "${size:-}" = "$OUTER" ] && [ -z "${rest:-}" ] && [ "${count:-0}" -ge 4 ] ||
  die "the DF pings did not cross the underlay as 4 or more datagrams of $OUTER bytes: $sizes"
# One byte more: A answers with fragmentation needed, carrying its device's MTU.
one_byte_more "$H" "$TARGET" "$EXPECTED" 192.168.91.1
# H's SYN as it comes out of B's device, and the router's link towards B shrinking (both ends)
# under the transfer.
syn_clamped_while_shrinking "$B" "$B_IF" "$TARGET" "$H" $((EXPECTED - 40)) \
  "$R:va${TAG}93" "$B:vb${TAG}93"

# The shrunk path, learned from the router's ICMP about A's datagrams: A now holds what it sends
# to B to the budget over 1280.
SHRUNK=$(inner_mtu_over 1280)
if [ "$STACK" = wireguard ]; then
  learned=$(grep -o "carries only [0-9]*-byte datagrams: inner packets over [0-9]*" "$TMPDIR_TEST/a.log" | head -1)
  expected_line="carries only 1280-byte datagrams: inner packets over $SHRUNK"
else
  learned=$(grep -o "underlay towards [0-9.]* carries only [0-9]*-byte datagrams" "$TMPDIR_TEST/a.log" | head -1)
  expected_line="underlay towards 192.168.93.2 carries only 1280-byte datagrams"
  # ESP's peers are in the IPsec document, plain L2TP's in the interface's own.
  status_mtu=$(ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" --json | python3 -c 'import json,sys
d = json.load(sys.stdin)[0]
print(d["mtu"], d.get("ipsec", d)["underlay_path_mtu"].get("192.168.93.2"))')
  note "A's status after the shrink: mtu and underlay path MTU towards B: $status_mtu"
  [ "$status_mtu" = "$SHRUNK 1280" ] || die "A's status does not show the 1280-byte underlay and MTU $SHRUNK"
fi
note "A's log: ${learned:-nothing about the underlay path MTU}"
[ "$learned" = "$expected_line" ] || die "A did not learn the 1280-byte underlay from the router's ICMP"
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((SHRUNK - 28)) "$TARGET" >"$TMPDIR_TEST/fits2.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits2.log" >&2; die "a DF ping of $SHRUNK bytes did not pass the shrunk path"; }
ip netns exec "$H" ping -c 1 -W 3 -M do -s $((SHRUNK - 27)) "$TARGET" >"$TMPDIR_TEST/toobig2.log" 2>&1 || true
# H learned the MTU from A's answers during the transfer, so its own stack may refuse the ping
# ("mtu=") with the value A told it: either way it is A's figure.
grep -qE "mtu ?= ?$SHRUNK" "$TMPDIR_TEST/toobig2.log" ||
  { cat "$TMPDIR_TEST/toobig2.log" >&2; die "one byte over $SHRUNK was not answered with that MTU"; }
note "after the shrink: $SHRUNK bytes pass, one more: $(grep -m1 -oE '(Frag needed|local error).*' "$TMPDIR_TEST/toobig2.log")"
kill -0 "$A_PID" && kill -0 "$B_PID" || die "a node died"
note "mtu $SCENARIO: ok"
