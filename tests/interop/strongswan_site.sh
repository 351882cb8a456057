#!/bin/bash
# Tandem's site-to-site IPsec (`[ipsec]`) against strongSwan's charon, each in its own network
# namespace: pre-shared keys, ESP in tunnel mode between 10.87.1.0/24 (behind Tandem) and
# 10.87.2.0/24 (behind charon), in UDP 4500. charon runs in userspace (kernel-libipsec, see
# strongswan_lib.sh), which is why ESP always travels in UDP here.
#
#   strongswan_site.sh 2|1 tandem|strongswan   IKE version, and who initiates. Pings both ways and
#                                              an iperf3 transfer through the tunnel; Tandem's
#                                              status and charon's --list-sas show the same SPIs
#                                              and suite; tshark decodes every IKE message
#                                              (and the ESP packets of the pings) with nothing
#                                              malformed; stopping Tandem deletes the SAs at charon;
#                                              the TCP handshake's MSS clamped to Tandem's tunnel
#                                              MTU (1300) both ways, charon's SYN-ACK (sized for
#                                              its own 1400-byte device) as it comes out of the
#                                              tunnel onto Tandem's device
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/strongswan_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
VERSION=${1:?IKE version}
INITIATOR=${2:?tandem or strongswan}
PSK="tandem and strongswan share this key"

T="t$TAG"
S="s$TAG"
make_ns "$T"
make_ns "$S"
link_ns "$T" "$S" 87
T_IF="it$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$T_IF.ipsec")
# charon's inner address, on lo: its local traffic selector covers it.
ip -n "$S" addr add 10.87.2.1/32 dev lo

[ "$INITIATOR" = tandem ] && START=true || START=false
cat >"$TMPDIR_TEST/tandem.toml" <<TOML
[ipsec]
interface = "$T_IF"
mtu = 1300
ike_version = $VERSION
local_address = "192.168.87.1"
addresses = ["10.87.1.1/24"]

[[ipsec.connection]]
name = "strongswan"
remote_address = "192.168.87.2"
psk = "$PSK"
local_subnets = ["10.87.1.0/24"]
remote_subnets = ["10.87.2.0/24"]
start = $START
TOML

# IKEv2: Tandem's default suites (AES-GCM-256 with ECP-256). IKEv1: a CBC suite of its defaults,
# and AES-CBC with HMAC-SHA1-96 for ESP, so that both ESP transforms meet a foreign peer.
if [ "$VERSION" = 2 ]; then
  IKE_PROPOSALS=aes256gcm16-prfsha256-ecp256
  ESP_PROPOSALS=aes256gcm16
else
  IKE_PROPOSALS=aes256-sha256-modp2048
  ESP_PROPOSALS=aes256-sha1
fi
cat >"$TMPDIR_TEST/swanctl.conf" <<CONF
connections {
  tandem {
    version = $VERSION
    aggressive = no
    local_addrs = 192.168.87.2
    remote_addrs = 192.168.87.1
    encap = yes
    proposals = $IKE_PROPOSALS
    dpd_delay = 10s
    local {
      auth = psk
      id = 192.168.87.2
    }
    remote {
      auth = psk
      id = 192.168.87.1
    }
    children {
      net {
        mode = tunnel
        local_ts = 10.87.2.0/24
        remote_ts = 10.87.1.0/24
        esp_proposals = $ESP_PROPOSALS
      }
    }
  }
}
secrets {
  ike-tandem {
    id-a = 192.168.87.2
    id-b = 192.168.87.1
    secret = "$PSK"
  }
}
CONF

command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
# tshark on Tandem's veth: all of IKE (500, and 4500 behind the non-ESP marker) and the ESP of the
# pings. It is stopped before iperf3, which would fill it with ESP (it used to be cut off by a
# packet count instead).
capture_start "$T" "va${TAG}87" "udp port 500 or udp port 4500" "$TMPDIR_TEST/wire.pcapng"

strongswan_start "$S" peer
strongswan_load peer "$TMPDIR_TEST/swanctl.conf"

start_tandem_up "$T" "$TMPDIR_TEST/tandem.toml" "$TMPDIR_TEST/tandem.log"

