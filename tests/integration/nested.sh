#!/bin/bash
# Nesting, Tandem to Tandem: a client whose config stacks one tunnel inside the other
# ([nesting], one process, one device) and a server running a WireGuard interface and an
# L2TP/IPsec gateway side by side (`tandem up` with [interface] and [l2tp], each on its own
# device), so the server's kernel hands the inner protocol from one to the other.
#
#   nested.sh wireguard-in-l2tp   [nesting] outer = "l2tp": WireGuard's datagrams ride the
#                                 L2TP/IPsec session to the gateway's address inside it
#   nested.sh l2tp-in-wireguard   [nesting] outer = "wireguard": L2TP/IPsec (IKE, ESP in UDP 4500)
#                                 rides WireGuard to the gateway's address inside it
#   nested.sh wireguard-in-ipsec  [nesting] outer = "ipsec": WireGuard rides an IKEv2 ESP tunnel
#                                 (the server runs [ipsec], a site tunnel, instead of [l2tp])
#   nested.sh ipsec-in-wireguard  [nesting] outer = "wireguard": an IKEv2 ESP tunnel rides
#                                 WireGuard to the server's address inside it
#
#   host H -- client CL (tandem up, [nesting]) -- router R -- server SV (tandem up)
#
# Each checks: ping and a TCP transfer through the stack; the device MTU the client reports is
# the one the test computes from the header sizes (no config names an mtu), and a DF ping of
# exactly that size passes; a capture on the underlay holds only the outer protocol (not one
# packet of the inner one); the client's nested counters show datagrams carried both ways. Then,
# from H, which the client masquerades behind its address inside the stack: a DF packet of
# exactly the MTU passes and one byte more is answered by the client with ICMP fragmentation
# needed carrying the MTU; H's SYN (1460 on its LAN) reaches the server's device for the inner
# protocol clamped to MTU - 40 (a capture of SYNs); the router's link towards the server shrinks
# to 1280 in the middle of a TCP transfer from H, which goes on and completes. A clean stop.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/nested_lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: wireguard-in-l2tp, l2tp-in-wireguard, wireguard-in-ipsec or ipsec-in-wireguard}
PSK="a pre-shared key for the nested test"

SV="ns$TAG"
CL="nc$TAG"
R="nr$TAG"
H="nh$TAG"
for ns in "$SV" "$CL" "$R" "$H"; do make_ns "$ns"; done
link_ns "$SV" "$R" 86
link_ns "$R" "$CL" 87
link_ns "$CL" "$H" 88
UNDERLAY="va${TAG}86"  # the server's side of its link to the router
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "$CL" sysctl -qw net.ipv4.ip_forward=1
ip -n "$SV" route add 192.168.87.0/24 via 192.168.86.2
ip -n "$CL" route add 192.168.86.0/24 via 192.168.87.1
ip -n "$H" route add default via 192.168.88.1
SV_WG="sw$TAG"
SV_L2="sl$TAG"
CL_IF="cn$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$SV_L2.l2tp" "$STATUS_DIR/$SV_L2.ipsec" "$STATUS_DIR/$CL_IF.hybrid"
  "$STATUS_DIR/$CL_IF.l2tp" "$STATUS_DIR/$CL_IF.ipsec"
  "/var/run/wireguard/$SV_WG.sock" "/var/run/wireguard/$CL_IF.sock")

SK=$("$TANDEM_BIN" genkey)
CK=$("$TANDEM_BIN" genkey)
SP=$(echo "$SK" | "$TANDEM_BIN" pubkey)
CP=$(echo "$CK" | "$TANDEM_BIN" pubkey)

