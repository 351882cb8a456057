#!/bin/bash
# The MTU of a WireGuard tunnel, end to end, over an IPv4 or an IPv6 underlay:
#
#   host H -- node A (tandem up) -- router R -- node B (tandem up)
#
# Neither config names an MTU, so each node sizes its device from the path to its peer. The test
# works out the MTU itself from the header sizes (underlay 1500, less IPv4 20 or IPv6 40, UDP 8,
# WireGuard 32) and checks:
#   - `tandem mtu wireguard` prints that inner MTU for the underlay;
#   - both devices have it;
#   - a DF ping of exactly that size from H (behind A) reaches B and comes back; one byte more is
#     answered by A with ICMP fragmentation needed carrying that MTU;
#   - H's SYN (advertising 1460 on its 1500-byte LAN) reaches B's device clamped to MTU - 40, in
#     a capture decoded by tshark;
#   - the underlay shrunk to 1280 in the middle of a TCP transfer (the router's link towards B):
#     the transfer goes on and completes;
#   - A learned the shrunk path from the router's ICMP on its socket: its log says so, a DF ping
#     of 1280 less the headers passes and one byte more is answered with that smaller MTU.
#
#   mtu_stacks.sh wireguard-v4 | wireguard-v6
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: wireguard-v4 or wireguard-v6}

H="uh$TAG"
A="ua$TAG"
R="ur$TAG"
B="ub$TAG"
for ns in "$H" "$A" "$R" "$B"; do make_ns "$ns"; done
link_ns "$A" "$H" 91
link_ns "$A" "$R" 92
link_ns "$R" "$B" 93
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=1
ip -n "$H" route add default via 192.168.91.1
A_IF="wa$TAG"
B_IF="wb$TAG"
SOCKETS+=("/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")

case "$SCENARIO" in
  wireguard-v4)
    ip -n "$A" route add 192.168.93.0/24 via 192.168.92.2
    ip -n "$B" route add 192.168.92.0/24 via 192.168.93.1
    A_ENDPOINT="192.168.92.1:51850" B_ENDPOINT="192.168.93.2:51851"
    IP_HEADER=20 FAMILY_FLAG=""
    ;;
  wireguard-v6)
    ip -n "$A" -6 route add fd00:93::/64 via fd00:92::2
    ip -n "$B" -6 route add fd00:92::/64 via fd00:93::1
    A_ENDPOINT="[fd00:92::1]:51850" B_ENDPOINT="[fd00:93::2]:51851"
    IP_HEADER=40 FAMILY_FLAG="--ipv6"
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac
EXPECTED=$((1500 - IP_HEADER - 8 - 32))

# What `tandem mtu` says for this stack, against the sum above.
printed=$("$TANDEM_BIN" mtu wireguard --underlay 1500 $FAMILY_FLAG | awk '/inner MTU/ {print $3}')
note "tandem mtu wireguard --underlay 1500 $FAMILY_FLAG: inner MTU $printed (computed here: $EXPECTED)"
[ "$printed" = "$EXPECTED" ] || die "tandem mtu prints $printed, the headers add up to $EXPECTED"

KA=$("$TANDEM_BIN" genkey)
KB=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey)
PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "$A_IF"
private_key = "$KA"
listen_port = 51850
addresses = ["10.90.0.1/24"]

[[peer]]
public_key = "$PB"
endpoint = "$B_ENDPOINT"
allowed_ips = ["10.90.0.2/32"]
TOML
cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "$B_IF"
private_key = "$KB"
listen_port = 51851
addresses = ["10.90.0.2/24"]

[[peer]]
public_key = "$PA"
endpoint = "$A_ENDPOINT"
allowed_ips = ["10.90.0.1/32", "192.168.91.0/24"]
TOML
logs() { for f in a b; do echo "=== $f.log" >&2; tail -20 "$TMPDIR_TEST/$f.log" >&2 || true; done; }
ON_FAILURE=logs
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log" "/var/run/wireguard/$B_IF.sock"
B_PID=$TANDEM_PID
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log" "/var/run/wireguard/$A_IF.sock"
A_PID=$TANDEM_PID

