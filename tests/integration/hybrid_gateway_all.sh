#!/bin/bash
# One hybrid gateway serving its accounts on every protocol at once: alice over WireGuard, bob
# over L2TP/IPsec (IKEv1) and carol over IKEv2, L2TP/IPsec and IKEv2 answered on the same UDP 500
# and 4500. bob and carol sit behind a router, both talking to the gateway's one outer address:
#
#   alice 192.168.88.2 -- .88.1 [gateway] .89.1 -- .89.2 [router] .91.1 -- 192.168.91.2 bob
#                                                            [router] .92.1 -- 192.168.92.2 carol
#   inner: gateway 10.88.0.1, alice .2 (WireGuard), bob .3 (IPCP), carol .4 (IKEv2 CP)
#
# Each gets exactly its account's address; all three reach the gateway and each other; a TCP
# transfer between bob and carol runs over both IPsec users of the one endpoint; the gateway's
# status shows each account's return path and per-path counters for all three paths; alice and
# bob sending from carol's address are dropped and counted. bob hanging up leaves carol's IKEv2
# SA standing, and stopping the gateway hangs up both: bob hears the L2TP goodbye, carol the IKE
# delete.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
L2TP_PSK="the gateway's L2TP/IPsec pre-shared key"
CAROL_PSK="carol's pre-shared key, long enough"

RT="r$TAG"
BO="b$TAG"
CA="c$TAG"
BO_IF="lb$TAG"
CA_IF="ic$TAG"
gateway_with_alice "$RT"
make_ns "$BO"
make_ns "$CA"
link_ns "$RT" "$BO" 91
link_ns "$RT" "$CA" 92
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
ip -n "$GW" route add 192.168.91.0/24 via 192.168.89.2
ip -n "$GW" route add 192.168.92.0/24 via 192.168.89.2
ip -n "$BO" route add default via 192.168.91.1
ip -n "$CA" route add default via 192.168.92.1
SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$GW_IF.ipsec" "$STATUS_DIR/$BO_IF.l2tp"
  "$STATUS_DIR/$CA_IF.ipsec")

gateway_interface >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
host_name = "gateway"

[l2tp.ipsec]
psk = "$L2TP_PSK"

[ipsec]
local_address = "192.168.89.1"

[[account]]
name = "alice"
public_key = "$AL_PUB"
address = "10.88.0.2"

[[account]]
name = "bob"
password = "bob's password"
address = "10.88.0.3"

[[account]]
name = "carol"
ike_id = "carol@example.org"
ike_psk = "$CAROL_PSK"
address = "10.88.0.4"
TOML

alice_config "$TMPDIR_TEST/alice.toml" "$AL_IF"

bob_config "$TMPDIR_TEST/bob.toml" "$BO_IF" "$L2TP_PSK"

cat >"$TMPDIR_TEST/carol.toml" <<TOML
[ipsec]
interface = "$CA_IF"
ike_version = 2
local_address = "192.168.92.2"
local_id = "carol@example.org"

[[ipsec.connection]]
name = "gateway"
remote_address = "192.168.89.1"
psk = "$CAROL_PSK"
request_address = true
remote_subnets = ["10.88.0.0/24"]
TOML

