#!/bin/bash
# Path MTU probing of a WireGuard peer ([[peer]] mtu_probe_target) across a hop that drops large
# datagrams and sends no ICMP (silent_hop_lib.sh), to a standard peer or to another Tandem:
#
#   host H -- node A (tandem up, probing) -- router R (the silent hop) -- peer B
#
#   pmtu_wireguard.sh wireguard-go   B is wireguard-go, configured with `wg`; its kernel answers
#                                    A's pings on B's tunnel address
#   pmtu_wireguard.sh tandem         B is `tandem up`, probing A the same way
#
# The hop carries 1400 bytes before any traffic. 1400 less IPv4 20, UDP 8 and WireGuard 32 leaves
# 1340 for an inner packet, but a size counts only when it goes both ways: the reply to a ping is
# as large as the ping, and wireguard-go pads it (WireGuard pads every packet to a multiple of 16,
# never past the device MTU), so a 1340-byte reply leaves it as 1344 and is dropped; the largest
# size both ways is then 1328. Tandem seals an echo reply at its exact size, so between two
# Tandems it is 1340. The test works each out (inner_both_ways below) and checks:
#   - A's `tandem status --json` shows the probe complete at that size (and its text form says
#     so), and A's log has the change; A's device (one peer: a client) shows that MTU;
#   - a DF ping of that size from H (behind A, masqueraded) passes; one byte more is answered by
#     A (from inside the tunnel, in the target's name) with ICMP fragmentation needed carrying it;
#   - an iperf3 upload from H to B, starting at once at full size, completes moving bytes every
#     second, and its SYN reaches B's tunnel device with MSS probed - 40 (tshark on a capture);
#   - the hop raised to 1500: A finds 1420 again within mtu_probe_interval (10 s) and a little,
#     and its device shows the configured 1420 again;
#   - the hop shrunk back to 1400 in the middle of an upload: A finds the black hole (the size in
#     use, confirmed while data flows, stops arriving), holds the base size at once and then the
#     size found; the transfer recovers and completes. The time from the shrink to the new MTU
#     held and the transfer's rate per second are printed.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/nested_lib.sh"
source "$(dirname "$0")/wireguard_probing_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: wireguard-go or tandem}
case "$SCENARIO" in wireguard-go | tandem) ;; *) die "unknown scenario $SCENARIO" ;; esac

DEVICE_MTU=1420
PROBE_INTERVAL=10
OVERHEAD=$((20 + 8 + 32))  # IPv4, UDP, WireGuard (header 16, tag 16)

# inner_both_ways HOP: the largest inner packet (at most the device MTU) that crosses a hop of
# HOP bytes, and whose echo reply does too, padded by wireguard-go to a multiple of 16 (never past
# its device MTU), or at its own size from Tandem.
inner_both_ways() {
  local room=$(($1 - OVERHEAD)) size=$DEVICE_MTU
  [ "$size" -le "$room" ] || size=$room
  while [ "$SCENARIO" = wireguard-go ]; do
    local padded=$(((size + 15) / 16 * 16))
    [ "$padded" -le "$DEVICE_MTU" ] || padded=$DEVICE_MTU
    [ "$padded" -le "$room" ] && break
    size=$((size - 1))
  done
  echo "$size"
}
NARROW=$(inner_both_ways 1400)
WIDE=$(inner_both_ways 1500)
note "a 1400-byte hop leaves $((1400 - OVERHEAD)) for an inner packet one way, $NARROW both ways" \
  "with $SCENARIO's replies; a 1500-byte hop $WIDE"

H="ph$TAG"
A="pa$TAG"
R="pr$TAG"
B="pb$TAG"
routed_pair "$A" "$B" "$R"  # A 192.168.86.2 -- R -- 192.168.87.2 B
make_ns "$H"
link_ns "$A" "$H" 91
ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=1
ip -n "$H" route add default via 192.168.91.1
A_IF="pwa$TAG"
B_IF="pwb$TAG"
TARGET=10.90.0.2  # B's tunnel address: what A pings, and where the transfers go
SOCKETS+=("/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")

