#!/bin/bash
# wg-quick brings up an interface with WG_QUICK_USERSPACE_IMPLEMENTATION pointing at Tandem's
# tandem-userspace entry point, against a wireguard-go peer; then wg-quick down removes it.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
USERSPACE="$(dirname "$TANDEM_BIN")/tandem-userspace"
[ -x "$USERSPACE" ] || die "$USERSPACE missing (the build makes it beside tandem)"

make_ns "q$TAG"; make_ns "g$TAG"
link_ns "q$TAG" "g$TAG" 79
IFQ="wq$TAG"; IFG="wg$TAG"
KQ=$(wg genkey); KG=$(wg genkey)
mkdir -p "$TMPDIR_TEST/conf"
cat >"$TMPDIR_TEST/conf/$IFQ.conf" <<CONF
[Interface]
PrivateKey = $KQ
Address = 10.79.0.1/24

[Peer]
PublicKey = $(echo "$KG" | wg pubkey)
AllowedIPs = 10.79.0.2/32
Endpoint = 192.168.79.2:51841
CONF
start_wg wireguard-go "g$TAG" "$IFG"
echo "$KG" >"$TMPDIR_TEST/kg"
ip netns exec "g$TAG" wg set "$IFG" private-key "$TMPDIR_TEST/kg" listen-port 51841 \
  peer "$(echo "$KQ" | wg pubkey)" allowed-ips 10.79.0.1/32
ip -n "g$TAG" addr add 10.79.0.2/24 dev "$IFG"
ip -n "g$TAG" link set "$IFG" up

SOCKETS+=("/var/run/wireguard/$IFQ.sock")
ip netns exec "q$TAG" env WG_QUICK_USERSPACE_IMPLEMENTATION="$USERSPACE" \
  wg-quick up "$TMPDIR_TEST/conf/$IFQ.conf" 2>&1 | sed 's/^/wg-quick: /'
# wg-quick daemonized tandem-userspace; find its PID through the socket it serves, so the
# trap can stop exactly it if something below fails. Unix sockets belong to a network namespace:
# look in the daemon's.
pid=$(ip netns exec "q$TAG" ss -xlpn 2>/dev/null | grep "/var/run/wireguard/$IFQ.sock" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
[ -n "$pid" ] || die "no process serves /var/run/wireguard/$IFQ.sock after wg-quick up"
PIDS+=("$pid")
ping_ok "q$TAG" 10.79.0.2
assert_wg_counters "q$TAG" "$IFQ"
ip netns exec "q$TAG" env WG_QUICK_USERSPACE_IMPLEMENTATION="$USERSPACE" \
  wg-quick down "$TMPDIR_TEST/conf/$IFQ.conf" 2>&1 | sed 's/^/wg-quick: /'
# wg-quick down deletes the interface; the daemon then closes and removes its socket.
wait_until "the UAPI socket of $IFQ removed after wg-quick down" 30 test ! -S "/var/run/wireguard/$IFQ.sock"
echo "PASS: wg-quick with tandem-userspace against wireguard-go"
