#!/bin/bash
# Nesting against real peers: Tandem's IKEv2/ESP tunnel to strongSwan's charon, which it reaches
# only through WireGuard to wireguard-go ([nesting] outer = "wireguard": one process, one TUN
# device, IKE and ESP-in-UDP carried inside WireGuard from Tandem's [interface] address).
#
#   client ns                                 gateway ns
#   Tandem (nested device)      --veth--      wireguard-go 10.92.0.1 (UDP 192.168.92.1:51820)
#   WireGuard 10.92.0.2         underlay      charon: IKEv2 on 10.92.0.1 (inside WireGuard),
#   ESP tunnel 10.92.1.1/24                   ESP tunnel 10.92.2.0/24 <-> 10.92.1.0/24 in UDP 4500,
#                                             10.92.2.1 behind it (on lo), its ipsec0 TUN device
#
# charon runs as strongswan_site.sh runs it (strongswan_lib.sh: kernel-libipsec, so ESP in UDP
# only, which Tandem forces for its tunnels anyway); wireguard-go is its namespace's WireGuard,
# with Tandem's key and Tandem's [interface] address as the peer's allowed IP.
#
# Checked: charon lists the IKE and CHILD SA (tunnel mode in UDP) with Tandem's WireGuard address
# as the remote end; pings both ways and an iperf3 TCP transfer through the ESP tunnel to
# 10.92.2.1, a DF ping of exactly the nested device's MTU, and 1400-byte pings from charon's side,
# whose ESP datagrams reach Tandem in IP fragments that it reassembles; wireguard-go's `wg show`
# reports the handshake and traffic; a capture of the underlay (proven live before Tandem starts)
# holds only WireGuard, not one IKE or ESP packet; Tandem's nested status shows datagrams carried
# both ways; stopping Tandem deletes the SAs at charon (the Delete too rides WireGuard).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/strongswan_lib.sh"
source "$(dirname "$0")/../integration/nested_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"
PSK="ikev2 inside wireguard shares this key"

GW="g$TAG"
CL="c$TAG"
make_ns "$GW"
make_ns "$CL"
link_ns "$GW" "$CL" 92
UNDERLAY="vb${TAG}92"  # the client's side of the veth
CL_IF="cn$TAG"
GO_IF="wg$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.ipsec" "/var/run/wireguard/$CL_IF.sock")
CK=$("$TANDEM_BIN" genkey)
CP=$(echo "$CK" | "$TANDEM_BIN" pubkey)

# wireguard-go at its default MTU, 1420: Tandem's device MTU is what that leaves for ESP.
start_wireguard_go_peer "$GW" "$GO_IF" 10.92.0.1/24 1420 "$CP" 10.92.0.2/32
note "wireguard-go $GO_IF in $GW: 10.92.0.1, UDP 192.168.92.1:51820"
# charon's inner address, on lo: its local traffic selector covers it.
ip -n "$GW" addr add 10.92.2.1/32 dev lo

cat >"$TMPDIR_TEST/cl.toml" <<TOML
[interface]
name = "$CL_IF"
private_key = "$CK"
listen_port = 51820
addresses = ["10.92.0.2/24"]

[[peer]]
name = "wireguard-go"
public_key = "$WG_GO_PUB"
endpoint = "192.168.92.1:51820"
allowed_ips = ["10.92.0.0/24"]  # charon's 10.92.0.1 inside WireGuard

[ipsec]
ike_version = 2
local_address = "10.92.0.2"  # IKE and ESP leave from the [interface] address, inside WireGuard
addresses = ["10.92.1.1/24"]

[[ipsec.connection]]
name = "strongswan"
remote_address = "10.92.0.1"
psk = "$PSK"
local_subnets = ["10.92.1.0/24"]
remote_subnets = ["10.92.2.0/24"]

[nesting]
outer = "wireguard"
TOML