[ "$INITIATOR" = strongswan ] && strongswan_initiate peer net
WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/tandem.log" \
  strongswan_wait_sas peer "INSTALLED, TUNNEL-in-UDP" 60
WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/tandem.log" \
  wait_log "$TMPDIR_TEST/tandem.log" "ESP SA .* up" 30
note "tandem: $(grep -m1 "ESP SA .* up" "$TMPDIR_TEST/tandem.log" | sed 's/.*IPsec: //')"

ping_ok "$T" 10.87.2.1
ping_ok "$S" 10.87.1.1
capture_stop
# The handshake of the transfer below, as Tandem's device sees it (SYNs only: the transfer would
# keep the capture busy). Tandem's own SYN leaves with its device's MSS; charon's SYN-ACK
# comes out of the tunnel clamped to 1300 - 40.
capture_start "$T" "$T_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/syn.pcap"
iperf_ok "$S" "$T" 10.87.2.1 3
capture_stop
synack_mss=$(tshark -r "$TMPDIR_TEST/syn.pcap" \
  -Y "tcp.flags.syn == 1 && tcp.flags.ack == 1 && ip.src == 10.87.2.1" \
  -T fields -e tcp.options.mss_val 2>/dev/null | sort -u)
note "MSS of charon's SYN-ACKs as they came out of the tunnel onto Tandem's device: ${synack_mss:-none}"
[ -n "$synack_mss" ] || die "no SYN-ACK from charon's side in the capture on Tandem's device"
[ "$synack_mss" = 1260 ] || die "charon's SYN-ACK was not clamped to 1260 (1300 - 40): $synack_mss"

# Both sides name the same SA: Tandem's inbound SPI is charon's outbound one and vice versa.
ip netns exec "$T" "$TANDEM_BIN" status "$T_IF" --json >"$TMPDIR_TEST/status.json"
strongswan_list_sas peer >"$TMPDIR_TEST/sas.txt"
python3 - "$TMPDIR_TEST/status.json" "$TMPDIR_TEST/sas.txt" "$VERSION" <<'PY' || die "the two sides disagree about the SA"
import json, re, sys
doc = json.load(open(sys.argv[1]))[0]["ipsec"]
sas = open(sys.argv[2]).read()
child = [c for c in doc["child_sas"] if c["carries_outbound"]]
assert len(child) == 1, doc["child_sas"]
c = child[0]
assert c["mode"] == "tunnel" and c["udp_encapsulated"], c
assert c["packets_in"] > 50 and c["packets_out"] > 50 and c["authentication_failed"] == 0, c
assert "INSTALLED, TUNNEL-in-UDP" in sas, sas
theirs_in = re.search(r"^\s+in\s+([0-9a-f]{8}),", sas, re.M)
theirs_out = re.search(r"^\s+out\s+([0-9a-f]{8}),", sas, re.M)
assert theirs_in and theirs_out, sas
assert (c["spi_in"], c["spi_out"]) == (theirs_out.group(1), theirs_in.group(1)), (c, sas)
assert doc["ike_version"] == int(sys.argv[3])
print("--- same SA at both ends: Tandem in", c["spi_in"], "out", c["spi_out"], c["suite"],
      "| charon in", theirs_in.group(1), "out", theirs_out.group(1))
PY

# tshark's view of the wire (until iperf3): IKE both ways, ESP in UDP, nothing malformed.
ike=$(tshark -r "$TMPDIR_TEST/wire.pcapng" -Y isakmp 2>/dev/null | wc -l || true)
esp=$(tshark -r "$TMPDIR_TEST/wire.pcapng" -Y esp 2>/dev/null | wc -l || true)
malformed=$(tshark -r "$TMPDIR_TEST/wire.pcapng" -Y _ws.malformed 2>/dev/null | wc -l || true)
note "tshark: $ike IKE messages, $esp ESP packets, $malformed malformed"
[ "$ike" -ge 4 ] && [ "$esp" -ge 10 ] || die "tshark did not decode the IKE exchange and ESP"
[ "$malformed" = 0 ] || die "tshark found malformed packets"

# Tandem stops: it deletes the SAs, and charon learns so from its Delete.
stop_pid "$TANDEM_PID" 10 "tandem"
strongswan_wait_deleted peer
echo "PASS: strongswan site-to-site IKEv$VERSION, $INITIATOR initiates"