# The server: WireGuard 10.96.0.1 on UDP 51820, and either an L2TP/IPsec gateway 10.86.0.1 handing
# out 10.86.0.10 and up, or (wireguard-in-ipsec) an IKEv2 ESP tunnel between 10.87.0.1 and the
# client's 10.87.0.2. Each listens on every address, so each is reachable inside the other.
SERVER_WG=$(cat <<TOML
[interface]
name = "$SV_WG"
private_key = "$SK"
listen_port = 51820
addresses = ["10.96.0.1/24"]

[[peer]]
name = "client"
public_key = "$CP"
allowed_ips = ["10.96.0.2/32"]
TOML
)
if [ "$SCENARIO" = wireguard-in-ipsec ] || [ "$SCENARIO" = ipsec-in-wireguard ]; then
  # Inside WireGuard the server speaks IKE from its WireGuard address, to the client's.
  SV_IKE=192.168.86.1 CL_IKE=192.168.87.2
  [ "$SCENARIO" = ipsec-in-wireguard ] && SV_IKE=10.96.0.1 CL_IKE=10.96.0.2
  cat >"$TMPDIR_TEST/sv.toml" <<TOML
$SERVER_WG

[ipsec]
interface = "$SV_L2"
local_address = "$SV_IKE"
addresses = ["10.87.0.1/24"]

[[ipsec.connection]]
name = "client"
remote_address = "$CL_IKE"
psk = "$PSK"
local_subnets = ["10.87.0.1/32"]
remote_subnets = ["10.87.0.2/32"]
start = false
TOML
else
  # WireGuard inside L2TP/IPsec: the gateway's device is given 4 bytes less than the budget its
  # sessions carry (1404, as the client's session has), so that the server's WireGuard datagrams
  # of the client's full MTU do not fit it: the server's WireGuard must learn that (below).
  SV_L2TP_MTU=""
  if [ "$SCENARIO" = wireguard-in-l2tp ]; then SV_L2TP_MTU="mtu = 1400"; fi
  cat >"$TMPDIR_TEST/sv.toml" <<TOML
$SERVER_WG

[l2tp]
mode = "lns"
interface = "$SV_L2"
host_name = "gateway"
address = "10.86.0.1/24"
pool = "10.86.0.10-10.86.0.20"
$SV_L2TP_MTU

[[l2tp.user]]
name = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML
fi

case "$SCENARIO" in
  wireguard-in-l2tp)
    WG_ENDPOINT="10.86.0.1:51820"  # inside the L2TP session
    L2TP_SERVER="192.168.86.1"
    L2TP_ROUTES=""
    OUTER=l2tp
    STARTED_AS="WireGuard inside L2TP/IPsec"
    TARGET=10.96.0.1  # reached through WireGuard, inside L2TP/IPsec
    # The L2TP session carries what the costliest default suite leaves of its 1500-byte path;
    # WireGuard inside it adds IPv4 (20), UDP (8) and its own 32 (data header 16, tag 16).
    EXPECTED_MTU=$(($(costliest_default_suite 1500 $((8 + 6 + 4))) - 20 - 8 - 32))
    FAR_IF=$SV_WG  # the server's device for the inner protocol
    OUTER_FILTER="udp.port == 4500 || udp.port == 500 || esp"
    INNER_FILTER="udp.port == 51820"
    ;;
  wireguard-in-ipsec)
    WG_ENDPOINT="10.87.0.1:51820"  # inside the ESP tunnel
    OUTER=ipsec
    STARTED_AS="WireGuard inside an ESP tunnel"
    TARGET=10.96.0.1
    # The ESP tunnel carries 1400 (its default mtu); WireGuard inside it adds IPv4 20, UDP 8, 32.
    EXPECTED_MTU=$((1400 - 20 - 8 - 32))
    FAR_IF=$SV_WG
    OUTER_FILTER="udp.port == 4500 || udp.port == 500 || esp"
    INNER_FILTER="udp.port == 51820"
    ;;
  ipsec-in-wireguard)
    WG_ENDPOINT="192.168.86.1:51820"
    OUTER=wireguard
    STARTED_AS="an ESP tunnel inside WireGuard"
    TARGET=10.87.0.1  # reached through the ESP tunnel, inside WireGuard
    # WireGuard carries 1440 (its 1500-byte path less 60); the ESP tunnel inside it: IPv4 20,
    # UDP 4500 8, ESP 8, then the costliest suite it may negotiate (nothing inside ESP but the
    # inner packet), and no more than the [ipsec] section's default mtu, 1400.
    EXPECTED_MTU=$(costliest_default_suite $((1500 - 20 - 8 - 32)) 0)
    [ "$EXPECTED_MTU" -gt 1400 ] && EXPECTED_MTU=1400
    FAR_IF=$SV_L2
    OUTER_FILTER="udp.port == 51820"
    INNER_FILTER="udp.port == 500 || udp.port == 4500 || esp || isakmp"
    ;;
  l2tp-in-wireguard)
    WG_ENDPOINT="192.168.86.1:51820"
    L2TP_SERVER="10.96.0.1"  # inside WireGuard
    L2TP_ROUTES='routes = ["10.86.0.0/24"]'
    OUTER=wireguard
    STARTED_AS="L2TP/IPsec inside WireGuard"
    TARGET=10.86.0.1  # reached through L2TP/IPsec, inside WireGuard
    # WireGuard carries what its path does (1500 bytes) less IPv4 20, UDP 8 and its 32;
    # L2TP/IPsec inside it the costliest default suite with UDP 1701 8, L2TP 6, PPP 4 inside ESP.
    EXPECTED_MTU=$(costliest_default_suite $((1500 - 20 - 8 - 32)) $((8 + 6 + 4)))
    FAR_IF=$SV_L2
    OUTER_FILTER="udp.port == 51820"
    INNER_FILTER="udp.port == 500 || udp.port == 4500 || udp.port == 1701 || esp || isakmp || l2tp"
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac

