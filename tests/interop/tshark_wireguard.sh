#!/bin/bash
# tshark, an independent decoder, reads a capture of Tandem talking to wireguard-go: it must
# see handshake initiation, response and transport data, and report nothing malformed.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

make_ns "s$TAG"; make_ns "p$TAG"
link_ns "s$TAG" "p$TAG" 80
IFS_="ws$TAG"; IFP="wp$TAG"
start_wg tandem "s$TAG" "$IFS_"
start_wg wireguard-go "p$TAG" "$IFP"
KS=$(wg genkey); KP=$(wg genkey)
echo "$KS" >"$TMPDIR_TEST/ks"; echo "$KP" >"$TMPDIR_TEST/kp"
ip netns exec "s$TAG" wg set "$IFS_" private-key "$TMPDIR_TEST/ks" listen-port 51850 \
  peer "$(echo "$KP" | wg pubkey)" allowed-ips 10.80.0.2/32 endpoint 192.168.80.2:51851
ip netns exec "p$TAG" wg set "$IFP" private-key "$TMPDIR_TEST/kp" listen-port 51851 \
  peer "$(echo "$KS" | wg pubkey)" allowed-ips 10.80.0.1/32
ip -n "s$TAG" addr add 10.80.0.1/24 dev "$IFS_"; ip -n "s$TAG" link set "$IFS_" up
ip -n "p$TAG" addr add 10.80.0.2/24 dev "$IFP"; ip -n "p$TAG" link set "$IFP" up

CAP="$TMPDIR_TEST/wg.pcap"
capture_start "s$TAG" "va${TAG}80" "udp port 51850" "$CAP"
ping_ok "s$TAG" 10.80.0.2
# Stop the capture only once it holds what is checked below: the handshake and the ping's replies
# may still be on their way into the file when ping returns.
captured_all_types() {
  local types
  types=$(tshark -r "$CAP" -Y "wg && $CAPTURE_NOT_MARKER" -T fields -e wg.type 2>/dev/null || true)
  for t in 1 2 4; do grep -qx "$t" <<<"$types" || return 1; done
}
wait_until "handshake initiation, response and transport data in the capture" 30 captured_all_types
capture_stop

DECODED="$TMPDIR_TEST/decoded.txt"
tshark -r "$CAP" -Y "$CAPTURE_NOT_MARKER" -o wg.dissect_packet:FALSE -V >"$DECODED" 2>&1 ||
  die "tshark could not read the capture"
for type in "Handshake Initiation" "Handshake Response" "Transport Data"; do
  grep -q "Type: $type" "$DECODED" || { head -80 "$DECODED" >&2; die "tshark saw no $type"; }
  note "tshark decoded: $type ($(grep -c "Type: $type" "$DECODED"))"
done
if grep -Eiq "malformed|\[Expert Info \(Error" "$DECODED"; then
  grep -Ei -B5 "malformed|Expert Info \(Error" "$DECODED" | head -40 >&2
  die "tshark reports malformed packets or expert errors"
fi
echo "PASS: tshark decodes Tandem's WireGuard traffic cleanly"
