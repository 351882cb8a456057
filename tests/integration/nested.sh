#!/bin/bash
# Nesting, Tandem to Tandem: a client whose config stacks one tunnel inside the other
# ([nesting], one process, one device) and a server running a WireGuard interface and an
# L2TP/IPsec gateway side by side (`tandem up` with [interface] and [l2tp], each on its own
# device), so the server's kernel hands the inner protocol from one to the other.
#
#   nested.sh wireguard-in-l2tp   [nesting] outer = "l2tp": WireGuard's datagrams ride the
#                                 L2TP/IPsec session to the gateway's address inside it
#   nested.sh l2tp-in-wireguard   [nesting] outer = "wireguard": L2TP/IPsec (IKE, ESP in UDP 4500)
#                                 rides WireGuard to the gateway's address inside it
#
# Each checks: ping and a TCP transfer through the stack; the device MTU the client reports is
# the one the test computes from the header sizes, and a DF ping of exactly that size passes; a
# capture on the underlay holds only the outer protocol (not one packet of the inner one); the
# client's nested counters show datagrams carried both ways; a clean stop.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/nested_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario: wireguard-in-l2tp or l2tp-in-wireguard}
PSK="a pre-shared key for the nested test"

nested_nodes 86
UNDERLAY="va${TAG}86"  # the server's side of the veth

# The server's WireGuard pads its packets to its own MTU: over L2TP it must be the client's nested
# MTU, or its largest packets leave the server's L2TP device in fragments.
SV_WG_MTU=1420
[ "$SCENARIO" = wireguard-in-l2tp ] && SV_WG_MTU=1340

nested_server_config "$SV_WG_MTU" >"$TMPDIR_TEST/sv.toml"

case "$SCENARIO" in
  wireguard-in-l2tp)
    TARGET=10.96.0.1  # reached through WireGuard, inside L2TP/IPsec
    # The L2TP session carries 1400 (its default mtu, PPP's MRU); WireGuard inside it adds IPv4
    # (20), UDP (8) and its own 32 (data header 16, tag 16).
    EXPECTED_MTU=$((1400 - 20 - 8 - 32))
    OUTER_FILTER="udp.port == 4500 || udp.port == 500 || esp"
    INNER_FILTER="udp.port == 51820"
    ;;
  l2tp-in-wireguard)
    TARGET=10.86.0.1  # reached through L2TP/IPsec, inside WireGuard
    # WireGuard carries 1420 (its default mtu); L2TP/IPsec inside it: IPv4 20, UDP 4500 8, ESP
    # header 8, then the larger of the two suites the client proposes: AES-CBC/SHA-1 with a
    # 16-byte IV, a 12-byte ICV and padding to 16 bytes (pad length and next header included),
    # against AES-GCM's 8 + 16 and 4-byte alignment; inside ESP, UDP 1701 8, L2TP 6, PPP 4.
    room=$((1420 - 20 - 8 - 8 - 16 - 12))  # what CBC's padded block area may fill
    cbc_inner=$(((room / 16) * 16 - 2 - 8 - 6 - 4))
    gcm_room=$((1420 - 20 - 8 - 8 - 8 - 16))
    gcm_inner=$(((gcm_room / 4) * 4 - 2 - 8 - 6 - 4))
    EXPECTED_MTU=$((cbc_inner < gcm_inner ? cbc_inner : gcm_inner))
    [ "$EXPECTED_MTU" -gt 1400 ] && EXPECTED_MTU=1400
    OUTER_FILTER="udp.port == 51820"
    INNER_FILTER="udp.port == 500 || udp.port == 4500 || udp.port == 1701 || esp || isakmp || l2tp"
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac

nested_client_config "$SCENARIO" >"$TMPDIR_TEST/cl.toml"

logs() {
  for f in sv cl; do echo "=== $f.log" >&2; tail -40 "$TMPDIR_TEST/$f.log" >&2 || true; done
}
ON_FAILURE=logs

