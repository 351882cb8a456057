#!/bin/bash
# Two WireGuard implementations in two namespaces, configured with the stock `wg` tool, must
# handshake, carry ping and an iperf3 TCP transfer, and report the handshake and byte counters
# in `wg show` on both sides.
#   wg_pair.sh LEFT_IMPL RIGHT_IMPL INITIATOR(left|right) PSK(psk|nopsk) OUTER(v4|v6)
# The initiator side knows the other's endpoint; the other side learns it from the handshake.
source "$(dirname "$0")/../netns/lib.sh"
require_root
LEFT=$1 RIGHT=$2 INITIATOR=$3 PSK=$4 OUTER=$5
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

make_ns "l$TAG"
make_ns "r$TAG"
link_ns "l$TAG" "r$TAG" 77
IFL="wl$TAG"
IFR="wr$TAG"
start_wg "$LEFT" "l$TAG" "$IFL"
start_wg "$RIGHT" "r$TAG" "$IFR"

KL=$(wg genkey); KR=$(wg genkey)
echo "$KL" >"$TMPDIR_TEST/kl"; echo "$KR" >"$TMPDIR_TEST/kr"
PUBL=$(echo "$KL" | wg pubkey); PUBR=$(echo "$KR" | wg pubkey)
PSK_ARGS=()
if [ "$PSK" = psk ]; then
  wg genpsk >"$TMPDIR_TEST/psk"
  PSK_ARGS=(preshared-key "$TMPDIR_TEST/psk")
fi
if [ "$OUTER" = v4 ]; then EPL=192.168.77.1; EPR=192.168.77.2; else EPL="[fd00:77::1]"; EPR="[fd00:77::2]"; fi
ENDPOINT_FOR_LEFT=(); ENDPOINT_FOR_RIGHT=()
if [ "$INITIATOR" = left ]; then ENDPOINT_FOR_LEFT=(endpoint "$EPR:51821"); else ENDPOINT_FOR_RIGHT=(endpoint "$EPL:51820"); fi

ip netns exec "l$TAG" wg set "$IFL" private-key "$TMPDIR_TEST/kl" listen-port 51820 \
  peer "$PUBR" "${PSK_ARGS[@]}" allowed-ips 10.77.0.2/32,fd77::2/128 "${ENDPOINT_FOR_LEFT[@]}"
ip netns exec "r$TAG" wg set "$IFR" private-key "$TMPDIR_TEST/kr" listen-port 51821 \
  peer "$PUBL" "${PSK_ARGS[@]}" allowed-ips 10.77.0.1/32,fd77::1/128 "${ENDPOINT_FOR_RIGHT[@]}"
ip -n "l$TAG" addr add 10.77.0.1/24 dev "$IFL"
ip -n "r$TAG" addr add 10.77.0.2/24 dev "$IFR"
ip -n "l$TAG" addr add fd77::1/64 dev "$IFL" nodad
ip -n "r$TAG" addr add fd77::2/64 dev "$IFR" nodad
ip -n "l$TAG" link set "$IFL" up
ip -n "r$TAG" link set "$IFR" up

note "$LEFT (left) <-> $RIGHT (right), $INITIATOR initiates, $PSK, outer $OUTER"
if [ "$INITIATOR" = left ]; then
  ping_ok "l$TAG" 10.77.0.2
  ping_ok "r$TAG" 10.77.0.1
else
  ping_ok "r$TAG" 10.77.0.1
  ping_ok "l$TAG" 10.77.0.2
fi
ping_ok "l$TAG" fd77::2
iperf_ok "r$TAG" "l$TAG" 10.77.0.2 3
assert_wg_counters "l$TAG" "$IFL"
assert_wg_counters "r$TAG" "$IFR"

# Like wireguard-go, a Tandem daemon exits on SIGTERM and removes its UAPI socket.
for side in left right; do
  if [ "$side" = left ]; then impl=$LEFT; pid=${PIDS[0]}; ifname=$IFL; else impl=$RIGHT; pid=${PIDS[1]}; ifname=$IFR; fi
  [ "$impl" = tandem ] || continue
  stop_pid "$pid" 30 "tandem ($side)"
  [ ! -e "/var/run/wireguard/$ifname.sock" ] || die "tandem ($side) left its UAPI socket behind"
  note "tandem ($side) exited on SIGTERM and removed its socket"
done
echo "PASS: $LEFT <-> $RIGHT ($INITIATOR initiates, $PSK, outer $OUTER)"