logs() {
  for n in gw alice bob carol; do
    [ -f "$TMPDIR_TEST/$n.log" ] || continue
    echo "--- $n log" >&2
    tail -30 "$TMPDIR_TEST/$n.log" >&2
  done
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
grep -q "IPsec: IKEv1 and IKEv2 on UDP 500 and 4500" "$TMPDIR_TEST/gw.log" ||
  die "the gateway does not run IKEv1 and IKEv2 on one pair of ports"
start_tandem_up "$AL" "$TMPDIR_TEST/alice.toml" "$TMPDIR_TEST/alice.log" "/var/run/wireguard/$AL_IF.sock"
start_tandem_up "$BO" "$TMPDIR_TEST/bob.toml" "$TMPDIR_TEST/bob.log"
BO_PID=$TANDEM_PID
start_tandem_up "$CA" "$TMPDIR_TEST/carol.toml" "$TMPDIR_TEST/carol.log"
CA_PID=$TANDEM_PID

gw_status() { hybrid_field "$GW" "$GW_IF" "$1"; }
account() { gw_status "[a.get('$2') for a in d['accounts'] if a['name']=='$1'][0]"; }
inner_address() { ip -n "$1" -4 -o addr show dev "$2" | awk '$4 ~ /^10\.88\./ {print $4}' | cut -d/ -f1 | head -1; }
has_address() { [ "$(inner_address "$1" "$2")" = "$3" ]; }
WAIT_WATCH_PID=$BO_PID WAIT_WATCH_LOG="$TMPDIR_TEST/bob.log" \
  wait_until "bob's L2TP/IPsec session up with his account's address" 60 has_address "$BO" "$BO_IF" 10.88.0.3
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$TMPDIR_TEST/carol.log" \
  wait_until "carol's IKEv2 SA up with her account's address" 60 has_address "$CA" "$CA_IF" 10.88.0.4
note "bob got 10.88.0.3 from IPCP, carol 10.88.0.4 from the configuration payload"

for ns in "$AL" "$BO" "$CA"; do ping_ok "$ns" 10.88.0.1; done
ping_ok "$AL" 10.88.0.3
ping_ok "$AL" 10.88.0.4
ping_ok "$BO" 10.88.0.4
note "gateway: $(gw_status '[(a["name"], a["paths"], a.get("return_path")) for a in d["accounts"]]')"
[ "$(account alice return_path)" = wireguard ] || die "alice's traffic does not return on WireGuard"
[ "$(account bob return_path)" = l2tp-ipsec ] || die "bob's traffic does not return on L2TP/IPsec"
[ "$(account carol return_path)" = ipsec ] || die "carol's traffic does not return on IKEv2/ESP"

# TCP between bob and carol: in on one IPsec user of the endpoint, out on the other.
start_iperf "$CA" 10.88.0.4 "$BO" 3
WAIT_WATCH_PID= wait_until "the iperf3 transfer from bob to carol ending" 60 \
  bash -c "! kill -0 $IPERF_PID 2>/dev/null"
wait "$IPERF_PID" || die "iperf3 from bob to carol failed: $(tail -5 "$TMPDIR_TEST/iperf.json")"
received=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bytes"]))' \
  "$TMPDIR_TEST/iperf.json")
note "bob -> carol over L2TP/IPsec in and IKEv2 out of the gateway: $received bytes in 3 s"
[ "$received" -gt 100000 ] || die "the transfer between bob and carol carried only $received bytes"
for path in wireguard l2tp-ipsec ipsec; do
  counters=$(gw_status "[(p['tx_packets'], p['rx_packets']) for p in d['paths'] if p['path']=='$path'][0]")
  note "gateway path $path (tx, rx packets): $counters"
  python3 -c 'import sys; t = eval(sys.argv[1]); sys.exit(0 if t[0] > 0 and t[1] > 0 else 1)' "$counters" ||
    die "the gateway's $path path carried nothing both ways"
done

# alice (WireGuard) and bob (PPP) sending from carol's address: dropped and counted.
wg_before=$(gw_status 'd["spoofed"]["wireguard"]')
l2tp_before=$(gw_status 'd["spoofed"]["l2tp"]')
ip -n "$AL" addr add 10.88.0.4/32 dev "$AL_IF"
ip -n "$BO" addr add 10.88.0.4/32 dev "$BO_IF"
ip netns exec "$AL" ping -c 5 -i 0.2 -W 1 -I 10.88.0.4 10.88.0.1 >/dev/null 2>&1 &&
  die "alice, sending as carol over WireGuard, got answers"
ip netns exec "$BO" ping -c 5 -i 0.2 -W 1 -I 10.88.0.4 10.88.0.1 >/dev/null 2>&1 &&
  die "bob, sending as carol over L2TP/IPsec, got answers"
ip -n "$AL" addr del 10.88.0.4/32 dev "$AL_IF"
ip -n "$BO" addr del 10.88.0.4/32 dev "$BO_IF"
wg_spoofed=$(($(gw_status 'd["spoofed"]["wireguard"]') - wg_before))
l2tp_spoofed=$(($(gw_status 'd["spoofed"]["l2tp"]') - l2tp_before))
note "sent as carol and dropped by the gateway: WireGuard $wg_spoofed, L2TP/IPsec $l2tp_spoofed"
[ "$wg_spoofed" -ge 5 ] || die "the gateway did not count alice's packets sent as carol"
[ "$l2tp_spoofed" -ge 5 ] || die "the gateway did not count bob's packets sent as carol"
[ "$(gw_status 'd["spoofed"]["ipsec"]')" = 0 ] || die "the gateway's ESP policy dropped carol's own traffic"
ping_ok "$AL" 10.88.0.4

# bob hangs up: his IKEv1 SA and session go, carol's IKEv2 SA stays and keeps carrying traffic.
stop_pid "$BO_PID" 30 "bob's client"
bob_detached() { [ "$(account bob paths)" = "[]" ]; }
wait_until "bob's path gone from the gateway" 30 bob_detached
ipsec_doc() {  # NS IF EXPR over the interface's IPsec status `d`
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json | python3 -c '
import json, sys
docs = json.load(sys.stdin)
docs = docs if isinstance(docs, list) else [docs]
d = [d for d in docs if "ipsec" in d and d.get("kind") == "ipsec"][0]["ipsec"]
print(eval(sys.argv[1]))' "$3"
}
[ "$(ipsec_doc "$GW" "$GW_IF" 'len(d["child_sas"])')" -ge 1 ] || die "carol's Child SA went with bob's session"
ping_ok "$CA" 10.88.0.2
note "after bob hung up: carol's IKEv2 SA stands and carries traffic"

# Stopping the gateway says goodbye on both: carol's client hears the IKE delete.
stop_pid "$GW_PID" 30 "the gateway"
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$TMPDIR_TEST/carol.log" \
  wait_until "carol's IKE SA deleted by the stopping gateway" 30 \
  bash -c "! ip -n $CA -4 -o addr show dev $CA_IF | grep -q 10.88.0.4"
grep -q "signal 15: hanging up the IPsec tunnels" "$TMPDIR_TEST/gw.log" ||
  die "the gateway did not hang up its IKEv2 road warriors on stop"
note "PASS one gateway serving WireGuard, L2TP/IPsec and IKEv2 together"