device_mtu() { ip -n "$1" -j link show dev "$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])'; }
note "device MTUs: A $(device_mtu "$A" "$A_IF"), B $(device_mtu "$B" "$B_IF"); A's log: $(grep -o 'MTU [0-9]* (.*)' "$TMPDIR_TEST/a.log" | head -1)"
[ "$(device_mtu "$A" "$A_IF")" = "$EXPECTED" ] || die "A's device MTU is not $EXPECTED"
[ "$(device_mtu "$B" "$B_IF")" = "$EXPECTED" ] || die "B's device MTU is not $EXPECTED"

wait_ping "$H" 10.90.0.2 30
# Exactly the MTU, DF set, from the host behind A: through the tunnel and back.
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((EXPECTED - 28)) 10.90.0.2 >"$TMPDIR_TEST/fits.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits.log" >&2; die "a DF ping of exactly $EXPECTED bytes did not pass"; }
note "a DF ping of $EXPECTED bytes from H passed"
# One byte more: A answers with fragmentation needed, carrying its device's MTU.
ip netns exec "$H" ping -c 1 -W 3 -M do -s $((EXPECTED - 27)) 10.90.0.2 >"$TMPDIR_TEST/toobig.log" 2>&1 || true
grep -q "mtu = $EXPECTED" "$TMPDIR_TEST/toobig.log" ||
  { cat "$TMPDIR_TEST/toobig.log" >&2; die "one byte more was not answered with fragmentation needed (mtu = $EXPECTED)"; }
note "one byte more: $(grep -o 'Frag needed.*' "$TMPDIR_TEST/toobig.log" | head -1)"

# H's SYN as it comes out of B's device.
# SYNs only: the transfer itself would make a capture file too big to read back quickly.
capture_start "$B" "$B_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/syn.pcap"
ip netns exec "$B" iperf3 -s -1 -B 10.90.0.2 >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$B" tcp 5201 30 "the iperf3 server"
ip netns exec "$H" timeout 60 iperf3 -c 10.90.0.2 -t 8 -i 1 -J >"$TMPDIR_TEST/iperf.json" 2>&1 &
IPERF_PID=$!
PIDS+=($IPERF_PID)
sleep 3
# The underlay shrinks under the transfer: the router's link towards B, both ends.
ip -n "$R" link set dev "va${TAG}93" mtu 1280
ip -n "$B" link set dev "vb${TAG}93" mtu 1280
note "underlay between R and B shrunk to 1280 during the transfer"
wait "$IPERF_PID" ||
  { cat "$TMPDIR_TEST/iperf.json" >&2; die "the transfer failed (or did not end within 60 s) after the underlay shrank"; }
capture_stop
mss=$(tshark -r "$TMPDIR_TEST/syn.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" \
  -T fields -e tcp.options.mss_val 2>/dev/null | head -1)
note "H's SYN at B's device: MSS $mss (expected $((EXPECTED - 40)))"
[ "$mss" = $((EXPECTED - 40)) ] || die "the SYN's MSS is $mss, not $((EXPECTED - 40))"
python3 - "$TMPDIR_TEST/iperf.json" <<'PY' || die "the transfer stalled once the underlay shrank"
import json, sys
intervals = json.load(open(sys.argv[1]))["intervals"]
after = [i["sum"]["bytes"] for i in intervals if i["sum"]["start"] >= 4]
print("--- bytes per second after the shrink:", after)
sys.exit(0 if after and min(after) > 0 else 1)
PY

# The path learned from the router's ICMP: A now holds packets to B to what 1280 carries.
SHRUNK=$((1280 - IP_HEADER - 8 - 32))
learned=$(grep -o "carries only [0-9]*-byte datagrams.*" "$TMPDIR_TEST/a.log" | head -1)
note "A's log: ${learned:-nothing about the underlay path MTU}"
grep -q "carries only 1280-byte datagrams: inner packets over $SHRUNK bytes" <<<"$learned" ||
  die "A did not learn the 1280-byte underlay from the router's ICMP"
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((SHRUNK - 28)) 10.90.0.2 >"$TMPDIR_TEST/fits2.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits2.log" >&2; die "a DF ping of $SHRUNK bytes did not pass the shrunk path"; }
ip netns exec "$H" ping -c 1 -W 3 -M do -s $((SHRUNK - 27)) 10.90.0.2 >"$TMPDIR_TEST/toobig2.log" 2>&1 || true
# H learned the MTU from A's earlier answers, so its own stack may refuse the ping ("mtu=")
# with the value A told it: either way it is A's figure.
grep -qE "mtu ?= ?$SHRUNK" "$TMPDIR_TEST/toobig2.log" ||
  { cat "$TMPDIR_TEST/toobig2.log" >&2; die "one byte over $SHRUNK was not answered with that MTU"; }
note "after the shrink: $SHRUNK bytes pass, one more: $(grep -m1 -oE '(Frag needed|local error).*' "$TMPDIR_TEST/toobig2.log")"
kill -0 "$A_PID" && kill -0 "$B_PID" || die "a node died"
note "mtu $SCENARIO: ok"
