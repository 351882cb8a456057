#!/bin/bash
# tshark, an independent decoder, reads IKEv1 and IKEv2 messages and ESP packets built by Tandem's codecs
# (tests/tools/ike_esp_capture.cpp): every exchange and payload type must be recognised and
# nothing reported malformed.
set -euo pipefail
: "${CAPTURE_TOOL:?set CAPTURE_TOOL to the ike_esp_capture binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$CAPTURE_TOOL" "$work/ike.pcap"
tshark -r "$work/ike.pcap" -V -d udp.port==4500,udpencap >"$work/decoded.txt" 2>&1 ||
  fail "tshark could not read the capture"
for text in "Exchange type: IKE_SA_INIT (34)" "Exchange type: IKE_AUTH (35)" \
            "Exchange type: INFORMATIONAL (37)" \
            "Payload: Security Association (33)" "Payload: Key Exchange (34)" \
            "Payload: Nonce (40)" "Payload: Notify (41)" \
            "Payload: Identification - Initiator (35)" "Payload: Authentication (39)" \
            "Payload: Configuration (47)" "Payload: Traffic Selector - Initiator (44)" \
            "Payload: Traffic Selector - Responder (45)" "Payload: Delete (42)" \
            "Payload: Encrypted and Authenticated (46)" "Non-ESP Marker" \
            "NAT_DETECTION_SOURCE_IP (16388)" "INITIAL_CONTACT (16384)" \
            "AES-GCM with a 16 octet ICV (20)" "Key Length: 256" \
            "Encapsulating Security Payload" "ESP SPI: 0xc0ffee01" "NAT-keepalive packet" \
            "Exchange type: Identity Protection (Main Mode) (2)" "Exchange type: Quick Mode (32)" \
            "Payload: Security Association (1)" "Payload: Transform (3) # 2" \
            "Encryption Algorithm: AES-CBC (7)" "RFC 3947 Negotiation of NAT-Traversal" \
            "Payload: Key Exchange (4)" "Payload: Nonce (10)" "Payload: NAT-D (RFC 3947) (20)" \
            "Encrypted Data (160 bytes)"; do
  grep -q "$text" "$work/decoded.txt" || { head -80 "$work/decoded.txt" >&2; fail "tshark shows no '$text'"; }
done
if grep -Eiq "malformed|\[Expert Info \(Error" "$work/decoded.txt"; then
  grep -Ei -B12 "malformed|Expert Info \(Error" "$work/decoded.txt" | head -60 >&2
  fail "tshark reports malformed packets or expert errors"
fi
echo "PASS: tshark decodes $(grep -c '^Frame ' "$work/decoded.txt") IKE and ESP frames from Tandem with no errors"
