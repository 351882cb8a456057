#!/bin/bash
# Truncated, oversized and random datagrams sent at a Tandem port are dropped; the daemon stays
# up and the tunnel keeps working.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

make_ns "x$TAG"; make_ns "y$TAG"
link_ns "x$TAG" "y$TAG" 81
IFX="wx$TAG"; IFY="wy$TAG"
start_wg tandem "x$TAG" "$IFX"
TANDEM_PID=${PIDS[-1]}
start_wg tandem "y$TAG" "$IFY"
KX=$(wg genkey); KY=$(wg genkey)
echo "$KX" >"$TMPDIR_TEST/kx"; echo "$KY" >"$TMPDIR_TEST/ky"
ip netns exec "x$TAG" wg set "$IFX" private-key "$TMPDIR_TEST/kx" listen-port 51860 \
  peer "$(echo "$KY" | wg pubkey)" allowed-ips 10.81.0.2/32
ip netns exec "y$TAG" wg set "$IFY" private-key "$TMPDIR_TEST/ky" listen-port 51861 \
  peer "$(echo "$KX" | wg pubkey)" allowed-ips 10.81.0.1/32 endpoint 192.168.81.1:51860
ip -n "x$TAG" addr add 10.81.0.1/24 dev "$IFX"; ip -n "x$TAG" link set "$IFX" up
ip -n "y$TAG" addr add 10.81.0.2/24 dev "$IFY"; ip -n "y$TAG" link set "$IFY" up
ping_ok "y$TAG" 10.81.0.1

ip netns exec "y$TAG" python3 - <<'PY'
import os, random, socket, struct
random.seed(1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = ("192.168.81.1", 51860)
sizes = [0, 1, 3, 4, 31, 32, 91, 93, 147, 149, 63, 65, 1500, 9000, 65000]
n = 0
for size in sizes:
    for t in range(0, 6):
        body = bytearray(os.urandom(size))
        if size >= 4:
            body[0:4] = struct.pack("<I", t)
        s.sendto(bytes(body), dst); n += 1
for _ in range(3000):
    size = random.randint(0, 2000)
    body = bytearray(os.urandom(size))
    if size >= 4 and random.random() < 0.7:
        body[0:4] = struct.pack("<I", random.randint(1, 4))
    s.sendto(bytes(body), dst); n += 1
print("sent", n, "garbage datagrams")
PY
# The daemon has read every datagram once its socket's receive queue is empty (what did not fit
# in the queue was dropped by the kernel); it must still be running after handling them.
recv_queue_empty() {  # NS PORT: the UDP socket(s) on PORT hold no unread datagrams
  ip netns exec "$1" ss -Huln "sport = :$2" | awk '{ n++; if ($2 != 0) bad = 1 } END { exit !(n && !bad) }'
}
WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/$IFX.log" \
  wait_until "tandem reading the garbage queued on UDP 51860" 30 recv_queue_empty "x$TAG" 51860
kill -0 "$TANDEM_PID" || die "tandem died on garbage input"
WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/$IFX.log" ping_ok "y$TAG" 10.81.0.1
WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/$IFX.log" ping_ok "x$TAG" 10.81.0.2
kill -0 "$TANDEM_PID" || die "tandem died on garbage input"
echo "PASS: garbage datagrams dropped, tunnel intact"
