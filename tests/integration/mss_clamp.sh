#!/bin/bash
# TCP MSS clamping through a tunnel between two `tandem up` nodes a and b. a's route to b
# advertises MSS 1460 (advmss), as a host behind a 1500-byte LAN would; the SYN that reaches b's
# side of the tunnel, captured on b's device, must carry the clamped MSS, and a TCP transfer must
# then complete. Checked by tshark, an independent decoder.
#
#   mss_clamp.sh wireguard  device MTU 1420 at both ends: a clamps on the way in, 1380 (1420 - 40)
#   mss_clamp.sh l2tp       plain L2TP, a (the LAC) at MTU 1400 and b (the LNS) at 1300: a clamps
#                           the SYN to 1360 on the way in, and b to 1260 as it comes out of the
#                           tunnel (clamping inbound: a peer that clamps to a larger MTU, or not
#                           at all, must not make b's hosts send segments b's tunnel cannot carry)
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
KIND=${1:-wireguard}

A="ma$TAG"
B="mb$TAG"
make_ns "$A"
make_ns "$B"
link_ns "$A" "$B" 79
STATUS_DIR=/var/run/tandem

case "$KIND" in
  wireguard)
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
    A_IF="wa$TAG" B_IF="wb$TAG" B_ADDRESS=10.79.0.2 EXPECTED=1380
    ;;
  l2tp)
    cat >"$TMPDIR_TEST/b.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "lb$TAG"
mtu = 1300
address = "10.79.0.2/24"
pool = "10.79.0.10-10.79.0.20"

[[l2tp.user]]
name = "alice"
password = "correct horse"
TOML
    cat >"$TMPDIR_TEST/a.toml" <<TOML
[l2tp]
mode = "lac"
allow_unencrypted = true
interface = "la$TAG"
mtu = 1400
server = "192.168.79.2"
routes = ["10.79.0.0/24"]

[[l2tp.session]]
user = "alice"
password = "correct horse"
TOML
    SOCKETS+=("$STATUS_DIR/lb$TAG.l2tp" "$STATUS_DIR/la$TAG.l2tp")
    start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
    start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
    A_PID=$TANDEM_PID
    a_has_address() { ip -n "$A" -4 -o addr show dev "la$TAG" | grep -q "10.79.0."; }
    WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
      wait_until "a's L2TP session up with an address" 60 a_has_address
    A_IF="la$TAG" B_IF="lb$TAG" B_ADDRESS=10.79.0.2 EXPECTED=1260
    ;;
  *) die "usage: $0 wireguard|l2tp" ;;
esac
ping_ok "$A" "$B_ADDRESS"

ip -n "$A" route replace "$B_ADDRESS/32" dev "$A_IF" advmss 1460 ||
  die "cannot set advmss on a's route"
# SYNs only: the transfer's gigabytes would keep the capture busy long after it ends.
capture_start "$B" "$B_IF" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" "$TMPDIR_TEST/b.pcap"
ip netns exec "$B" iperf3 -s -1 -B "$B_ADDRESS" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$B" tcp 5201 30 "the iperf3 server"
timeout 60 ip netns exec "$A" iperf3 -c "$B_ADDRESS" -t 2 >"$TMPDIR_TEST/iperf.log" 2>&1 ||
  { cat "$TMPDIR_TEST/iperf.log" >&2; die "the TCP transfer through the tunnel failed"; }
capture_stop

# The SYNs from a (to port 5201) as b's side of the tunnel received them.
mss=$(tshark -r "$TMPDIR_TEST/b.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 5201" \
  -T fields -e tcp.options.mss_val 2>/dev/null | sort -u)
note "MSS of a's SYNs as b received them: ${mss:-none} (a advertised 1460)"
[ -n "$mss" ] || die "no SYN from a in the capture on b's device"
[ "$mss" = "$EXPECTED" ] || die "the SYN's MSS was not clamped to $EXPECTED: $mss"
note "PASS MSS clamped to the tunnel ($KIND)"