# `tandem mtu` for the two stacks it names, with each suite Tandem offers by default: the
# smallest figure is the MTU worked out above (the device is sized for the costliest suite).
case "$SCENARIO" in
  wireguard-in-l2tp) MTU_STACK=wireguard-in-l2tp-ipsec ;;
  l2tp-in-wireguard) MTU_STACK=l2tp-ipsec-in-wireguard ;;
  *) MTU_STACK="" ;;
esac
if [ -n "$MTU_STACK" ]; then
  printed=$(for suite in aes-gcm aes-cbc-sha1 aes-cbc-sha256; do
    "$TANDEM_BIN" mtu "$MTU_STACK" --underlay 1500 --esp "$suite" | awk '/inner MTU/ {print $3}'
  done | sort -n | head -1)
  note "tandem mtu $MTU_STACK --underlay 1500, the costliest default suite: $printed (computed here: $EXPECTED_MTU)"
  [ "$printed" = "$EXPECTED_MTU" ] || die "tandem mtu prints $printed, the headers add up to $EXPECTED_MTU"
fi

if [ "$SCENARIO" = wireguard-in-ipsec ] || [ "$SCENARIO" = ipsec-in-wireguard ]; then
  INNER_SECTION=$(cat <<TOML
[ipsec]
local_address = "$CL_IKE"
addresses = ["10.87.0.2/24"]

[[ipsec.connection]]
name = "server"
remote_address = "$SV_IKE"
psk = "$PSK"
local_subnets = ["10.87.0.2/32"]
remote_subnets = ["10.87.0.1/32"]
start = true
TOML
)
else
  INNER_SECTION=$(cat <<TOML
[l2tp]
mode = "lac"
host_name = "client"
server = "$L2TP_SERVER"
$L2TP_ROUTES

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML
)
fi
cat >"$TMPDIR_TEST/cl.toml" <<TOML
[interface]
name = "$CL_IF"
private_key = "$CK"
listen_port = 51820
addresses = ["10.96.0.2/24"]

[[peer]]
name = "server"
public_key = "$SP"
endpoint = "$WG_ENDPOINT"
allowed_ips = ["10.96.0.0/24"]

$INNER_SECTION

[nesting]
outer = "$OUTER"
TOML

logs() {
  for f in sv cl; do echo "=== $f.log" >&2; tail -40 "$TMPDIR_TEST/$f.log" >&2 || true; done
}
ON_FAILURE=logs

start_tandem_up "$SV" "$TMPDIR_TEST/sv.toml" "$TMPDIR_TEST/sv.log"
SV_PID=$TANDEM_PID
wait_until "the server's WireGuard UAPI socket" 30 test -S "/var/run/wireguard/$SV_WG.sock"

# Every packet on the underlay from before the client starts: the inner protocol must not be
# among them, from its first handshake or IKE message on.
capture_start "$SV" "$UNDERLAY" "udp or esp" "$TMPDIR_TEST/underlay.pcap"
start_nested_tandem "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log" "$CL_IF" "$STARTED_AS"
CL_PID=$TANDEM_PID

