#!/bin/bash
# A hybrid client and a hybrid gateway, each `tandem up` in its own namespace with a router
# namespace between them whose nftables rules break the WireGuard path:
#
#   client 192.168.86.2 -- .86.1 [router] .87.1 -- 192.168.87.2 gateway
#   inner: client 10.86.0.2 and fd86::2 (account alice, on both paths) -- gateway 10.86.0.1,
#          fd86::1
#
#   hybrid_fallback.sh tcp     a 30 s iperf3 TCP transfer and a separate idle TCP connection
#                              opened before anything happens; WireGuard is blocked (both
#                              directions), traffic moves to L2TP/IPsec with the same inner
#                              address, the block is lifted, traffic returns to WireGuard. Both
#                              connections must survive both switches; prints the measured
#                              switch times and the longest stall of the transfer, and the
#                              gateway's view of the account's path at each stage.
#   hybrid_fallback.sh oneway  only the gateway-to-client direction of WireGuard is dropped: the
#                              client still sends, but nothing comes back; it must switch too.
#                              IPv4 and IPv6 both reach the gateway over L2TP/IPsec then (the
#                              account's IPv6 address is carried over IPV6CP).
#   hybrid_fallback.sh loss    30 % random loss (numgen) on WireGuard both ways: a switch.
#   hybrid_fallback.sh flap    WireGuard blocked and unblocked every 2 s for 20 s: traffic goes
#                              to L2TP/IPsec and stays there (the hold-down grows) instead of
#                              flapping, and comes back once WireGuard is stable.
#   hybrid_fallback.sh drill   `tandem drill` holds WireGuard down inside the daemon for 4 s: the
#                              report shows the switch, the failback and
#                              the pings lost, and the command passes; a drill on the gateway is
#                              refused.
#   hybrid_fallback.sh ondemand the secondary is dialled on demand: no L2TP/IPsec session exists
#                              until WireGuard is blocked; then it is dialled, an idle TCP
#                              connection carries on over it, and once WireGuard is back and
#                              stable (stable_after = 5 s) the session is hung up (the gateway
#                              sees it go); a drill dials it again and passes.
#   hybrid_fallback.sh policy  both paths carry traffic at once by the client's [[policy]]: TCP to
#                              port 5201 ("bulk") on L2TP/IPsec, UDP to port 7777 ("secure",
#                              on_down = "drop") on WireGuard, the rest (ping) on the active
#                              path. Captures on the client's underlay and both sides' per-path
#                              counters show each class on its path, and the gateway's replies
#                              following each flow's path; with WireGuard blocked the secure class
#                              is dropped (counted, nothing arrives) while the rest moves to
#                              L2TP/IPsec, and it flows again once WireGuard is back.
#   hybrid_fallback.sh policy-kernel  the same classes by kernel policy routing ([policy_routing]
#                              mode = "kernel"): ip rules (and a third class by fwmark, ping -m)
#                              send them to per-path tables, the secondary path with a device of
#                              its own; the same captures and drops, the rules and tables visible
#                              while it runs and the fail-closed table holding only blackholes
#                              while WireGuard is down; all gone after a stop, and after a kill -9
#                              the next start removes what was left before installing its own.
#   hybrid_fallback.sh mtu     on L2TP/IPsec (WireGuard blocked), whose path carries less than the
#                              device's MTU: a DF packet of exactly the path's MTU passes both
#                              ways, one byte more is answered from inside the tunnel with
#                              fragmentation needed (IPv4) or packet too big (IPv6) carrying the
#                              path's MTU, at the client and at the gateway, and an IPv4 packet
#                              without DF is fragmented, not dropped.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario}
PSK="a pre-shared key of some length"

fallback_pair "$PSK"
if [ "$SCENARIO" = ondemand ]; then
  printf 'secondary = "on-demand"\nstable_after = 5\n' >>"$TMPDIR_TEST/cl.toml"