logs() {
  echo "=== a.log" >&2
  tail -30 "$TMPDIR_TEST/a.log" >&2 || true
  if [ "$SCENARIO" = tandem ]; then
    echo "=== b.log" >&2
    tail -20 "$TMPDIR_TEST/b.log" >&2 || true
  else
    wireguard_go_logs "$B" "$B_IF"
  fi
  ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" >&2 || true
  echo "silent hop drops: $(silent_hop_drops "$R")" >&2
}
ON_FAILURE=logs

# The hop first, so the first search after the handshake meets it.
silent_hop_set "$R" 1400

KA=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey)
if [ "$SCENARIO" = wireguard-go ]; then
  start_wireguard_go_peer "$B" "$B_IF" 10.90.0.2/24 "$DEVICE_MTU" "$PA" 10.90.0.1/32
  PB=$WG_GO_PUB
  B_PORT=51820
else
  KB=$("$TANDEM_BIN" genkey)
  PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
  B_PORT=51861
  probing_node "$TMPDIR_TEST/b.toml" "$B_IF" "$KB" "$B_PORT" 10.90.0.2 a "$PA" 10.90.0.1
  start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log" "/var/run/wireguard/$B_IF.sock"
fi
probing_node "$TMPDIR_TEST/a.toml" "$A_IF" "$KA" 51860 10.90.0.1 b "$PB" "$TARGET" \
  "192.168.87.2:$B_PORT"
# H's packets leave A from A's tunnel address, the only one B routes back.
masquerade_behind "$A" "$A_IF"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log" "/var/run/wireguard/$A_IF.sock"
A_PID=$TANDEM_PID

probe_field() { peer_field "$A" "$A_IF" "$1"; }
probed_is() { [ "$(probe_field probed)" = "$1" ] && [ "$(probe_field state)" = complete ]; }
# B (Tandem) probes A the same way: both ends hold each other, and must still see a hop grow.
b_probed_is() {
  [ "$(peer_field "$B" "$B_IF" probed)" = "$1" ] && [ "$(peer_field "$B" "$B_IF" state)" = complete ]
}
now_s() { python3 -c 'import time; print(f"{time.monotonic():.1f}")'; }
elapsed() { python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.1f}")' "$1" "$(now_s)"; }

# A handshake (small pings cross the hop), then the first search.
wait_ping "$A" "$TARGET" 30
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's probing complete at $NARROW" 90 probed_is "$NARROW"
note "A's status: state $(probe_field state), probed $(probe_field probed), searched up to" \
  "$(probe_field max), mtu $(probe_field mtu) (configured $(probe_field configured_mtu))," \
  "$(probe_field probes_sent) probes sent, $(probe_field probes_acked) answered"
[ "$(probe_field mtu)" = "$NARROW" ] || die "A's peer is not held to $NARROW"
[ "$(probe_field configured_mtu)" = "$DEVICE_MTU" ] || die "A's configured MTU is not $DEVICE_MTU"
[ "$(probe_field max)" = "$DEVICE_MTU" ] || die "A's search did not look up to the device MTU"
# The text form, read until it shows a completed search: with mtu_probe_interval = 10 the next
# search upwards may have begun since the JSON said complete (it ends at the same size).
text_shows_probing() {
  ip netns exec "$A" "$TANDEM_BIN" status "$A_IF" >"$TMPDIR_TEST/a-status.txt" &&
    grep -qE "path MTU probing: complete, $NARROW probed \(searched up to $DEVICE_MTU\).*; pinging $TARGET" \
      "$TMPDIR_TEST/a-status.txt"
}
if ! (ON_FAILURE= wait_until "the text form of A's status showing the probing complete" 30 text_shows_probing); then
  cat "$TMPDIR_TEST/a-status.txt" >&2
  die "the text form of tandem status does not show the probing"
