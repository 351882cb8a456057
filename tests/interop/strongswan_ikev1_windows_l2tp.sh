#!/bin/bash
# strongSwan's charon, configured as Windows 10/11 dials L2TP/IPsec with a pre-shared key, against
# Tandem's L2TP/IPsec gateway (`tandem up`, mode = "lns" with [l2tp.ipsec]), each in its own
# network namespace. charon initiates IKEv1 Main Mode with Windows' default phase 1 proposals
# (AES-256/AES-128/3DES with SHA-1 or SHA-256, MODP 2048), then Quick Mode for an ESP
# transport-mode SA protecting UDP 1701 (AES-256 or AES-128 with HMAC-SHA1, no PFS).
#
# What this can show, and what it cannot: charon's only ESP data path here is its userspace
# kernel-libipsec (the kernel has XFRM but no ESP), which installs tunnel-mode SAs only and always
# floats to UDP 4500 (see strongswan_lib.sh). As Quick Mode initiator charon installs the SA pair
# after Tandem's answer (QM2) and before sending QM3; the install fails ("IPsec SA: unsupported
# mode"), so instead of QM3 it sends an Informational with NO_PROPOSAL_CHOSEN. Tandem, as Quick
# Mode responder, installs on QM3 only, so no ESP SA comes up on either side and no L2TP follows.
# The agreement is shown by the pieces that do happen:
#   - Tandem logs the IKE SA (Main Mode, PSK, NAT-T to 4500) and its status shows it established;
#   - charon accepted Tandem's QM2 (its HASH(2) verified) and logs "selected proposal:
#     ESP:AES_CBC_256/HMAC_SHA1_96", then tries to install a transport SA for udp/1701 ("l2f");
#   - Tandem logs the Quick Mode answer it sent (the suite, transport mode in UDP, its SPI), then
#     charon's NO_PROPOSAL_CHOSEN notify ("reports error 14"), abandons that Quick Mode (no
#     retransmission of its answer), keeps running, keeps the IKE SA and installs no ESP SA;
#   - tshark decodes six Main Mode messages, QM1 and one QM2 and the Informational, none
#     malformed.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/strongswan_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"

GW="g$TAG"
WIN="w$TAG"
make_ns "$GW"
make_ns "$WIN"
link_ns "$GW" "$WIN" 87
GW_ADDR=192.168.87.1
WIN_ADDR=192.168.87.2
GW_IF="iw$TAG"
SOCKETS+=("/var/run/tandem/$GW_IF.l2tp")
PSK="windows-like-$RANDOM-$RANDOM-key"

cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
interface = "$GW_IF"
host_name = "gateway"
address = "10.87.0.1/24"
pool = "10.87.0.10-10.87.0.250"

[[l2tp.user]]
name = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML

# Windows' defaults for an L2TP/IPsec PSK connection (phase 1: 3DES and AES with SHA-1 or SHA-2,
# DH group 2 or 14; phase 2: AES or 3DES with SHA-1, transport mode, no PFS), less what Tandem
# refuses outright by default (MODP 1024); the ID is the IP address.
cat >"$TMPDIR_TEST/swanctl.conf" <<CONF
connections {
  windows {
    version = 1
    aggressive = no
    local_addrs = $WIN_ADDR
    remote_addrs = $GW_ADDR
    encap = yes
    proposals = aes256-sha1-modp2048, aes128-sha1-modp2048, aes256-sha256-modp2048, aes128-sha256-modp2048, 3des-sha1-modp2048
    local {
      auth = psk
    }
    remote {
      auth = psk
    }
    children {
      l2tp {
        mode = transport
        local_ts = dynamic[udp/1701]
        remote_ts = dynamic[udp/1701]
        esp_proposals = aes256-sha1, aes128-sha1, 3des-sha1
      }
    }
  }
}
secrets {
  ike-windows {
    id-gw = $GW_ADDR
    secret = "$PSK"
  }
}
CONF

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
status() { ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json; }
grep -q "L2TP/IPsec only" "$TMPDIR_TEST/gw.log" || { cat "$TMPDIR_TEST/gw.log" >&2; die "the gateway is not L2TP/IPsec"; }

strongswan_start "$WIN" win
strongswan_load win "$TMPDIR_TEST/swanctl.conf"
CHARON_LOG=${STRONGSWAN_LOG[win]}

