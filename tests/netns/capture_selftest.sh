#!/bin/bash
# The capture helper itself: a capture on the interface the markers cross becomes live and holds
# the traffic sent after it; a capture on an interface that carries no marker is refused, with
# the cause named, instead of being taken as ready.
source "$(dirname "$0")/lib.sh"
require_root
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"

make_ns "a$TAG"; make_ns "b$TAG"
link_ns "a$TAG" "b$TAG" 91
link_ns "a$TAG" "b$TAG" 92

# Live: markers and the capture on the same veth; a datagram sent after start is in the file.
capture_start "a$TAG" "va${TAG}91" "udp port 7777" "$TMPDIR_TEST/live.pcapng"
ip netns exec "a$TAG" bash -c 'printf payload-after-start >/dev/udp/192.168.91.2/7777'
wait_until "the datagram sent after capture_start in live.pcapng" 30 \
  grep -aqF payload-after-start "$TMPDIR_TEST/live.pcapng"
capture_stop
seen=$(tshark -r "$TMPDIR_TEST/live.pcapng" -Y "udp.dstport == 7777 && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
[ "$seen" = 1 ] || die "tshark reads $seen datagrams to port 7777 from the live capture, not 1"
markers=$(tshark -r "$TMPDIR_TEST/live.pcapng" -Y "!($CAPTURE_NOT_MARKER)" 2>/dev/null | wc -l)
[ "$markers" -ge 1 ] || die "the live capture holds no marker"
note "live capture: the datagram and $markers marker(s), told apart by CAPTURE_NOT_MARKER"

# Not live: the capture watches va..91 but markers leave through va..92, so none ever arrives.
if (CAPTURE_READY_TIMEOUT=4 capture_start "a$TAG" "va${TAG}91" "udp port 7777" \
    "$TMPDIR_TEST/dead.pcapng" "va${TAG}92") >"$TMPDIR_TEST/dead.out" 2>&1; then
  cat "$TMPDIR_TEST/dead.out" >&2
  die "capture_start accepted a capture that never saw its marker"
fi
grep -q "never became live: no marker datagram sent through va${TAG}92" "$TMPDIR_TEST/dead.out" ||
  { cat "$TMPDIR_TEST/dead.out" >&2; die "the refusal does not name its cause"; }
note "refused: $(grep -o 'capture on.*' "$TMPDIR_TEST/dead.out")"
# The refused capture's tshark was stopped by the helper, not left running.
if pgrep -f "tshark -q -i va${TAG}91 -w $TMPDIR_TEST/dead.pcapng" >/dev/null; then
  die "the refused capture's tshark is still running"
fi
echo "PASS: captures are proven live by a marker, and refused when none arrives"
