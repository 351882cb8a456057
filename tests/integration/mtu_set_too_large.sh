#!/bin/bash
# A WireGuard MTU set by hand larger than the path carries, and a path the kernel already knows
# to be smaller:
#
#   host H -- node A (tandem up, mtu = 1420) -- node B (tandem up)     A-B link: MTU 1400
#
# A's device keeps the configured 1420, but its peer is held to the path from the start: the
# kernel's path MTU towards B (1400) less IPv4 20, UDP 8 and WireGuard 32 is 1340. Checks:
#   - A's log says so at start-up, before any packet was lost;
#   - H's very first DF packet of 1341 bytes is answered by A with fragmentation needed carrying
#     1340, and one of 1340 passes;
#   - a TCP transfer from H completes without a single IP fragment on the A-B link (the kernel
#     never fragments A's datagrams: they fit).
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

H="th$TAG"
A="ta$TAG"
B="tb$TAG"
for ns in "$H" "$A" "$B"; do make_ns "$ns"; done
link_ns "$A" "$H" 94
link_ns "$A" "$B" 95
ip -n "$A" link set dev "va${TAG}95" mtu 1400
ip -n "$B" link set dev "vb${TAG}95" mtu 1400
ip netns exec "$A" sysctl -qw net.ipv4.ip_forward=1
ip -n "$H" route add default via 192.168.94.1
A_IF="wa$TAG"
B_IF="wb$TAG"
SOCKETS+=("/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")
LIMIT=$((1400 - 20 - 8 - 32))

KA=$("$TANDEM_BIN" genkey)
KB=$("$TANDEM_BIN" genkey)
cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "$A_IF"
private_key = "$KA"
listen_port = 51860
addresses = ["10.91.0.1/24"]
mtu = 1420

[[peer]]
public_key = "$(echo "$KB" | "$TANDEM_BIN" pubkey)"
endpoint = "192.168.95.2:51861"
allowed_ips = ["10.91.0.2/32"]
TOML
cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "$B_IF"
private_key = "$KB"
listen_port = 51861
addresses = ["10.91.0.2/24"]

[[peer]]
public_key = "$(echo "$KA" | "$TANDEM_BIN" pubkey)"
endpoint = "192.168.95.1:51860"
allowed_ips = ["10.91.0.1/32", "192.168.94.0/24"]
TOML
logs() { for f in a b; do echo "=== $f.log" >&2; tail -20 "$TMPDIR_TEST/$f.log" >&2 || true; done; }
ON_FAILURE=logs
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log" "/var/run/wireguard/$B_IF.sock"
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log" "/var/run/wireguard/$A_IF.sock"
A_PID=$TANDEM_PID

held=$(grep -o "carries only [0-9]*-byte datagrams: inner packets over [0-9]*" "$TMPDIR_TEST/a.log" | head -1)
note "A at start-up: ${held:-nothing about the path}"
[ "$held" = "carries only 1400-byte datagrams: inner packets over $LIMIT" ] ||
  die "A did not hold its peer to the 1400-byte path it knew at start-up"

# The first packets H ever sends through: the handshake happens under a small ping first, so
# the too-big one below is answered, not queued for a handshake.
wait_ping "$H" 10.91.0.2 30
ip netns exec "$H" ping -c 1 -W 3 -M do -s $((LIMIT - 27)) 10.91.0.2 >"$TMPDIR_TEST/toobig.log" 2>&1 || true
grep -q "mtu = $LIMIT" "$TMPDIR_TEST/toobig.log" ||
  { cat "$TMPDIR_TEST/toobig.log" >&2; die "H's first $((LIMIT + 1))-byte DF packet was not answered with fragmentation needed ($LIMIT)"; }
note "H's first $((LIMIT + 1))-byte DF packet: $(grep -o 'Frag needed.*' "$TMPDIR_TEST/toobig.log" | head -1)"
ip netns exec "$H" ping -c 2 -W 3 -M do -s $((LIMIT - 28)) 10.91.0.2 >"$TMPDIR_TEST/fits.log" 2>&1 ||
  { cat "$TMPDIR_TEST/fits.log" >&2; die "a DF packet of $LIMIT bytes did not pass"; }
note "a DF packet of $LIMIT bytes passed"

# Fragments only: a transfer that fits makes none, so the file stays small.
capture_start "$A" "va${TAG}95" "ip[6:2] & 0x3fff != 0" "$TMPDIR_TEST/fragments.pcap"
ip netns exec "$B" iperf3 -s -1 -B 10.91.0.2 >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$B" tcp 5201 30 "the iperf3 server"
ip netns exec "$H" timeout 60 iperf3 -c 10.91.0.2 -t 3 >"$TMPDIR_TEST/iperf.log" 2>&1 ||
  { cat "$TMPDIR_TEST/iperf.log" >&2; die "the TCP transfer from H failed"; }
capture_stop
fragments=$(tshark -r "$TMPDIR_TEST/fragments.pcap" -Y "(ip.flags.mf == 1 || ip.frag_offset > 0) && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
note "TCP from H: $(grep -oE '[0-9.]+ [MG]bits/sec' "$TMPDIR_TEST/iperf.log" | tail -1); IP fragments on the A-B link: $fragments"
[ "$fragments" = 0 ] || die "A's datagrams were fragmented on the way to B ($fragments fragments)"
kill -0 "$A_PID" || die "A died"
note "mtu set too large: ok"
