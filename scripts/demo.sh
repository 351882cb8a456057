#!/bin/bash
# Tandem's main job: builds Tandem, then brings up a gateway and four clients in network
# namespaces on one shared segment. The gateway is one `tandem up` process: one hybrid interface
# serving accounts over WireGuard and L2TP/IPsec, each account with the same inner address on
# either. Client 1 runs Tandem (WireGuard) from a TOML config, client 2 runs wireguard-go driven
# by the stock `wg` tool, client 3 is Tandem's L2TP/IPsec client (IKEv1 with a pre-shared key,
# ESP transport mode, then L2TP and PPP inside it) logging in with MS-CHAPv2, and client 4 is a
# hybrid client: WireGuard with L2TP/IPsec as a warm fallback. It shows traffic through the
# tunnels, client-to-client forwarding via the gateway (also across protocols), the status views,
# a client roaming to a new address without losing its session, and a live failover: client 4's
# WireGuard is blocked by nftables under a TCP transfer, which carries on over L2TP/IPsec with the
# same inner address and returns to WireGuard once the block is lifted; then `tandem drill`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh needs root (namespaces, TUN devices)"; exit 1; }
./scripts/build.sh release
TANDEM=$PWD/build/release/bin/tandem

T="d$$"
NS_GW="gw-$T"; NS_C1="c1-$T"; NS_C2="c2-$T"; NS_C3="c3-$T"; NS_C4="c4-$T"; NS_LAN="lan-$T"
WORK=$(mktemp -d "/tmp/tandem-demo.XXXX")
# Keys, pre-shared keys and passwords are written into $WORK: readable by root alone, as an
# operator's would be (Tandem warns about secrets others can read).
umask 077
export TANDEM_RUN_DIR="$WORK/run"  # its gw.pid must not clash with a real gateway named gw
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_C4" "$NS_LAN"; do ip netns del "$ns" 2>/dev/null || true; done
  for s in gw c1 c2 c4; do rm -f "/var/run/wireguard/$s$T.sock"; done
  for s in gw c3 c4; do rm -f "/var/run/tandem/$s$T.l2tp" "/var/run/tandem/$s$T.hybrid"; done
  rm -rf "$WORK"
}
trap cleanup EXIT
section() { printf '\n\033[1m=== %s\033[0m\n' "$*"; }
# wait_for WHAT SECONDS COMMAND...: until COMMAND succeeds; the demo stops, showing the logs,
# when it never does.
wait_for() {
  local what=$1 tries=$(($2 * 10))
  shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  tail -n 20 "$WORK"/*.log >&2 || true
  echo "demo: $what did not happen within $((tries / 10)) s" >&2
  exit 1
}
listening() { ip netns exec "$1" ss -Htln "sport = :$2" | grep -q .; }
run() { echo "\$ $*"; "$@"; }

section "Network: a gateway and four clients on one segment (a bridge in its own namespace)"
for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_C4" "$NS_LAN"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$NS_LAN" link add br0 type bridge
ip -n "$NS_LAN" link set br0 up
i=1
for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_C4"; do
  ip link add "e$i$T" netns "$ns" type veth peer name "p$i" netns "$NS_LAN"
  ip -n "$NS_LAN" link set "p$i" master br0 up
  ip -n "$ns" addr add "198.18.0.$i/24" dev "e$i$T"
  ip -n "$ns" link set "e$i$T" up
  i=$((i + 1))
done
echo "gateway 198.18.0.1, clients 198.18.0.2, .3, .4 and .5 (outer addresses)"

section "Keys"
for n in gw c1 c2 c4; do
  "$TANDEM" genkey >"$WORK/$n.key"
  "$TANDEM" pubkey <"$WORK/$n.key" >"$WORK/$n.pub"
  echo "$n public key: $(cat "$WORK/$n.pub")"
done
"$TANDEM" genpsk >"$WORK/c1.psk"
# The L2TP/IPsec pre-shared key the gateway and client 3 share.
openssl rand -base64 24 >"$WORK/l2tp.psk"

section "Gateway: tandem up -c gw.toml (one hybrid interface for every account; forwards between clients)"
cat >"$WORK/gw.toml" <<TOML
[interface]
name = "gw$T"
private_key_file = "gw.key"
listen_port = 51820
addresses = ["10.99.0.1/24"]

# L2TP/IPsec for the built-in clients of Windows, macOS and Android: IKEv1 with a pre-shared
# key, ESP protecting UDP 1701, then PPP with MS-CHAPv2 logins. Logins and addresses come from
# the accounts, on the same device as WireGuard.
[l2tp]
mode = "lns"
dns = ["10.99.0.1"]

[l2tp.ipsec]
psk_file = "l2tp.psk"

[[account]]
name = "client1"
public_key = "$(cat "$WORK/c1.pub")"
preshared_key_file = "c1.psk"
address = "10.99.0.2"

[[account]]
name = "client2"
public_key = "$(cat "$WORK/c2.pub")"
address = "10.99.0.3"

[[account]]
name = "carol"
nt_hash = "$(printf 'carol-demo-pw' | iconv -t UTF-16LE | openssl dgst -md4 -provider default -provider legacy | awk '{print $NF}')"
address = "10.99.0.4"

# Client 4 may come in either way, with the same address.
[[account]]
name = "dave"
public_key = "$(cat "$WORK/c4.pub")"
password = "dave-demo-pw"
address = "10.99.0.5"
TOML
cat "$WORK/gw.toml"
ip netns exec "$NS_GW" sysctl -qw net.ipv4.ip_forward=1
# Peers reach each other through the gateway's tunnel on purpose: no ICMP redirects.
ip netns exec "$NS_GW" sysctl -qw net.ipv4.conf.all.send_redirects=0
ip netns exec "$NS_GW" sysctl -qw "net.ipv4.conf.default.send_redirects=0"
ip netns exec "$NS_GW" "$TANDEM" up -c "$WORK/gw.toml" >"$WORK/gw.log" 2>&1 &
PIDS+=($!)
wait_for "the gateway's start" 30 test -S "/var/run/wireguard/gw$T.sock"

section "Client 1: Tandem from a TOML config"
cat >"$WORK/c1.toml" <<TOML
[interface]
name = "c1$T"
private_key_file = "c1.key"
addresses = ["10.99.0.2/24"]

[[peer]]
name = "gateway"
public_key = "$(cat "$WORK/gw.pub")"
preshared_key_file = "c1.psk"
endpoint = "198.18.0.1:51820"
allowed_ips = ["10.99.0.0/24"]
persistent_keepalive = 25
TOML
ip netns exec "$NS_C1" "$TANDEM" up -c "$WORK/c1.toml" >"$WORK/c1.log" 2>&1 &
PIDS+=($!)

section "Client 2: wireguard-go, configured with the stock wg tool"
ip netns exec "$NS_C2" env WG_PROCESS_FOREGROUND=1 wireguard-go -f "c2$T" >"$WORK/c2.log" 2>&1 &
PIDS+=($!)
wait_for "wireguard-go's start" 30 test -S "/var/run/wireguard/c2$T.sock"
run ip netns exec "$NS_C2" wg set "c2$T" private-key "$WORK/c2.key" \
  peer "$(cat "$WORK/gw.pub")" endpoint 198.18.0.1:51820 allowed-ips 10.99.0.0/24 persistent-keepalive 25
ip -n "$NS_C2" addr add 10.99.0.3/24 dev "c2$T"
ip -n "$NS_C2" link set "c2$T" up
wait_for "client 1's start" 30 test -S "/var/run/wireguard/c1$T.sock"

section "Client 3: Tandem as an L2TP/IPsec client (LAC), PPP with MS-CHAPv2"
cat >"$WORK/c3.toml" <<TOML
[l2tp]
mode = "lac"
interface = "c3$T"
server = "198.18.0.1"
auth = ["mschapv2"]
routes = ["10.99.0.0/24"]

[[l2tp.session]]
user = "carol"
password = "carol-demo-pw"

[l2tp.ipsec]
psk_file = "l2tp.psk"
TOML
cat "$WORK/c3.toml"
ip netns exec "$NS_C3" "$TANDEM" up -c "$WORK/c3.toml" >"$WORK/c3.log" 2>&1 &
PIDS+=($!)
c3_has_address() { ip -n "$NS_C3" -4 -o addr show dev "c3$T" 2>/dev/null | grep -q inet; }
wait_for "client 3's L2TP/IPsec session (an address from IPCP)" 60 c3_has_address
run ip -n "$NS_C3" -4 addr show dev "c3$T"
echo "(10.99.0.4: carol's account address, handed out by IPCP)"

section "Client 4: a hybrid client, WireGuard with L2TP/IPsec as a warm fallback"
cat >"$WORK/c4.toml" <<TOML
[interface]
name = "c4$T"
private_key_file = "c4.key"
addresses = ["10.99.0.5/32"]

[[peer]]
name = "gateway"
public_key = "$(cat "$WORK/gw.pub")"
endpoint = "198.18.0.1:51820"
allowed_ips = ["10.99.0.0/24"]
persistent_keepalive = 25

[l2tp]
mode = "lac"
server = "198.18.0.1"

[[l2tp.session]]
user = "dave"
password = "dave-demo-pw"

[l2tp.ipsec]
psk_file = "l2tp.psk"

[fallback]
gateway = "10.99.0.1"
TOML
cat "$WORK/c4.toml"
ip netns exec "$NS_C4" "$TANDEM" up -c "$WORK/c4.toml" >"$WORK/c4.log" 2>&1 &
PIDS+=($!)
c4_json() {
  ip netns exec "$NS_C4" "$TANDEM" status "c4$T" --json |
    python3 -c 'import json,sys; d=[x for x in json.load(sys.stdin) if "role" in x][0]; print(eval(sys.argv[1]))' "$1"
}
c4_ready() { [ "$(c4_json 'd["active"] == "wireguard" and all(p["healthy"] for p in d["paths"])')" = True ]; }
wait_for "client 4's two paths (WireGuard and L2TP/IPsec) healthy" 60 c4_ready
run ip netns exec "$NS_C4" "$TANDEM" status "c4$T"

section "Traffic through the tunnels"
run ip netns exec "$NS_C1" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_C2" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_C3" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_C4" ping -c 3 -i 0.3 10.99.0.1
section "Client 1 -> client 2, forwarded by the gateway"
run ip netns exec "$NS_C1" ping -c 3 -i 0.3 10.99.0.3
section "Client 3 (L2TP/IPsec) -> client 1 (WireGuard), forwarded by the gateway across protocols"
run ip netns exec "$NS_C3" ping -c 3 -i 0.3 10.99.0.2
section "iperf3: client 1 -> gateway through the tunnel"
ip netns exec "$NS_GW" iperf3 -s -1 -B 10.99.0.1 >/dev/null 2>&1 &
PIDS+=($!)
wait_for "the iperf3 server" 30 listening "$NS_GW" 5201
run ip netns exec "$NS_C1" iperf3 -c 10.99.0.1 -t 3 | tail -4

section "iperf3: client 3 -> gateway through the L2TP/IPsec session"
ip netns exec "$NS_GW" iperf3 -s -1 -B 10.99.0.1 >/dev/null 2>&1 &
PIDS+=($!)
wait_for "the iperf3 server" 30 listening "$NS_GW" 5201
run ip netns exec "$NS_C3" iperf3 -c 10.99.0.1 -t 3 | tail -4

section "Gateway status (tandem status)"
run ip netns exec "$NS_GW" "$TANDEM" status "gw$T"

section "Roaming: client 1 moves to a new outer address"
ip -n "$NS_C1" addr del 198.18.0.2/24 dev "e2$T"
ip -n "$NS_C1" addr add 198.18.0.22/24 dev "e2$T"
echo "client 1 is now 198.18.0.22; its session continues without a new handshake"
run ip netns exec "$NS_C1" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_GW" wg show "gw$T" endpoints

section "Failover: client 4's WireGuard blocked under a TCP transfer, then unblocked"
ip netns exec "$NS_GW" iperf3 -s -1 -B 10.99.0.1 >/dev/null 2>&1 &
PIDS+=($!)
wait_for "the iperf3 server" 30 listening "$NS_GW" 5201
ip netns exec "$NS_C4" iperf3 -c 10.99.0.1 -t 24 -i 2 >"$WORK/c4-iperf.log" 2>&1 &
IPERF=$!
PIDS+=($IPERF)
sleep 4
echo "\$ nft: drop client 4's WireGuard UDP (port 51820) both ways"
ip netns exec "$NS_C4" nft -f - <<NFT
table inet block {
  chain out { type filter hook output priority 0; udp dport 51820 drop; }
  chain in { type filter hook input priority 0; udp sport 51820 drop; }
}
NFT
c4_on() { [ "$(c4_json 'd["active"]')" = "$1" ]; }
wait_for "client 4's traffic moving to L2TP/IPsec" 10 c4_on l2tp-ipsec
echo "switched: $(c4_json 'd["last_switch"]["reason"]'); WireGuard had been silent for $(c4_json 'd["last_switch"]["silent_for_ms"]') ms"
gw_dave() {
  ip netns exec "$NS_GW" "$TANDEM" status "gw$T" --json | python3 -c '
import json, sys
d = [x for x in json.load(sys.stdin) if x.get("role") == "gateway"][0]
a = [a for a in d["accounts"] if a["name"] == "dave"][0]
print("gateway: account dave (%s) has paths %s; its traffic returns on %s"
      % (a["ipv4"], ",".join(a["paths"]), a.get("return_path")))'
}
sleep 1
gw_dave
sleep 6
echo "\$ nft: lift the block"
ip netns exec "$NS_C4" nft delete table inet block
wait_for "client 4's traffic back on WireGuard (after the 5 s hold)" 30 c4_on wireguard
echo "failed back: $(c4_json 'd["last_switch"]["reason"]')"
gw_dave
wait "$IPERF" || { cat "$WORK/c4-iperf.log"; echo "demo: the TCP transfer broke" >&2; exit 1; }
echo "the TCP transfer, every 2 s (it ran through both switches):"
cat "$WORK/c4-iperf.log"

section "tandem drill: the same failover on demand, without touching the firewall"
run ip netns exec "$NS_C4" "$TANDEM" drill "c4$T" --seconds 3

section "Gateway log (events)"
cat "$WORK/gw.log"
section "Client 4 log (events)"
cat "$WORK/c4.log"
section "Done: cleaning up namespaces and processes"
