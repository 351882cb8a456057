#!/bin/bash
# Tandem's IKEv1 engine against SoftEther VPN Server's L2TP/IPsec, in two network namespaces:
# Main Mode with a pre-shared key and Quick Mode for a transport-mode SA protecting UDP 1701,
# UDP-encapsulated (Tandem announces a NAT so ESP travels in UDP 4500, its userspace data path).
# Then an L2TP control connection from Tandem's L2TP engine runs inside that ESP: the tunnel
# coming up proves both directions' ESP keys agree with SoftEther's. tshark must decode the
# ISAKMP exchange without malformed packets, and SoftEther must still answer afterwards.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/softether_lib.sh"
require_root
: "${PROBE:?set PROBE to the ikev1_l2tp_probe binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"

SV="s$TAG"
CL="c$TAG"
make_ns "$SV"
make_ns "$CL"
link_ns "$SV" "$CL" 73
export SOFTETHER_L2TP_IPSEC=yes
export SOFTETHER_PSK="psk-$RANDOM-$RANDOM"
softether_start "$SV" 192.168.73.1 TESTHUB alice "pw-$RANDOM"

ip netns exec "$CL" tshark -i "vb${TAG}73" -w "$TMPDIR_TEST/ike.pcapng" -f "udp port 500 or udp port 4500" \
  >"$TMPDIR_TEST/tshark.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do grep -q "Capturing on" "$TMPDIR_TEST/tshark.log" && break; sleep 0.1; done

status=0
ip netns exec "$CL" "$PROBE" 192.168.73.2 192.168.73.1 "$SOFTETHER_PSK" 30 >"$TMPDIR_TEST/probe.log" 2>&1 || status=$?
cat "$TMPDIR_TEST/probe.log"
sleep 1
kill "${PIDS[-1]}" 2>/dev/null || true
wait "${PIDS[-1]}" 2>/dev/null || true
[ "$status" = 0 ] || { tail -30 "$SOFTETHER_LOG" >&2; die "no ESP-protected L2TP tunnel with SoftEther"; }
grep -q "ike-sa-up: IKEv1 SA with server (192.168.73.1:4500)" "$TMPDIR_TEST/probe.log" ||
  die "phase 1 did not float to UDP 4500"
grep -q "child-sa-up: .*transport mode in UDP" "$TMPDIR_TEST/probe.log" ||
  die "no UDP-encapsulated transport-mode SA"

# tshark's view: six Main Mode and three Quick Mode messages, nothing malformed.
decoded=$(tshark -r "$TMPDIR_TEST/ike.pcapng" -Y isakmp -T fields -e isakmp.exchangetype 2>/dev/null || true)
mm=$(grep -c '^2$' <<<"$decoded" || true)
qm=$(grep -c '^32$' <<<"$decoded" || true)
echo "tshark: $mm Main Mode and $qm Quick Mode messages"
[ "$mm" -ge 6 ] && [ "$qm" -ge 3 ] || die "tshark did not see the whole exchange"
malformed=$(tshark -r "$TMPDIR_TEST/ike.pcapng" -Y "_ws.malformed" 2>/dev/null | wc -l || true)
[ "$malformed" = 0 ] || die "tshark found $malformed malformed packets"
kill -0 "$SOFTETHER_PID" || die "SoftEther exited"
echo "PASS: IKEv1 + ESP transport (UDP-encapsulated) + L2TP tunnel with SoftEther"
