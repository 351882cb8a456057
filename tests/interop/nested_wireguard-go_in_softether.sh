#!/bin/bash
# Nesting against real peers: Tandem's WireGuard talks to wireguard-go on a host that it reaches
# only through an L2TP/IPsec session to SoftEther VPN Server ([nesting] outer = "l2tp": one
# process, one TUN device, WireGuard's datagrams carried inside the PPP session).
#
#   client ns                      server ns                          host ns
#   Tandem (nested device) --veth-- SoftEther: IKEv1/ESP, L2TP, PPP,   wireguard-go 10.91.0.1
#   10.91.0.2 (WireGuard)  underlay Virtual Hub, SecureNAT --Local--   on the hub's segment,
#   PPP address from SecureNAT      192.168.91.1           Bridge--   SOFTETHER_HOST:51820
#
# Tandem dials SoftEther as in softether_ikev1_esp.sh (IKEv1 Main Mode with a PSK, ESP transport
# mode in UDP 4500, L2TP, PPP with MS-CHAPv2, IPCP); its one [[peer]] is wireguard-go at the
# bridged host's address on the hub, which only the PPP session reaches.
#
# Checked: pings both ways and an iperf3 TCP transfer through WireGuard to wireguard-go's inner
# address, a DF ping of exactly the nested device's MTU and a 1400-byte ping from wireguard-go's
# side; wireguard-go's `wg show` reports a handshake and traffic from an endpoint that is Tandem's
# PPP address (port 51820), i.e. the datagrams came out of the L2TP session; a capture of the
# underlay (proven live before Tandem starts) holds only IKE and ESP, not one WireGuard packet;
# Tandem's nested status shows datagrams carried both ways; Tandem hangs up cleanly and SoftEther
# ends the session. One tunnel at a time (softether_lib.sh).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/softether_lib.sh"
source "$(dirname "$0")/../integration/nested_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"

SV="s$TAG"
CL="c$TAG"
LAN="h$TAG"
make_ns "$SV"
make_ns "$CL"
make_ns "$LAN"
link_ns "$SV" "$CL" 91
UNDERLAY="vb${TAG}91"  # the client's side of the veth
CL_MAC=$(ip -n "$CL" -j link show dev "$UNDERLAY" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
HUB=TESTHUB
USER_NAME=alice
PASSWORD="S3cret-$RANDOM-pw"
export SOFTETHER_L2TP_IPSEC=yes
export SOFTETHER_PSK="psk-$RANDOM-$RANDOM-$RANDOM"
softether_start "$SV" 192.168.91.1 "$HUB" "$USER_NAME" "$PASSWORD"
softether_bridge_host "$HUB" "$LAN"
HOST=$SOFTETHER_HOST

CL_IF="cn$TAG"
GO_IF="wg$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.l2tp" "/var/run/wireguard/$CL_IF.sock")
CK=$("$TANDEM_BIN" genkey)
CP=$(echo "$CK" | "$TANDEM_BIN" pubkey)

# Tandem's L2TP session carries what its 1500-byte path leaves with the costliest ESP suite it
# proposes and its own framing (a 6-byte L2TP header; no mtu in the config, so this is its PPP
# MRU too), and its nested device that less 20 (IPv4), 8 (UDP) and 32 (WireGuard).
NESTED_MTU=$(($(costliest_default_suite 1500 $((8 + 6 + 4))) - 20 - 8 - 32))
# wireguard-go pads to its own device's MTU, and SoftEther sends what it gets over PPP whole: it
# does not cut a datagram larger than the session carries into IP fragments (which Tandem's nested
# receive path would reassemble), so its ESP in UDP crosses the underlay in IP fragments, which
# the check below counts as neither IKE nor ESP. SoftEther's L2TP framing is a few bytes larger
# than Tandem's (a PPP frame of the 1404 bytes Tandem's MRU allows came out of it over 1500 bytes
# with AES-CBC/HMAC-SHA1-96), so wireguard-go, as a peer reached through a nested stack should
# be, is configured for what SoftEther carries whole: 1400 bytes of PPP, less 60.
GO_MTU=1340
start_wireguard_go_peer "$LAN" "$GO_IF" 10.91.0.1/24 "$GO_MTU" "$CP" 10.91.0.2/32
note "wireguard-go $GO_IF in $LAN: 10.91.0.1, UDP $HOST:51820, MTU $GO_MTU"

cat >"$TMPDIR_TEST/cl.toml" <<TOML
[interface]
name = "$CL_IF"
private_key = "$CK"
listen_port = 51820
addresses = ["10.91.0.2/24"]

[[peer]]
name = "wireguard-go"
public_key = "$WG_GO_PUB"
endpoint = "$HOST:51820"  # inside the L2TP session: the bridged host on SoftEther's hub
allowed_ips = ["10.91.0.0/24"]

[l2tp]
mode = "lac"
host_name = "client"
server = "192.168.91.1"
redial = false