capture_start "$GW" "va${TAG}87" "udp port 500 or (udp port 4500 and udp[8:4] = 0)" \
  "$TMPDIR_TEST/ike.pcapng"

failed() {
  tail -30 "$TMPDIR_TEST/gw.log" >&2
  tail -40 "$CHARON_LOG" >&2
  die "$@"
}

# The initiation itself fails (charon cannot install the transport SA); what it got to matters.
# A failure, not the end of swanctl's wait: a timeout would say "not established after ...".
T0=$(date +%s%N)
if strongswan_swanctl win --initiate --child l2tp --timeout 60 >"$TMPDIR_TEST/initiate.log" 2>&1; then
  failed "charon reports the transport SA up: its userspace ESP was not expected to install it"
fi
note "swanctl --initiate: $(tail -1 "$TMPDIR_TEST/initiate.log") ($((($(date +%s%N) - T0) / 1000000)) ms)"
grep -q "establishing CHILD_SA 'l2tp' failed" "$TMPDIR_TEST/initiate.log" ||
  { cat "$TMPDIR_TEST/initiate.log" >&2; failed "swanctl --initiate did not end with charon's failure"; }
# The exchange is over for Tandem once it has heard charon's refusal (its last message).
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_log "$TMPDIR_TEST/gw.log" "reports error 14" 30

# Main Mode: both ends have the ISAKMP SA, floated to UDP 4500.
# Tandem chooses by its own preference among what was offered (AES-256, SHA-256, MODP 2048).
grep -Eq "IKE: IKEv1 SA with .*\($WIN_ADDR:4500\) established as responder: AES_CBC_(256|128)/PRF_HMAC_SHA(1|2_256)/MODP_2048, UDP-encapsulated" \
  "$TMPDIR_TEST/gw.log" || failed "Tandem did not log an IKE SA with one of Windows' proposals"
grep -q "IKE_SA windows\[1\] established between $WIN_ADDR\[$WIN_ADDR\]...$GW_ADDR\[$GW_ADDR\]" \
  "$CHARON_LOG" || failed "charon did not establish the IKE SA"
grep -E "IKE: IKEv1 SA" "$TMPDIR_TEST/gw.log" | sed 's/^/--- tandem: /'

# Quick Mode: charon verified Tandem's answer and chose from it the first ESP proposal, for a
# transport SA between the two addresses on UDP 1701.
grep -Eq "parsed QUICK_MODE response [0-9]+ \[ HASH SA No ID ID( NAT-OA)* \]" "$CHARON_LOG" ||
  failed "charon did not accept Tandem's Quick Mode answer"
grep -q "selected proposal: ESP:AES_CBC_256/HMAC_SHA1_96/NO_EXT_SEQ" "$CHARON_LOG" ||
  failed "charon did not take AES-256/HMAC-SHA1 from Tandem's answer"
grep -q "IPsec SA: unsupported mode" "$CHARON_LOG" ||
  failed "charon did not try to install the transport SA"
grep -Eq "policy $GW_ADDR/32\[udp/(l2f|1701)\] === $WIN_ADDR/32\[udp/(l2f|1701)\] in" "$CHARON_LOG" ||
  failed "charon's SA did not cover UDP 1701 between the two addresses"
grep -Eq "generating INFORMATIONAL_V1 request [0-9]+ \[ HASH N\(NO_PROP\) \]" "$CHARON_LOG" ||
  failed "charon did not send NO_PROPOSAL_CHOSEN"
grep -E "parsed QUICK_MODE response|selected proposal|unsupported mode|policy .*udp/l2f\] === .* in|N\(NO_PROP\)" \
  "$CHARON_LOG" | sed 's/^/--- charon: /'

# Tandem's own account of the agreement: its Quick Mode answer.
grep -q "IKE: IKEv1 Quick Mode with clients ($WIN_ADDR:4500): answered with AES_CBC_256/HMAC_SHA1_96, transport mode in UDP" \
  "$TMPDIR_TEST/gw.log" || failed "Tandem did not log the ESP SA it agreed to"