fi
if [ "$SCENARIO" = policy ] || [ "$SCENARIO" = policy-kernel ]; then
  cat >>"$TMPDIR_TEST/cl.toml" <<TOML

[[policy]]
name = "bulk"
path = "l2tp"
protocol = "tcp"
destination_ports = 5201

[[policy]]
name = "secure"
path = "wireguard"
protocol = "udp"
destination_ports = 7777
on_down = "drop"
TOML
fi
if [ "$SCENARIO" = policy-kernel ]; then
  cat >>"$TMPDIR_TEST/cl.toml" <<TOML

[[policy]]
name = "marked"
path = "l2tp"
fwmark = "0x10/0xff"

[policy_routing]
mode = "kernel"
table = 51900
priority = 21000
TOML
fi

logs() {
  echo "--- gateway log" >&2; tail -40 "$TMPDIR_TEST/gw.log" >&2
  echo "--- client log" >&2; tail -40 "$TMPDIR_TEST/cl.log" >&2
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
CL_PID=$TANDEM_PID

client() { hybrid_field "$CL" "$CL_IF" "$1"; }
gateway_path() { hybrid_field "$GW" "$GW_IF" '[a.get("return_path","-") for a in d["accounts"] if a["name"]=="alice"][0]'; }
gateway_path_is() { [ "$(gateway_path)" = "$1" ]; }
both_healthy() { hybrid_both_healthy "$CL" "$CL_IF"; }
active_is() { hybrid_active_is "$CL" "$CL_IF" "$1"; }

primary_healthy() { [ "$(client 'd["paths"][0]["healthy"]')" = True ]; }
dialled() { [ "$(client 'd["secondary_dialled"]')" = True ]; }
gateway_paths() { hybrid_field "$GW" "$GW_IF" '",".join([a["paths"] for a in d["accounts"] if a["name"]=="alice"][0])'; }
if [ "$SCENARIO" = ondemand ]; then
  WAIT_WATCH_PID=$CL_PID wait_until "the client's WireGuard path healthy" 60 primary_healthy
  sleep 2  # time in which a warm secondary would have come up
  note "client: secondary $(client 'd["secondary_mode"]'), dialled $(client 'd["secondary_dialled"]'); gateway: alice's paths '$(gateway_paths)'"
  ! dialled || die "the on-demand secondary was dialled while WireGuard was healthy"
  [ "$(gateway_paths)" = wireguard ] || die "the gateway sees alice on '$(gateway_paths)' before any fallback"
  ! ip netns exec "$CL" "$TANDEM_BIN" status "$CL_IF" --json | python3 -c 'import json, sys
sys.exit(0 if any(d.get("kind") == "l2tp" for d in json.load(sys.stdin)) else 1)' ||
    die "the client has an L2TP path before dialling"
else
  WAIT_WATCH_PID=$CL_PID wait_until "both of the client's paths healthy (WireGuard and L2TP/IPsec)" 60 both_healthy
  note "client: both paths healthy, active $(client 'd["active"]'), L2TP address $(client 'd.get("l2tp_address")')"
  [ "$(client 'd.get("l2tp_address")')" = 10.86.0.2 ] || die "IPCP gave the client another address than its account's"
fi
WAIT_WATCH_PID=$CL_PID wait_until "traffic on WireGuard once both paths are up" 30 active_is wireguard
ping_ok "$CL" 10.86.0.1
note "gateway: alice's return path $(gateway_path)"
[ "$(gateway_path)" = wireguard ] || die "the gateway does not send alice's traffic on WireGuard"

# block_wg [oneway]: drop WireGuard's UDP in the router (both ways, or gateway-to-client only).
block_wg() {
  if [ "${1:-}" = oneway ]; then
    ip netns exec "$RT" nft add rule ip cut$TAG block udp sport 51820 drop
  else
    ip netns exec "$RT" nft add rule ip cut$TAG block udp dport 51820 drop
    ip netns exec "$RT" nft add rule ip cut$TAG block udp sport 51820 drop
  fi
}
lossy_wg() {
  ip netns exec "$RT" nft add rule ip cut$TAG block udp dport 51820 numgen random mod 100 '<' 30 drop
  ip netns exec "$RT" nft add rule ip cut$TAG block udp sport 51820 numgen random mod 100 '<' 30 drop
}
unblock_wg() { ip netns exec "$RT" nft flush chain ip cut$TAG block; }

# expect_switch TO SECONDS WHAT: waits for the active path; prints the measured time.
expect_switch() {
  local t0 t1
  t0=$(now_ms)
  WAIT_WATCH_PID=$CL_PID wait_until "traffic on $1 ($3)" "$2" active_is "$1"
  t1=$(now_ms)
  note "$3: active $1 after $((t1 - t0)) ms (polled); the client's event: $(client 'd["last_switch"]["reason"]') (silent_for_ms $(client 'd["last_switch"]["silent_for_ms"]'))"
}

case "$SCENARIO" in
  tcp)
    start_idle_tcp "$GW" 10.86.0.1 "$CL"
    idle_exchange before
    start_iperf "$GW" 10.86.0.1 "$CL" 30
    sleep 5
    secondary_tx() { client 'd["paths"][1]["tx_packets"]'; }
    tx_before=$(secondary_tx)
    note "blocking WireGuard (UDP 51820) in the router"
    block_wg
    expect_switch l2tp-ipsec 10 "WireGuard blocked"
    WAIT_WATCH_PID=$GW_PID wait_until "the gateway sending alice's traffic on L2TP/IPsec" 10 \
      gateway_path_is l2tp-ipsec
    note "gateway: alice's return path $(gateway_path)"
    idle_exchange during-fallback
    sleep 5
    note "the client's L2TP/IPsec path: $(client 'd["paths"][1]')"
    [ $(($(secondary_tx) - tx_before)) -gt 1000 ] ||
      die "the L2TP/IPsec path's counters show only $(($(secondary_tx) - tx_before)) packets sent during the fallback"
    note "lifting the block"
    unblock_wg
    expect_switch wireguard 30 "WireGuard back (after the failback hold)"
    idle_exchange after-failback
    note "gateway: alice's return path $(gateway_path)"
    [ "$(gateway_path)" = wireguard ] || die "the gateway did not follow alice back to WireGuard"
    # The gateway counts alice's moves: at least there and back.
    moves=$(hybrid_field "$GW" "$GW_IF" '[a["path_moves"] for a in d["accounts"] if a["name"]=="alice"][0]')
    [ "$moves" -ge 2 ] || die "the gateway counts $moves moves of alice's return path, not at least 2"
    ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" | grep -q "account alice: .*traffic returns on wireguard (moved $moves times)" ||
      die "tandem status does not show alice's $moves moves"
    note "gateway: alice's return path moved $moves times"
    finish_iperf
    note "client counters: $(client 'd["counters"]')"
    ;;
  oneway)
    note "dropping WireGuard from the gateway to the client only"
    ping_ok "$CL" fd86::1
    block_wg oneway
    expect_switch l2tp-ipsec 10 "one-way blackhole"
    ping_ok "$CL" 10.86.0.1
    ping_ok "$CL" fd86::1
    unblock_wg
    expect_switch wireguard 30 "WireGuard whole again"
    ping_ok "$CL" 10.86.0.1
    ping_ok "$CL" fd86::1
    ;;
  loss)
    note "30 % random loss on WireGuard, both directions (numgen)"
    lossy_wg
    # The loss is judged over 40 probes (8 s); with random loss the share reaches 30 % later on
    # some runs than others.
    expect_switch l2tp-ipsec 60 "30 % loss"
    ping_ok "$CL" 10.86.0.1
    unblock_wg
    expect_switch wireguard 60 "loss gone"
    ping_ok "$CL" 10.86.0.1
    ;;
  flap)
    switches() { grep -c "traffic moved" "$TMPDIR_TEST/cl.log" || true; }
    before=$(switches)
    note "WireGuard blocked and unblocked every 2 s for 20 s"
    for _ in 1 2 3 4 5; do
      block_wg; sleep 2; unblock_wg; sleep 2
    done
    flaps=$(($(switches) - before))
    note "switches while flapping: $flaps; active now $(client 'd["active"]'), failback hold $(client 'd["failback_hold_ms"]') ms"
    [ "$flaps" -ge 1 ] || die "the flapping primary never moved the traffic"
    [ "$flaps" -le 3 ] || die "the traffic flapped with the primary ($flaps switches in 20 s)"
    ping_ok "$CL" 10.86.0.1
    expect_switch wireguard 60 "WireGuard stable again"
    ping_ok "$CL" 10.86.0.1
    ;;
  drill)
    # Refused while there is nothing to drill against: the wrong interface kind, a bad length.
    ip netns exec "$GW" "$TANDEM_BIN" drill "$GW_IF" >"$TMPDIR_TEST/drill-gw.log" 2>&1 &&
      die "a drill on the gateway was not refused"
    grep -q "hybrid gateway" "$TMPDIR_TEST/drill-gw.log" || die "unclear refusal: $(cat "$TMPDIR_TEST/drill-gw.log")"
    ip netns exec "$CL" "$TANDEM_BIN" drill "$CL_IF" --seconds 4 >"$TMPDIR_TEST/drill.log" 2>&1 ||
      { cat "$TMPDIR_TEST/drill.log" >&2; die "tandem drill reported a failed failover"; }
    sed 's/^/    /' "$TMPDIR_TEST/drill.log"
    grep -q "PASS" "$TMPDIR_TEST/drill.log" || die "no PASS in the drill report"
    lost=$(sed -nE 's/.* ([0-9]+) lost$/\1/p' "$TMPDIR_TEST/drill.log")
    [ -n "$lost" ] || die "the drill report gives no loss figure"
    # The secondary is warm and a drill switches at once: a few pings in flight at most.
    [ "$lost" -le 5 ] || die "the drill lost $lost pings"
    active_is wireguard || die "traffic is not back on WireGuard after the drill"
    ;;
  ondemand)
    start_idle_tcp "$GW" 10.86.0.1 "$CL"
    idle_exchange before
    note "blocking WireGuard (UDP 51820) in the router"
    block_wg
    expect_switch l2tp-ipsec 30 "WireGuard blocked, L2TP/IPsec dialled on demand"
    grep -q "dialling l2tp-ipsec on demand" "$TMPDIR_TEST/cl.log" || die "no log line for the dial"
    [ "$(client 'd.get("l2tp_address")')" = 10.86.0.2 ] || die "the dialled session has another address"
    idle_exchange during-fallback
    WAIT_WATCH_PID=$GW_PID wait_until "the gateway sending alice's traffic on L2TP/IPsec" 10 \
      gateway_path_is l2tp-ipsec
    unblock_wg
    expect_switch wireguard 30 "WireGuard back (after the failback hold)"
    idle_exchange after-failback
    t0=$(now_ms)
    not_dialled() { ! dialled; }
    WAIT_WATCH_PID=$CL_PID wait_until "the on-demand session hung up once WireGuard was stable" 40 \
      not_dialled
    note "the L2TP/IPsec session hung up $(($(now_ms) - t0)) ms after the failback: $(grep -m1 "hanging up l2tp-ipsec" "$TMPDIR_TEST/cl.log" | sed 's/.*: //')"
    gateway_only_wireguard() { [ "$(gateway_paths)" = wireguard ]; }
    WAIT_WATCH_PID=$GW_PID wait_until "the gateway seeing alice's L2TP session gone" 30 gateway_only_wireguard
    idle_exchange after-hang-up
    ip netns exec "$CL" "$TANDEM_BIN" drill "$CL_IF" --seconds 8 >"$TMPDIR_TEST/drill.log" 2>&1 ||
      { cat "$TMPDIR_TEST/drill.log" >&2; die "a drill with an on-demand secondary failed"; }
    sed 's/^/    /' "$TMPDIR_TEST/drill.log"
    grep -q "dialled on demand" "$TMPDIR_TEST/drill.log" || die "the drill report does not say it dialled"
    ;;
  policy|policy-kernel)
    # A UDP echo server for the secure class, counting what reaches the gateway. Each echo leaves
    # 50 ms later, by which time the bulk class has moved the account's return path to
    # L2TP/IPsec: only the flow's own path takes the echo back over WireGuard.
    ip netns exec "$GW" python3 -u -c '