[[l2tp.session]]
user = "$USER_NAME@$HUB"
password = "$PASSWORD"

[l2tp.ipsec]
psk = "$SOFTETHER_PSK"

[nesting]
outer = "l2tp"
TOML

logs() {
  echo "=== tandem" >&2
  tail -40 "$TMPDIR_TEST/cl.log" >&2 || true
  wireguard_go_logs "$LAN" "$GO_IF"
  echo "=== SoftEther" >&2
  tail -20 "$SOFTETHER_LOG" >&2 || true
}
ON_FAILURE=logs

# Every packet on the underlay from before Tandem starts: WireGuard must not be among them, from
# its first handshake initiation on.
capture_start "$CL" "$UNDERLAY" "udp or esp" "$TMPDIR_TEST/underlay.pcap"
T0=$(date +%s%N)
start_nested_tandem "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log" "$CL_IF" \
  "WireGuard inside L2TP/IPsec"
CL_PID=$TANDEM_PID

# IKE, ESP, L2TP, PPP and IPCP with SoftEther, then WireGuard's handshake inside the session.
WAIT_WATCH_PID=$CL_PID wait_until "a ping through L2TP/IPsec and WireGuard to wireguard-go" 60 \
  ip netns exec "$CL" ping -c 1 -W 1 10.91.0.1
note "wireguard-go answered through the nested stack $((($(date +%s%N) - T0) / 1000000)) ms" \
  "after Tandem started"
ping_ok "$CL" 10.91.0.1

PPP_ADDR=$(nested_field "$CL" "$CL_IF" "d.get('outer_address', '')")
mtu=$(nested_field "$CL" "$CL_IF" "d['mtu']")
note "Tandem's address inside the L2TP session (IPCP, from SecureNAT): $PPP_ADDR; device MTU $mtu"
[ "$mtu" = "$NESTED_MTU" ] || die "Tandem's nested MTU is $mtu, not the $NESTED_MTU worked out here"
python3 - "$PPP_ADDR" "$SOFTETHER_POOL_FIRST" "$SOFTETHER_POOL_LAST" <<'PY' ||
import ipaddress, sys
a, lo, hi = (ipaddress.ip_address(x) for x in sys.argv[1:])
assert lo <= a <= hi
PY
  die "Tandem's outer address '$PPP_ADDR' is not from SoftEther's pool"
ping_ok "$LAN" 10.91.0.2
# A DF packet of exactly the MTU, both ways through every layer; and from wireguard-go's side a
# 1400-byte ping, which its kernel fragments to fit wireguard-go's MTU before WireGuard.
ping_bytes "$CL" 10.91.0.1 "$mtu" -M do
ping_bytes "$LAN" 10.91.0.2 1400

iperf_ok "$LAN" "$CL" 10.91.0.1 3

# wireguard-go's view: a handshake, traffic, and Tandem's PPP address as the endpoint.
assert_wg_counters "$LAN" "$GO_IF"
endpoint=$(ip netns exec "$LAN" wg show "$GO_IF" dump | sed -n 2p | cut -f3)
note "wireguard-go's endpoint for Tandem: $endpoint"
[ "$endpoint" = "$PPP_ADDR:51820" ] ||
  die "wireguard-go's peer endpoint is '$endpoint', not Tandem's PPP address $PPP_ADDR:51820"

capture_stop
# SoftEther's namespace also sends chatter of its own onto the underlay, which the check sets
# aside: SecureNAT's raw-IP mode asks for a DHCP lease on the server's interfaces, and a NetBIOS
# name query goes to each new client's address. Nothing of it comes from Tandem's side.
# SoftEther's L2TP data header is 2 bytes longer than Tandem's, so its answers to full-size LCP
# path MTU probes are larger than the underlay and leave its host as IP fragments: the first
# fragments of those datagrams carry no UDP header for the filter, and count as the outer protocol.
underlay_only_outer "$TMPDIR_TEST/underlay.pcap" \
  "udp.port == 500 || udp.port == 4500 || esp || (ip.flags.mf == 1 && ip.src == 192.168.91.1)" \
  "udp.port == 51820 || wg" 1000 "(dhcp || nbns) && eth.src != $CL_MAC"
nested_carried_both_ways "$CL" "$CL_IF" 1000 100

# Hang-up: CDN and StopCCN inside ESP, then IKE deletes; SoftEther ends the session.
stop_pid "$CL_PID" 30 "the nested client"
grep -q "hanging up" "$TMPDIR_TEST/cl.log" || die "Tandem did not hang up its L2TP/IPsec session"
wait_until "SoftEther ending the L2TP/IPsec session of $USER_NAME after the hang-up" 30 \
  softether_l2tp_session_ended "$HUB" "$USER_NAME"
softether_stop
echo "PASS: Tandem WireGuard inside L2TP/IPsec to SoftEther <-> wireguard-go on $HOST:" \
  "ping, DF ping of $mtu, iperf3; endpoint $PPP_ADDR; underlay IKE/ESP only"
