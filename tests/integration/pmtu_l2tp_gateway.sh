#!/bin/bash
# Path MTU probing by an L2TP/IPsec gateway of its session towards a client that probes nothing
# (as the built-in clients of Windows, macOS and Android): Tandem's gateway (B, the LNS) finds
# the largest packet that reaches the client with LCP Echo-Requests carrying data, and holds
# what it sends into that session to it. Tandem's client (A, the LAC) runs with
# mtu_probing = false and stands in for such a client.
#
#   node A (tandem up, LAC, no probing) -- router R (silent hop, towards A only) -- gateway B
#
# R drops every packet over 1400 bytes that it received from B's side (silent_hop_lib.sh, one
# direction) before any traffic; what A sends crosses at any size, so only B's probing can find
# the hop. Checked, with the figures printed:
#   - B's status shows the session's search complete with the probed MTU equal to what the test
#     works out from the hop's 1400 bytes and the headers of the ESP suite negotiated (read from
#     B's status); A's says it does not probe; B's log names the session, the user and the size;
#   - a TCP download from B to A (iperf3 -R) completes, moving bytes every second, and A's SYN
#     reaches B's device with MSS probed - 40 (clamped to the session's size);
#   - a UDP datagram of B's full device MTU sent from B without DF arrives whole at A (B
#     fragments it inside the tunnel);
#   - a DF ping from B one byte over the probed MTU is answered with ICMP fragmentation needed
#     carrying it, and one of exactly the probed MTU passes.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
source "$(dirname "$0")/l2tp_probing_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
HOP=1400
GATEWAY=10.88.0.1

H="gh$TAG"
A="ga$TAG"
R="gr$TAG"
B="gb$TAG"
host_node_router_server "$H" "$A" "$R" "$B"
ip -n "$A" route add 192.168.93.0/24 via 192.168.92.2
ip -n "$B" route add 192.168.92.0/24 via 192.168.93.1
# Towards A only: what R receives from B (its device on the 93 link).
silent_hop_set "$R" "$HOP" "va${TAG}93"

A_IF="gla$TAG"
B_IF="glb$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$A_IF.l2tp" "$STATUS_DIR/$B_IF.l2tp")
PSK="a pre-shared key for the gateway's probing"
logs() {
  for f in a b; do [ -f "$TMPDIR_TEST/$f.log" ] && { echo "=== $f.log"; tail -30 "$TMPDIR_TEST/$f.log"; }; done
  echo "=== B's sessions"
  ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" --json 2>/dev/null | python3 -c 'import json,sys
for s in json.load(sys.stdin)[0]["sessions"]: print(s)' || true
} >&2
ON_FAILURE=logs

l2tp_gateway_config "$TMPDIR_TEST/b.toml" "$B_IF" "$PSK"
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
B_PID=$TANDEM_PID

l2tp_client_config "$TMPDIR_TEST/a.toml" "$A_IF" 192.168.93.2 "$PSK" alice "correct horse" \
  "mtu_probing = false"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
A_PID=$TANDEM_PID
T_START=$(date +%s%N)

search_complete() {
  [ "$(l2tp_session_field "$B" "$B_IF" state)" = complete ] && [ -n "$(l2tp_session_field "$B" "$B_IF" probed)" ]
}
WAIT_WATCH_PID=$B_PID WAIT_WATCH_LOG="$TMPDIR_TEST/b.log" \
  wait_until "B's search of the session's path MTU complete" 90 search_complete
note "B's search complete $((($(date +%s%N) - T_START) / 1000000)) ms after A started" \
  "(the first search starts within 10 s of the session)"

ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" --json >"$TMPDIR_TEST/b-status.json"
read -r PROBED MAX SESSION_MTU CONFIGURED CLIENT USER SUITE SENT ACKED < <(python3 - "$TMPDIR_TEST/b-status.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))[0]
s = [s for s in d["sessions"] if s["up"]][0]
p = s["mtu_probe"]
c = [c for c in d["ipsec"]["child_sas"] if c["carries_outbound"]][0]
print(p["probed"], p["max"], s["mtu"], s["configured_mtu"], s["remote"], s["user"], c["suite"],
      p["probes_sent"], p["probes_acked"])
PY
)
note "B's status: session of $USER at $CLIENT probed $PROBED (searched up to $MAX), session MTU" \
  "$SESSION_MTU (configured $CONFIGURED); $SENT probes sent, $ACKED answered; ESP $SUITE"
ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" | { grep -E "MTU|path MTU probing" || true; } | sed 's/^/--- B text: /'
A_PROBING=$(l2tp_session_field "$A" "$A_IF" state)/$(l2tp_session_field "$A" "$A_IF" reason)
note "A's probing: $A_PROBING"
[ "$A_PROBING" = "off/mtu_probing = false" ] || die "A probes ($A_PROBING)"

