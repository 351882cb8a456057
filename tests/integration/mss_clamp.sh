#!/bin/bash
# TCP MSS clamping through a WireGuard tunnel between two `tandem up` nodes (device MTU 1420):
# a's route to b advertises MSS 1460 (advmss), as a host behind a 1500-byte LAN would; the SYN
# that reaches b's side of the tunnel, captured on b's device, must carry 1380 (1420 - 40), and a
# TCP transfer must then complete. Checked by tshark, an independent decoder.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

A="ma$TAG"
B="mb$TAG"
make_ns "$A"
make_ns "$B"
link_ns "$A" "$B" 79
KA=$("$TANDEM_BIN" genkey)
KB=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey)
PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
# node FILE IF KEY ADDRESS PORT PEER_KEY PEER_ADDRESS [ENDPOINT]
node() {
  cat >"$1" <<TOML
[interface]
name = "$2"
private_key = "$3"
listen_port = $5
addresses = ["$4/24"]
mtu = 1420

[[peer]]
public_key = "$6"
allowed_ips = ["$7/32"]
${8:+endpoint = \"$8\"}
TOML
}
node "$TMPDIR_TEST/a.toml" "wa$TAG" "$KA" 10.79.0.1 51840 "$PB" 10.79.0.2 192.168.79.2:51841
node "$TMPDIR_TEST/b.toml" "wb$TAG" "$KB" 10.79.0.2 51841 "$PA" 10.79.0.1
for n in b a; do
  SOCKETS+=("/var/run/wireguard/w$n$TAG.sock")
  start_tandem_up "m$n$TAG" "$TMPDIR_TEST/$n.toml" "$TMPDIR_TEST/$n.log" "/var/run/wireguard/w$n$TAG.sock"
done
ping_ok "$A" 10.79.0.2

ip -n "$A" route replace 10.79.0.2/32 dev "wa$TAG" advmss 1460 ||
  die "cannot set advmss on a's route"
# SYNs only: the transfer's gigabytes would keep the capture busy long after it ends.
capture_start "$B" "wb$TAG" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/b.pcap"
ip netns exec "$B" iperf3 -s -1 -B 10.79.0.2 >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$B" tcp 5201 30 "the iperf3 server"
timeout 60 ip netns exec "$A" iperf3 -c 10.79.0.2 -t 2 >"$TMPDIR_TEST/iperf.log" 2>&1 ||
  { cat "$TMPDIR_TEST/iperf.log" >&2; die "the TCP transfer through the tunnel failed"; }
capture_stop

# The SYNs from a (to port 5201) as b's side of the tunnel received them.
mss=$(tshark -r "$TMPDIR_TEST/b.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5201" \
  -T fields -e tcp.options.mss_val 2>/dev/null | sort -u)
note "MSS of a's SYNs as b received them: ${mss:-none} (a advertised 1460)"
[ -n "$mss" ] || die "no SYN from a in the capture on b's device"
[ "$mss" = 1380 ] || die "the SYN's MSS was not clamped to 1380 (1420 - 40): $mss"
note "PASS MSS clamped to the tunnel"