import socket, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.86.0.1", 7777))
n = 0
while True:
    data, peer = s.recvfrom(2048)
    n += 1
    threading.Timer(0.05, s.sendto, (data, peer)).start()
    open(sys.argv[1], "w").write(str(n))' "$TMPDIR_TEST/secure.count" >/dev/null 2>&1 &
    PIDS+=($!)
    WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$GW" udp 7777 30 "the secure-class echo server"
    secure_received() { cat "$TMPDIR_TEST/secure.count" 2>/dev/null || echo 0; }
    send_secure() {  # COUNT: datagrams to the secure class's port, 10 ms apart; prints the echoes
      ip netns exec "$CL" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.001)
echoes = 0
def drain():
    global echoes
    while True:
        try:
            s.recv(2048); echoes += 1
        except (socket.timeout, BlockingIOError):
            return
for i in range(int(sys.argv[1])):
    try:
        s.sendto(b"s" * 200, ("10.86.0.1", 7777))
    except OSError:
        pass  # a kernel blackhole route refuses it at once (fail-closed in kernel mode)
    drain(); time.sleep(0.01)
deadline = time.time() + 2
while time.time() < deadline: drain()
print(echoes)' "$1"
    }
    underlay_count() {  # PCAP PORT: packets to or from that UDP port on the client's underlay
      tshark -r "$1" -Y "udp.port == $2 && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l
    }
    rule() { client "[r['$2'] for r in d['policy'] if r['name'] == '$1'][0]"; }
    gw_status() { hybrid_field "$GW" "$GW_IF" "$1"; }
    SECONDARY_DEV="${CL_IF}s"
    TABLE=51900
    kernel_rules() {  # the client's rules (Tandem's protocol 122) of both families, one per line
      { ip -n "$CL" -j rule show; ip -n "$CL" -6 -j rule show; } |
        python3 -c 'import json,sys
for line in sys.stdin:
    for r in json.loads(line):
        if str(r.get("protocol")) in ("122", "0x7a"): print(r["priority"], r.get("table"))'
    }
    table_routes() {  # TABLE: its routes, both families, as "type dev" lines
      { ip -n "$CL" -j route show table "$1"; ip -n "$CL" -6 -j route show table "$1"; } |
        python3 -c 'import json,sys
for line in sys.stdin:
    for r in json.loads(line): print(r.get("type", "unicast"), r.get("dev", "-"), r["dst"])'
    }
    device_tx() { ip -n "$CL" -j -s link show dev "$SECONDARY_DEV" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["tx"]["packets"])'; }
    if [ "$SCENARIO" = policy-kernel ]; then
      # bulk (tcp, any family): its table then the other, both families (4); secure (udp,
      # fail-closed): 2; marked: 4.
      note "kernel rules: $(kernel_rules | tr '\n' ' ')"
      [ "$(kernel_rules | wc -l)" = 10 ] || die "expected 10 kernel rules, found $(kernel_rules | wc -l)"
      grep -q "^21000 51902$" <<<"$(kernel_rules)" || die "the bulk class does not look up the secondary's table first"
      grep -q "^21001 51900$" <<<"$(kernel_rules)" || die "the bulk class has no fall-back to the primary's table"
      grep -q "^21004 51901$" <<<"$(kernel_rules)" || die "the secure class does not look up the primary's fail-closed table"
      note "table 51903 (secondary, fail-closed): $(table_routes 51903 | tr '\n' ';')"
      grep -q "unicast $SECONDARY_DEV 10.86.0.0/24" <<<"$(table_routes 51902)" ||
        die "the secondary's table has no route out of $SECONDARY_DEV"
      grep -q "blackhole - 10.86.0.0/24" <<<"$(table_routes 51901)" || die "the fail-closed table has no blackhole"
      [ "$(client 'd["policy_routing"]["mode"]')" = kernel ] || die "tandem status does not show kernel mode"
      tx_before_classes=$(device_tx)
    fi

    # Both classes at once: the bulk transfer keeps the account's return path on L2TP/IPsec, and
    # the secure class's echoes must still leave on WireGuard, the path their flow came by.
    capture_start "$CL" "vb${TAG}86" "udp port 4500 or udp port 51820" "$TMPDIR_TEST/classes.pcap"
    ip netns exec "$GW" iperf3 -s -1 -B 10.86.0.1 >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
    PIDS+=($!)
    WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$GW" tcp 5201 30 "the iperf3 server"
    # Small writes (-l), so the paced transfer is a steady stream rather than a 128 KB burst
    # every 50 ms.
    ip netns exec "$CL" iperf3 -c 10.86.0.1 -t 4 -b 20M -l 1200 >"$TMPDIR_TEST/iperf.log" 2>&1 &
    IPERF_PID=$!
    PIDS+=($IPERF_PID)
    sleep 0.5
    echoes=$(send_secure 200)
    wait "$IPERF_PID" || { cat "$TMPDIR_TEST/iperf.log" >&2; die "the bulk-class transfer failed"; }
    capture_stop
    esp=$(underlay_count "$TMPDIR_TEST/classes.pcap" 4500)
    wg=$(underlay_count "$TMPDIR_TEST/classes.pcap" 51820)
    flow_routed=$(gw_status 'd["router"]["flow_routed"]')
    note "bulk (TCP 5201, 4 s at 20 Mbit/s) beside secure (UDP 7777, 200 datagrams echoed, $echoes echoes back): client underlay capture $esp packets on UDP 4500 (L2TP/IPsec), $wg on UDP 51820 (WireGuard)"
    [ "$SCENARIO" = policy-kernel ] ||
      note "client rules: bulk $(rule bulk packets), secure $(rule secure packets) packets"
    note "gateway: return path $(gateway_path), replies sent on their flow's path $flow_routed"
    [ "$esp" -gt 2000 ] || die "the bulk class did not travel over L2TP/IPsec ($esp packets on UDP 4500)"
    [ "$wg" -ge 390 ] || die "the secure class and its echoes did not travel over WireGuard ($wg packets on UDP 51820)"
    [ "$wg" -lt 700 ] || die "the bulk class leaked onto WireGuard ($wg packets on UDP 51820)"
    [ "$echoes" -ge 195 ] || die "only $echoes of 200 secure-class echoes came back"
    if [ "$SCENARIO" = policy ]; then
      [ "$(rule bulk packets)" -gt 2000 ] || die "the client's bulk rule counted only $(rule bulk packets) packets"
      [ "$(rule secure packets)" -ge 200 ] || die "the client's secure rule counted $(rule secure packets) packets"
    else
      # The kernel sent the bulk class out of the secondary's own device.
      sent=$(($(device_tx) - tx_before_classes))
      note "the kernel sent $sent packets out of $SECONDARY_DEV"
      [ "$sent" -gt 2000 ] || die "only $sent packets went out of the secondary's device"
      # The marked class: a socket mark (ping -m) picks the secondary too.
      before_marked=$(device_tx)
      ip netns exec "$CL" ping -m 16 -c 5 -i 0.2 -W 2 10.86.0.1 >"$TMPDIR_TEST/marked.log" 2>&1 ||
        { cat "$TMPDIR_TEST/marked.log" >&2; die "marked pings got no answer"; }
      [ $(($(device_tx) - before_marked)) -ge 5 ] || die "marked pings did not go out of $SECONDARY_DEV"
      note "5 pings marked 0x10 went out of $SECONDARY_DEV and were answered"
    fi
    # Every echo left on WireGuard (above); many of them while the return path was L2TP/IPsec,
    # which only the flow's own path explains (without it they would follow the bulk class).
    [ "$flow_routed" -ge 20 ] ||
      die "the gateway sent the secure class's echoes on the return path, not their flow's ($flow_routed followed the flow)"

    # WireGuard down: the secure class is dropped (fail-closed), the rest moves to L2TP/IPsec.
    note "blocking WireGuard (UDP 51820) in the router"
    block_wg
    expect_switch l2tp-ipsec 10 "WireGuard blocked"
    before=$(secure_received)
    echoes=$(send_secure 100)
    ping_ok "$CL" 10.86.0.1
    [ "$(secure_received)" = "$before" ] || die "the fail-closed class reached the gateway over the other path"
    if [ "$SCENARIO" = policy ]; then
      note "while WireGuard is down: secure rule dropped $(rule secure dropped), $(($(secure_received) - before)) reached the gateway, $echoes echoes; client dropped_policy $(client 'd["counters"]["dropped_policy"]')"
      [ "$(rule secure dropped)" -ge 100 ] || die "the client did not count the fail-closed class's drops"
    else
      note "while WireGuard is down: nothing of the secure class reached the gateway; table 51901: $(table_routes 51901 | tr '\n' ';')"
      ! grep -q unicast <<<"$(table_routes 51901)" || die "the fail-closed table still routes out of a device"
      grep -q blackhole <<<"$(table_routes 51901)" || die "the fail-closed table lost its blackhole"
    fi
    unblock_wg
    expect_switch wireguard 30 "WireGuard back (after the failback hold)"
    echoes=$(send_secure 50)
    note "WireGuard back: $echoes of 50 secure-class echoes"
    [ "$echoes" -ge 48 ] || die "the secure class did not flow again over WireGuard ($echoes echoes)"
    if [ "$SCENARIO" = policy ]; then
      note "client rules: $(client 'd["policy"]')"
    else
      grep -q "unicast $CL_IF" <<<"$(table_routes 51901)" || die "WireGuard's routes did not come back"
      # A stop takes every rule and route away.
      stop_pid "$CL_PID" 30 "the client"
      [ "$(kernel_rules | wc -l)" = 0 ] || die "$(kernel_rules | wc -l) rules left after a stop"
      [ -z "$(table_routes 51901)" ] || die "routes left in table 51901 after a stop"
      note "after a stop: no rules, no routes in tables 51900-51903"
      # kill -9 leaves them; the next start removes them before it installs its own.
      start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl2.log"
      CL_PID=$TANDEM_PID
      WAIT_WATCH_PID=$CL_PID wait_until "the kernel rules of the second run" 30 \
        test "$(kernel_rules | wc -l)" = 10
      kill -9 "$CL_PID"
      wait_exit "$CL_PID" 10 "the killed client"
      rm -f "$(admin_socket "$TMPDIR_TEST/cl.toml")"  # what kill -9 left: not a sign of the next
      note "after kill -9: $(kernel_rules | wc -l) rules left, table 51901: $(table_routes 51901 | tr '\n' ';')"
      [ "$(kernel_rules | wc -l)" = 10 ] || die "a killed run's rules should still be there"
      start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl3.log"
      CL_PID=$TANDEM_PID
      WAIT_WATCH_PID=$CL_PID wait_log "$TMPDIR_TEST/cl3.log" "removed 10 rules and [0-9]+ routes left" 30
      [ "$(kernel_rules | wc -l)" = 10 ] || die "after the restart: $(kernel_rules | wc -l) rules, not 10"
      note "restart after kill -9: $(grep -o 'removed 10 rules and [0-9]* routes' "$TMPDIR_TEST/cl3.log"), 10 rules again"
      stop_pid "$CL_PID" 30 "the client"
      [ "$(kernel_rules | wc -l)" = 0 ] || die "$(kernel_rules | wc -l) rules left after the last stop"
    fi
    ;;
  mtu)
    block_wg
    expect_switch l2tp-ipsec 10 "WireGuard blocked"
    path_mtu=$(client 'd["paths"][1]["mtu"]')
    device_mtu=$(ip -n "$CL" -o link show dev "$CL_IF" | sed -nE 's/.* mtu ([0-9]+) .*/\1/p')
    note "device MTU $device_mtu, the L2TP/IPsec path's MTU $path_mtu"
    [ "$path_mtu" -lt "$device_mtu" ] || die "the secondary path's MTU is not below the device's"
    # too_big NS FAMILY ADDRESS PAYLOAD: a DF ping that must be refused with the path's MTU.
    too_big() {
      local out
      if out=$(ip netns exec "$1" ping "-$2" -c 2 -i 0.3 -W 2 -M do -s "$4" "$3" 2>&1); then
        die "a ping of payload $4 to $3 got through a path of MTU $path_mtu"
      fi
      grep -qE "mtu ?= ?$path_mtu" <<<"$out" ||
        die "no error naming MTU $path_mtu for payload $4 to $3: $(tr '\n' ' ' <<<"$out")"
      note "payload $4 (one byte over) to $3: $(grep -m1 -E "mtu ?= ?$path_mtu" <<<"$out" | sed 's/^ *//')"
    }
    fits() {  # NS FAMILY ADDRESS PAYLOAD
      ip netns exec "$1" ping "-$2" -c 2 -i 0.3 -W 2 -M do -s "$4" "$3" >/dev/null ||
        die "a DF ping of payload $4 (exactly the path's MTU) to $3 did not get through"
    }
    # Without DF, a larger packet is fragmented on the way, and so is the reply (first, before
    # the DF pings below teach either side's kernel the path's MTU).
    ip netns exec "$CL" ping -c 2 -i 0.3 -W 2 -M dont -s 1450 10.86.0.1 >/dev/null ||
      die "a 1478-byte ping without DF did not get through the L2TP/IPsec path"
    fits "$CL" 4 10.86.0.1 $((path_mtu - 28))
    too_big "$CL" 4 10.86.0.1 $((path_mtu - 27))
    fits "$CL" 6 fd86::1 $((path_mtu - 48))
    too_big "$CL" 6 fd86::1 $((path_mtu - 47))
    # The gateway's side: its account's L2TP/IPsec session.
    fits "$GW" 4 10.86.0.2 $((path_mtu - 28))
    too_big "$GW" 4 10.86.0.2 $((path_mtu - 27))
    note "client counters: $(client 'd["counters"]')"
    [ "$(client 'd["counters"]["too_big_icmp"]')" -ge 2 ] || die "the client counted no ICMP it sent"
    [ "$(client 'd["counters"]["fragmented"]')" -ge 1 ] || die "the client fragmented nothing"
    [ "$(hybrid_field "$GW" "$GW_IF" 'd["counters"]["too_big_icmp"]')" -ge 1 ] ||
      die "the gateway counted no ICMP it sent"
    [ "$(hybrid_field "$GW" "$GW_IF" 'd["counters"]["fragmented"]')" -ge 1 ] ||
      die "the gateway fragmented nothing"
    unblock_wg
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac
# (policy-kernel has stopped its client itself.)
kill -0 "$GW_PID" && { [ "$SCENARIO" = policy-kernel ] || kill -0 "$CL_PID"; } || die "a daemon died"
note "PASS hybrid fallback $SCENARIO"
