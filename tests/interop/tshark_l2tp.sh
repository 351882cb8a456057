#!/bin/bash
# tshark, an independent decoder, reads a capture of Tandem's L2TP LAC and LNS engines talking
# (tunnel, session, PPP with each authentication method, IP through the session, teardown): it
# must decode every message type we send and report nothing malformed.
set -euo pipefail
: "${CAPTURE_TOOL:?set CAPTURE_TOOL to the l2tp_ppp_capture binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for method in pap chap mschapv2; do
  cap="$work/$method.pcap"
  "$CAPTURE_TOOL" "$cap" "$method"
  decoded="$work/$method.txt"
  tshark -r "$cap" -V >"$decoded" 2>&1 || fail "tshark could not read the $method capture"
  for message in "Start_Control_Request" "Start_Control_Reply" "Start_Control_Connected" \
                 "Incoming_Call_Request" "Incoming_Call_Reply" "Incoming_Call_Connected" \
                 "Call_Disconnect_Notification" "Stop_Control_Notification" "Zero Length Body message"; do
    grep -q "$message" "$decoded" || { head -60 "$decoded" >&2; fail "$method: tshark saw no $message"; }
  done
  for ppp in "PPP Link Control Protocol" "Configuration Request" "Configuration Ack" \
             "Echo Request" "Echo Reply" "Termination Request" "Termination Ack" \
             "PPP IP Control Protocol" "PPP IPv6 Control Protocol" "Internet Control Message Protocol"; do
    grep -q "$ppp" "$decoded" || fail "$method: tshark saw no $ppp"
  done
  case $method in
    pap) grep -q "PPP Password Authentication Protocol" "$decoded" || fail "no PAP decoded" ;;
    chap|mschapv2) grep -q "PPP Challenge Handshake Authentication Protocol" "$decoded" \
                     || fail "no CHAP decoded" ;;
  esac
  if [ "$method" = mschapv2 ]; then
    grep -q "Algorithm: MS-CHAP-2" "$decoded" || fail "LCP did not carry the MS-CHAPv2 algorithm"
  fi
  if grep -Eiq "malformed|\[Expert Info \(Error" "$decoded"; then
    grep -Ei -B8 "malformed|Expert Info \(Error" "$decoded" | head -60 >&2
    fail "$method: tshark reports malformed packets or expert errors"
  fi
  echo "tshark decoded the $method conversation: $(grep -c '^Frame ' "$decoded") frames, no errors"
done
echo "PASS: tshark decodes Tandem's L2TP and PPP cleanly"