fi
grep -q "path MTU probing holds its packets to $NARROW (was the configured MTU ($DEVICE_MTU))" \
  "$TMPDIR_TEST/a.log" || die "A's log has no line for the MTU it now holds"
# A client (one peer): its device shows what its path carries, so hosts on A size for it too.
wait_until "A's device MTU $NARROW" 10 device_mtu_is "$A" "$A_IF" "$NARROW"
grep -q "$A_IF: device MTU $DEVICE_MTU -> $NARROW, what probing found" "$TMPDIR_TEST/a.log" ||
  die "A's log does not say its device MTU followed the probing"
if [ "$SCENARIO" = tandem ]; then
  wait_until "B's probing of A complete at $NARROW" 60 b_probed_is "$NARROW"
  note "B's log: $(grep -o 'path MTU probing holds .*' "$TMPDIR_TEST/b.log" | tail -1)"
fi

# Exactly the probed size from H passes; one byte more gets fragmentation needed from A's kernel
# (A's device now shows the probed MTU), from A's address on H's link: the MTU it carries is A's
# figure, B's device takes 1420.
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((NARROW - 28)) "$TARGET" >"$TMPDIR_TEST/fits.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits.log" >&2; die "a DF ping of exactly $NARROW bytes did not pass"; }
note "a DF ping of $NARROW bytes from H passed"
one_byte_more "$H" "$TARGET" "$NARROW" 192.168.91.1

# rates FILE: the transfer's rate in each second and its longest stall (in the half-second
# reports); fails when it broke.
rates() {
  python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
if "error" in r: sys.exit("iperf3: " + r["error"])
seconds = {}
for i in r["intervals"]:
    s = int(i["sum"]["start"])
    seconds[s] = seconds.get(s, 0) + i["sum"]["bytes"]
print("--- transfer, Mbit/s in each second:",
      " ".join(f"{seconds[s] * 8 / 1e6:.0f}" for s in sorted(seconds)))
longest = run = 0.0
for i in r["intervals"]:
    run = run + i["sum"]["seconds"] if i["sum"]["bytes"] == 0 else 0.0
    longest = max(longest, run)
print(f"--- longest stall: {longest:.1f} s")
print(f"--- {r['end']['sum_received']['bytes'] / 1e6:.1f} MB in "
      f"{r['end']['sum_received']['seconds']:.1f} s, retransmits "
      f"{r['end']['sum_sent'].get('retransmits', '?')}")
PY
}

# The upload at full size from its first segment, with its SYN captured on B's tunnel device.
capture_start "$B" "$B_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/syn.pcap"
start_iperf "$B" "$TARGET" "$H" 6
wait "$IPERF_PID" || { tail -20 "$TMPDIR_TEST/iperf.json" >&2; die "the transfer over the probed path failed"; }
capture_stop
rates "$TMPDIR_TEST/iperf.json" || die "the transfer over the probed path moved nothing"
python3 - "$TMPDIR_TEST/iperf.json" <<'PY' || die "the transfer stalled in some second"
import json, sys
r = json.load(open(sys.argv[1]))
# Half-second reports: every whole second has at least one that moved bytes.
seconds = {}
for i in r["intervals"]:
    s = int(i["sum"]["start"])
    seconds[s] = seconds.get(s, 0) + i["sum"]["bytes"]
sys.exit(0 if seconds and min(seconds.values()) > 0 else 1)
PY
mss=$(tshark -r "$TMPDIR_TEST/syn.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" \
  -T fields -e tcp.options.mss_val 2>/dev/null | head -1 || true)
note "H's SYN at B's device: MSS $mss (expected $((NARROW - 40)))"
[ "$mss" = $((NARROW - 40)) ] || die "the SYN's MSS at B's device is $mss, not $((NARROW - 40))"