WAIT_WATCH_PID=$CL_PID wait_until "a ping through the nested stack to $TARGET" 60 \
  ip netns exec "$CL" ping -c 1 -W 1 "$TARGET"
ping_ok "$CL" "$TARGET"

mtu=$(nested_field "$CL" "$CL_IF" "d['mtu']")
note "client device MTU $mtu (computed here: $EXPECTED_MTU)"
[ "$mtu" = "$EXPECTED_MTU" ] || die "the nested device's MTU is $mtu, expected $EXPECTED_MTU"
[ "$(ip -n "$CL" -j link show dev "$CL_IF" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')" = "$mtu" ] ||
  die "the device itself does not have MTU $mtu"
# A DF packet of exactly the MTU goes through every layer and back.
ping_bytes "$CL" "$TARGET" "$mtu" -M do

iperf_ok "$SV" "$CL" "$TARGET" 3
# The server's WireGuard keeps its default MTU (1420), as a peer one does not configure would: its
# largest datagrams are more than its L2TP device (1400) takes. Its kernel refuses them (DF), and
# it learns the path from that: inner packets over 1400 less IPv4, UDP and WireGuard are answered
# with ICMP, so a transfer towards the client still flows. (Fragments of carried datagrams from
# peers that let their kernel fragment are reassembled: the interop test with charon shows it.)
if [ "$SCENARIO" = wireguard-in-l2tp ]; then
  ip netns exec "$SV" iperf3 -s -1 -B "$TARGET" >"$TMPDIR_TEST/iperf-r-server.log" 2>&1 &
  PIDS+=($!)
  WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$SV" tcp 5201 30 "the iperf3 server"
  ip netns exec "$CL" iperf3 -c "$TARGET" -R -t 3 -J >"$TMPDIR_TEST/iperf-r.json" 2>&1 ||
    { cat "$TMPDIR_TEST/iperf-r.json" >&2; die "iperf3 from $TARGET (reverse) failed"; }
  reverse=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]) // 1000000)' "$TMPDIR_TEST/iperf-r.json")
  note "iperf3 TCP from $TARGET: $reverse Mbit/s"
  [ "$reverse" -gt 0 ] || die "nothing came back from $TARGET"
  learned=$(grep -o "carries only [0-9]*-byte datagrams: inner packets over [0-9]*" "$TMPDIR_TEST/sv.log" | head -1)
  note "the server's WireGuard: ${learned:-learned nothing about its path}"
  [ "$learned" = "carries only 1400-byte datagrams: inner packets over $((1400 - 20 - 8 - 32))" ] ||
    die "the server's WireGuard did not hold its packets to the 1400-byte L2TP session"
fi

capture_stop
underlay_only_outer "$TMPDIR_TEST/underlay.pcap" "$OUTER_FILTER" "$INNER_FILTER" 1000
nested_carried_both_ways "$CL" "$CL_IF" 1000 100

# H, behind the client, which masquerades it behind its own address inside the stack.
masquerade_behind "$CL" "$CL_IF"
wait_ping "$H" "$TARGET" 30
ping_bytes "$H" "$TARGET" "$mtu" -M do
one_byte_more "$H" "$TARGET" "$mtu" 192.168.88.1
# H's SYN at the server's device for the inner protocol, while the router's link towards the
# server (both ends) shrinks under the transfer.
# The server's end clamps the SYN too, to what its own tunnel to the client carries: the same
# MTU, except where its WireGuard learned the smaller 1400-byte L2TP session (1340, above).
far_mtu=$mtu
[ "$SCENARIO" = wireguard-in-l2tp ] && far_mtu=$((mtu < 1340 ? mtu : 1340))
syn_clamped_while_shrinking "$SV" "$FAR_IF" "$TARGET" "$H" $((far_mtu - 40)) \
  "$R:vb${TAG}86" "$SV:va${TAG}86"

stop_pid "$CL_PID" 30 "the nested client"
grep -q "hanging up" "$TMPDIR_TEST/cl.log" || die "the client did not hang up its outer or inner tunnel"
note "nested $SCENARIO: ok"