# The largest inner packet in one datagram of HOP bytes from B (ESP in UDP: A is a client; B's
# L2TP data header is 6 bytes).
esp_suite_sizes "$SUITE"
EXPECTED=$(l2tp_inner_over "$HOP" 6)
[ "$MAX" -lt "$EXPECTED" ] && EXPECTED=$MAX
note "over the $HOP-byte hop towards A with $SUITE: $EXPECTED bytes fit"
[ "$PROBED" = "$EXPECTED" ] || die "probed $PROBED, expected $EXPECTED"
[ "$SESSION_MTU" = "$PROBED" ] || die "the session is held to $SESSION_MTU, not $PROBED"
[ "$CONFIGURED" -gt "$PROBED" ] || die "the configured MTU $CONFIGURED is not above the probed $PROBED"
line=$(grep -E -m1 "session [0-9]+/[0-9]+ \(user 'alice'\): path MTU probing holds its packets to $PROBED \(was the configured MTU" \
  "$TMPDIR_TEST/b.log" || true)
[ -n "$line" ] || die "B's log does not name the session, its user and the probed $PROBED"
note "B's log: $line"

# A TCP download from B to A: A's SYN (MSS from its 1500-byte budget) is clamped at B to what
# the session carries; bytes must move every second.
capture_start "$B" "$B_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/syn.pcap"
ip netns exec "$B" iperf3 -s -1 -B "$GATEWAY" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$B" tcp 5201 30 "the iperf3 server"
ip netns exec "$A" timeout 60 iperf3 -c "$GATEWAY" -R -t 6 -i 1 -J >"$TMPDIR_TEST/iperf.json" 2>&1 ||
  { cat "$TMPDIR_TEST/iperf.json" >&2; die "the download from the gateway through the small hop failed"; }
capture_stop
moved_every_second "$TMPDIR_TEST/iperf.json" download || die "the download stalled"
mss=$(first_syn_mss "$TMPDIR_TEST/syn.pcap")
note "A's SYN at B's device: MSS $mss (expected $((PROBED - 40)))"
[ "$mss" = $((PROBED - 40)) ] || die "A's SYN reached B with MSS $mss, not $((PROBED - 40))"

# A UDP datagram as large as B's device takes, without DF: B fragments it inside the tunnel.
ip -n "$B" route flush cache
DEVICE_MTU=$(ip -n "$B" -j link show dev "$B_IF" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["mtu"])')
PAYLOAD=$((DEVICE_MTU - 28))
ip netns exec "$A" python3 - "$CLIENT" "$TMPDIR_TEST/udp.txt" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
s.settimeout(20)
data, _ = s.recvfrom(65535)
open(sys.argv[2], "w").write(str(len(data)))
PY
UDP_RX=$!
PIDS+=($UDP_RX)
WAIT_WATCH_PID=$UDP_RX wait_listen "$A" udp 9999 10 "the UDP receiver"
ip netns exec "$B" python3 - "$CLIENT" "$PAYLOAD" <<'PY' || die "B could not send the UDP datagram"
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_MTU_DISCOVER = IP_PMTUDISC_DONT: no DF
for _ in range(3):
    s.sendto(b"x" * int(sys.argv[2]), (sys.argv[1], 9999))
    time.sleep(0.2)
PY
wait "$UDP_RX" || die "no UDP datagram of $PAYLOAD bytes arrived at A"
[ "$(cat "$TMPDIR_TEST/udp.txt")" = "$PAYLOAD" ] || die "A received $(cat "$TMPDIR_TEST/udp.txt") bytes, not $PAYLOAD"
FRAGMENTED=$(ip netns exec "$B" "$TANDEM_BIN" status "$B_IF" --json | python3 -c 'import json,sys
print(json.load(sys.stdin)[0]["too_big"].get("fragmented", 0))')
note "a $PAYLOAD-byte UDP datagram (a $DEVICE_MTU-byte packet) from B without DF arrived at A;" \
  "B fragmented $FRAGMENTED packets"
[ "$FRAGMENTED" -gt 0 ] || die "B did not fragment the datagram, yet it crossed the hop?"

# A DF ping from B one byte over the probed MTU: ICMP fragmentation needed from inside the
# tunnel; exactly the probed MTU passes.
one_byte_more "$B" "$CLIENT" "$PROBED" "$CLIENT"
exactly_fits "$B" "$CLIENT" "$PROBED"

[ "$(grep -c "session .* down" "$TMPDIR_TEST/b.log" || true)" = 0 ] ||
  die "the session went down while probing"
note "the hop dropped $(silent_hop_drops "$R") packets from B"
kill -0 "$A_PID" && kill -0 "$B_PID" || die "a node died"
stop_pid "$A_PID" 30 "A"
echo "PASS: pmtu_l2tp_gateway: B probed $PROBED towards A over a $HOP-byte hop (A probing nothing)"