# The hop grows: the next search upwards, mtu_probe_interval after the last one, finds it.
silent_hop_set "$R" 1500
raised=$(now_s)
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's probing finding $WIDE after the hop grew" $((PROBE_INTERVAL * 3)) probed_is "$WIDE"
found=$(elapsed "$raised")
note "the hop raised to 1500: A holds $WIDE again after $found s (mtu_probe_interval $PROBE_INTERVAL s)"
python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) + 5 else 1)' \
  "$found" "$PROBE_INTERVAL" || die "the grown hop was found only after $found s"
wait_until "A's device MTU $WIDE again" 10 device_mtu_is "$A" "$A_IF" "$WIDE"
if [ "$SCENARIO" = tandem ]; then
  wait_until "B's probing of A finding $WIDE after the hop grew" $((PROBE_INTERVAL * 3)) \
    b_probed_is "$WIDE"
  note "B holds A to $WIDE again after $(elapsed "$raised") s"
fi

# The hop shrinks under a transfer: found as a black hole while data flows. H forgets the path
# MTU A told it with one_byte_more, so that the transfer sends full-size segments again.
ip -n "$H" route flush cache
! ip -n "$H" route get "$TARGET" | grep -q " mtu " || die "H still holds a path MTU towards $TARGET"
tunnel_tx() {
  ip -n "$A" -s -j link show dev "$A_IF" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["bytes"])'
}
tx_before=$(tunnel_tx)
moved() { [ $(($(tunnel_tx) - tx_before)) -ge "$1" ]; }
start_iperf "$B" "$TARGET" "$H" 30
started=$(now_s)
wait_until "the upload moving 20 MB through A at full size" 30 moved 20000000
drops_before=$(silent_hop_drops "$R")
silent_hop_set "$R" 1400
shrunk=$(now_s)
shrunk_wall=$(date +%s.%N)
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_until "A's probing finding $NARROW after the hop shrank under the transfer" 60 \
  probed_is "$NARROW"
held=$(elapsed "$shrunk")
# since_shrink TEXT: seconds from the shrink to A's first log line holding TEXT after it.
since_shrink() {
  python3 - "$TMPDIR_TEST/a.log" "$shrunk_wall" "$1" <<'PY'
import datetime, sys
for line in open(sys.argv[1]):
    if sys.argv[3] not in line:
        continue
    at = datetime.datetime.strptime(line.split()[0], "%Y-%m-%dT%H:%M:%S.%f").timestamp()
    if at >= float(sys.argv[2]):
        print(f"{at - float(sys.argv[2]):.1f}")
        break
PY
}
base_held=$(since_shrink "holds its packets to 1280 (was $WIDE): a black hole")
[ -n "$base_held" ] || die "A's log does not say it found a black hole after the shrink"
narrow_held=$(since_shrink "holds its packets to $NARROW (was 1280)")
wait "$IPERF_PID" || { tail -20 "$TMPDIR_TEST/iperf.json" >&2; die "the transfer did not survive the shrink"; }
rates "$TMPDIR_TEST/iperf.json" || die "the transfer across the shrink moved nothing"
note "the hop shrunk to 1400 under the transfer: A held the base size 1280 after $base_held s" \
  "and $NARROW after ${narrow_held:-?} s (its log; $held s by polling its status); the hop" \
  "dropped $(($(silent_hop_drops "$R") - drops_before)) packets meanwhile"
python3 - "$TMPDIR_TEST/iperf.json" "$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$shrunk" "$started")" "$held" <<'PY' || die "the transfer did not recover after the shrink"
import json, sys
r = json.load(open(sys.argv[1]))
# From 3 s after the new size was held to the end, every half second moved bytes.
recovered = float(sys.argv[2]) + float(sys.argv[3]) + 3
after = [i["sum"]["bytes"] for i in r["intervals"] if i["sum"]["start"] >= recovered]
print("--- bytes per half second once recovered:", after)
sys.exit(0 if len(after) >= 10 and min(after) > 0 else 1)
PY
kill -0 "$A_PID" || die "A died"
note "pmtu_wireguard $SCENARIO: ok"