nested_doc() { ip netns exec "$CL" "$TANDEM_BIN" status "$CL_IF" --json; }
nested_field() {  # PYTHON_EXPRESSION on the nested document `d`
  nested_doc 2>/dev/null | python3 -c "import json,sys
docs=[d for d in json.load(sys.stdin) if d.get('role') == 'nested']
d=docs[0]
print($1)"
}

start_tandem_up "$SV" "$TMPDIR_TEST/sv.toml" "$TMPDIR_TEST/sv.log" "$STATUS_DIR/$SV_L2.l2tp"
SV_PID=$TANDEM_PID
wait_until "the server's WireGuard UAPI socket" 30 test -S "/var/run/wireguard/$SV_WG.sock"

# Every packet on the underlay from before the client starts: the inner protocol must not be
# among them, from its first handshake or IKE message on.
capture_start "$SV" "$UNDERLAY" "udp or esp" "$TMPDIR_TEST/underlay.pcap"
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log" "$STATUS_DIR/$CL_IF.hybrid"
CL_PID=$TANDEM_PID
grep -q "nested $CL_IF" "$TMPDIR_TEST/cl.log" || die "the client did not start as a nested stack"

WAIT_WATCH_PID=$CL_PID wait_until "a ping through the nested stack to $TARGET" 60 \
  ip netns exec "$CL" ping -c 1 -W 1 "$TARGET"
ping_ok "$CL" "$TARGET"

mtu=$(nested_field "d['mtu']")
note "client device MTU $mtu (computed here: $EXPECTED_MTU)"
[ "$mtu" = "$EXPECTED_MTU" ] || die "the nested device's MTU is $mtu, expected $EXPECTED_MTU"
[ "$(ip -n "$CL" -j link show dev "$CL_IF" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["mtu"])')" = "$mtu" ] ||
  die "the device itself does not have MTU $mtu"
# A DF packet of exactly the MTU goes through every layer and back.
ip netns exec "$CL" ping -c 2 -W 3 -M do -s $((mtu - 28)) "$TARGET" >"$TMPDIR_TEST/df.log" 2>&1 ||
  { cat "$TMPDIR_TEST/df.log" >&2; die "a DF ping of $mtu bytes did not pass the nested stack"; }
note "DF ping of $mtu bytes passed"

iperf_ok "$SV" "$CL" "$TARGET" 3

capture_stop
outer=$(tshark -r "$TMPDIR_TEST/underlay.pcap" -Y "($OUTER_FILTER) && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l || true)
inner=$(tshark -r "$TMPDIR_TEST/underlay.pcap" -Y "($INNER_FILTER) && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
all=$(tshark -r "$TMPDIR_TEST/underlay.pcap" -Y "$CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
note "underlay: $all packets, $outer of the outer protocol, $inner of the inner one"
[ "$inner" -eq 0 ] || {
  tshark -r "$TMPDIR_TEST/underlay.pcap" -Y "$INNER_FILTER" 2>/dev/null | head -5 >&2
  die "$inner packets of the inner protocol crossed the underlay outside the outer tunnel"
}
[ "$outer" -gt 1000 ] || die "only $outer packets of the outer protocol on the underlay"
[ "$outer" -eq "$all" ] || die "the underlay carried $((all - outer)) packets of neither protocol"

carried_out=$(nested_field "d['counters']['carried_out']")
carried_in=$(nested_field "d['counters']['carried_in']")
note "client carried $carried_out datagrams out, $carried_in in"
[ "$carried_out" -gt 1000 ] && [ "$carried_in" -gt 100 ] ||
  die "the nested counters do not show the inner protocol carried both ways"

stop_pid "$CL_PID" 30 "the nested client"
grep -q "hanging up" "$TMPDIR_TEST/cl.log" || die "the client did not hang up its L2TP/IPsec session"
note "nested $SCENARIO: ok"