# Tandem's default IKEv2 and ESP suites (AES-GCM-256, ECP-256), as in strongswan_site.sh.
cat >"$TMPDIR_TEST/swanctl.conf" <<CONF
connections {
  tandem {
    version = 2
    local_addrs = 10.92.0.1
    remote_addrs = 10.92.0.2
    encap = yes
    proposals = aes256gcm16-prfsha256-ecp256
    local {
      auth = psk
      id = 10.92.0.1
    }
    remote {
      auth = psk
      id = 10.92.0.2
    }
    children {
      net {
        mode = tunnel
        local_ts = 10.92.2.0/24
        remote_ts = 10.92.1.0/24
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-tandem {
    id-a = 10.92.0.1
    id-b = 10.92.0.2
    secret = "$PSK"
  }
}
CONF

logs() {
  echo "=== tandem" >&2
  tail -40 "$TMPDIR_TEST/cl.log" >&2 || true
  wireguard_go_logs "$GW" "$GO_IF"
  echo "=== charon" >&2
  strongswan_list_sas peer >&2 || true
  grep -v "vici client" "${STRONGSWAN_LOG[peer]:-/dev/null}" | tail -30 >&2 || true
}
ON_FAILURE=logs

strongswan_start "$GW" peer
strongswan_load peer "$TMPDIR_TEST/swanctl.conf"

# Every packet on the underlay from before Tandem starts: IKE and ESP must not be among them,
# from IKE_SA_INIT on.
capture_start "$CL" "$UNDERLAY" "udp or esp" "$TMPDIR_TEST/underlay.pcap"
T0=$(date +%s%N)
start_nested_tandem "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log" "$CL_IF" \
  "an ESP tunnel inside WireGuard"
CL_PID=$TANDEM_PID

# WireGuard's handshake, then IKE_SA_INIT and IKE_AUTH through it.
WAIT_WATCH_PID=$CL_PID WAIT_WATCH_LOG="$TMPDIR_TEST/cl.log" \
  strongswan_wait_sas peer "INSTALLED, TUNNEL-in-UDP" 60
note "charon installed the CHILD_SA $((($(date +%s%N) - T0) / 1000000)) ms after Tandem started"
strongswan_list_sas peer >"$TMPDIR_TEST/sas.txt"
grep -Eq "^ +remote '10\.92\.0\.2' @ 10\.92\.0\.2\[4500\]" "$TMPDIR_TEST/sas.txt" ||
  { cat "$TMPDIR_TEST/sas.txt" >&2; die "charon's IKE SA is not with Tandem's WireGuard address 10.92.0.2 on UDP 4500"; }
grep -Eq "^ +remote 10\.92\.1\.0/24" "$TMPDIR_TEST/sas.txt" ||
  { cat "$TMPDIR_TEST/sas.txt" >&2; die "charon's CHILD_SA does not cover Tandem's 10.92.1.0/24"; }
note "charon: $(grep -E "ESTABLISHED|remote '|INSTALLED" "$TMPDIR_TEST/sas.txt" | tr -s ' ' | tr '\n' ' ')"

mtu=$(nested_field "$CL" "$CL_IF" "d['mtu']")
note "Tandem's device MTU $mtu"

ping_ok "$CL" 10.92.2.1
ping_ok "$GW" 10.92.1.1
# A DF packet of exactly the MTU, both ways through ESP and WireGuard; and from charon's side a
# 1400-byte ping, which its kernel fragments to fit ipsec0 before ESP (Tandem's kernel reassembles).
ping_bytes "$CL" 10.92.2.1 "$mtu" -M do
# charon's tunnel device keeps its default MTU, 1400, as its users run it: the ESP datagram of a
# full-sized packet from its side (about 1460 bytes) is more than wireguard-go's device carries
# (1420), so charon's kernel sends it in two IP fragments, each its own WireGuard packet, and
# Tandem's nested receive path must put them back together before IKE/ESP sees them.
ping_bytes "$GW" 10.92.1.1 1400 -I 10.92.2.1
reassembled=$(nested_field "$CL" "$CL_IF" "d['counters']['reassembled']")
note "Tandem reassembled $reassembled of charon's fragmented ESP datagrams"
[ "${reassembled:-0}" -ge 3 ] || die "charon's fragmented ESP datagrams were not reassembled ($reassembled)"
iperf_ok "$GW" "$CL" 10.92.2.1 3
assert_wg_counters "$GW" "$GO_IF"

capture_stop
underlay_only_outer "$TMPDIR_TEST/underlay.pcap" "udp.port == 51820" \
  "udp.port == 500 || udp.port == 4500 || esp || isakmp" 1000
nested_carried_both_ways "$CL" "$CL_IF" 1000 100

# Tandem stops: its IKE Delete rides WireGuard to charon before WireGuard goes.
stop_pid "$CL_PID" 30 "the nested client"
strongswan_wait_deleted peer
strongswan_stop peer
echo "PASS: Tandem IKEv2/ESP inside WireGuard to wireguard-go <-> charon at 10.92.0.1:" \
  "ping, DF ping of $mtu, iperf3 to 10.92.2.1; underlay WireGuard only"