grep "answered with" "$TMPDIR_TEST/gw.log" | sed 's/^/--- tandem: /'
# Tandem heard the refusal, stops that Quick Mode, keeps running with the IKE SA, no ESP SA.
grep -q "IKE: IKEv1 peer .* ($WIN_ADDR:4500) reports error 14 (NO-PROPOSAL-CHOSEN); 1 Quick Mode(s) abandoned" \
  "$TMPDIR_TEST/gw.log" || failed "Tandem did not log charon's NO_PROPOSAL_CHOSEN"
grep "reports error 14" "$TMPDIR_TEST/gw.log" | sed 's/^/--- tandem: /'
if grep -q "IPsec: ESP SA .* up" "$TMPDIR_TEST/gw.log"; then
  failed "Tandem installed an ESP SA without Quick Mode's third message"
fi
kill -0 "$GW_PID" 2>/dev/null || failed "Tandem exited"
status >"$TMPDIR_TEST/status.json" || failed "tandem status failed"
python3 - "$TMPDIR_TEST/status.json" "$WIN_ADDR" <<'PY' || failed "the status view does not show the IKE SA"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
ipsec = doc["ipsec"]
assert doc["role"] == "lns" and ipsec["ike_version"] == 1, doc
ike = [s for s in ipsec["ike_sas"] if s["established"]]
assert len(ike) == 1 and not ike[0]["initiator"], ipsec["ike_sas"]
assert ike[0]["remote"] == sys.argv[2] + ":4500", ike[0]
assert not [c for c in ipsec["child_sas"]], ipsec["child_sas"]
c = ipsec["counters"]
print("--- status: IKE SA", ike[0]["suite"], "with", ike[0]["remote"], "established, no ESP SA;",
      "malformed", c["ike_malformed"], "refused", c["ike_refused"])
assert c["ike_malformed"] == 0, c
PY
grep -q "windows: #1, ESTABLISHED, IKEv1" <<<"$(strongswan_list_sas win)" ||
  failed "charon no longer has the IKE SA"

# tshark's view: the whole Main Mode, Quick Mode's first two messages, the Informational (all sent
# by now: Tandem logged the refusal, the last of them), and no second copy of Tandem's answer.
# That absence is why the capture runs 3 s more: past the first time Tandem would retransmit its
# answer (2 s after sending it, which was before the refusal was logged) had the NO_PROPOSAL_CHOSEN
# not ended its side of the Quick Mode. This sleep is that observation window, not a readiness
# wait; capture_stop then syncs the file (a marker sent after the window reaches it) and ends it.
sleep 3
capture_stop
tshark -r "$TMPDIR_TEST/ike.pcapng" -Y isakmp -T fields -E separator=, -e ip.src -e udp.srcport \
  -e isakmp.exchangetype -e isakmp.messageid >"$TMPDIR_TEST/decoded.txt" 2>/dev/null || true
mm=$(grep -c ',2,' "$TMPDIR_TEST/decoded.txt" || true)
qm_in=$(grep -c "^$WIN_ADDR,4500,32," "$TMPDIR_TEST/decoded.txt" || true)
qm_out=$(grep -c "^$GW_ADDR,4500,32," "$TMPDIR_TEST/decoded.txt" || true)
info=$(grep -c "^$WIN_ADDR,4500,5," "$TMPDIR_TEST/decoded.txt" || true)
note "tshark: $mm Main Mode messages; Quick Mode $qm_in from charon, $qm_out from Tandem;" \
  "$info Informational from charon"
[ "$mm" -ge 6 ] && [ "$qm_in" -ge 1 ] && [ "$qm_out" = 1 ] && [ "$info" -ge 1 ] ||
  { cat "$TMPDIR_TEST/decoded.txt" >&2; die "tshark did not see the exchange"; }
malformed=$(tshark -r "$TMPDIR_TEST/ike.pcapng" -Y "_ws.malformed" 2>/dev/null | wc -l || true)
[ "$malformed" = 0 ] || die "tshark found $malformed malformed packets"

strongswan_stop win
# Tandem has no L2TP session to hang up (its grace is 3 s at most); 10 s leave room for a busy host.
stop_pid "$GW_PID" 10 "tandem"
echo "PASS: Windows-like charon <-> Tandem L2TP/IPsec gateway: IKEv1 PSK SA up, ESP transport" \
  "AES_CBC_256/HMAC_SHA1_96 for UDP 1701 agreed (charon cannot install it)"
