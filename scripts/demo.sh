#!/bin/bash
# Tandem's main job: builds Tandem, then brings up a gateway and three clients in network
# namespaces on one shared segment. The gateway is one `tandem up` process serving WireGuard and
# L2TP/IPsec at once; client 1 runs Tandem (WireGuard) from a TOML config, client 2 runs
# wireguard-go driven by the stock `wg` tool, client 3 is Tandem's L2TP/IPsec client (IKEv1 with a
# pre-shared key, ESP transport mode, then L2TP and PPP inside it) logging in with MS-CHAPv2.
# It shows traffic through the tunnels, client-to-client forwarding via the gateway (also from
# the L2TP/IPsec client to a WireGuard client), the status views with the IKE and ESP SAs, and a
# client roaming to a new address without losing its session. (The WireGuard -> L2TP/IPsec
# failover joins this demo with the hybrid fallback work.)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo.sh needs root (namespaces, TUN devices)"; exit 1; }
./scripts/build.sh release
TANDEM=$PWD/build/release/bin/tandem

T="d$$"
NS_GW="gw-$T"; NS_C1="c1-$T"; NS_C2="c2-$T"; NS_C3="c3-$T"; NS_LAN="lan-$T"
WORK=$(mktemp -d "/tmp/tandem-demo.XXXX")
export TANDEM_RUN_DIR="$WORK/run"  # its gw.pid must not clash with a real gateway named gw
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 0.5
  for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_LAN"; do ip netns del "$ns" 2>/dev/null || true; done
  rm -f "/var/run/wireguard/gw$T.sock" "/var/run/wireguard/c1$T.sock" "/var/run/wireguard/c2$T.sock"
  rm -f "/var/run/tandem/gl$T.l2tp" "/var/run/tandem/c3$T.l2tp"
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

section "Network: a gateway and three clients on one segment (a bridge in its own namespace)"
for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3" "$NS_LAN"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip -n "$NS_LAN" link add br0 type bridge
ip -n "$NS_LAN" link set br0 up
i=1
for ns in "$NS_GW" "$NS_C1" "$NS_C2" "$NS_C3"; do
  ip link add "e$i$T" netns "$ns" type veth peer name "p$i" netns "$NS_LAN"
  ip -n "$NS_LAN" link set "p$i" master br0 up
  ip -n "$ns" addr add "198.18.0.$i/24" dev "e$i$T"
  ip -n "$ns" link set "e$i$T" up
  i=$((i + 1))
done
echo "gateway 198.18.0.1, clients 198.18.0.2, .3 and .4 (outer addresses)"

section "Keys"
for n in gw c1 c2; do
  "$TANDEM" genkey >"$WORK/$n.key"
  "$TANDEM" pubkey <"$WORK/$n.key" >"$WORK/$n.pub"
  echo "$n public key: $(cat "$WORK/$n.pub")"
done
"$TANDEM" genpsk >"$WORK/c1.psk"
# The L2TP/IPsec pre-shared key the gateway and client 3 share.
openssl rand -base64 24 >"$WORK/l2tp.psk"

section "Gateway: tandem up -c gw.toml (WireGuard and L2TP in one process; forwards between clients)"
cat >"$WORK/gw.toml" <<TOML
[interface]
name = "gw$T"
private_key_file = "gw.key"
listen_port = 51820
addresses = ["10.99.0.1/24"]

[[peer]]
name = "client1"
public_key = "$(cat "$WORK/c1.pub")"
preshared_key_file = "c1.psk"
allowed_ips = ["10.99.0.2/32"]

[[peer]]
name = "client2"
public_key = "$(cat "$WORK/c2.pub")"
allowed_ips = ["10.99.0.3/32"]

# L2TP/IPsec for the built-in clients of Windows, macOS and Android: IKEv1 with a pre-shared
# key, ESP protecting UDP 1701, then PPP with MS-CHAPv2 logins and addresses from a pool.
[l2tp]
mode = "lns"
interface = "gl$T"
address = "10.98.0.1/24"
pool = "10.98.0.10-10.98.0.50"
dns = ["10.98.0.1"]

[l2tp.ipsec]
psk_file = "l2tp.psk"

[[l2tp.user]]
name = "carol"
nt_hash = "$(printf 'carol-demo-pw' | iconv -t UTF-16LE | openssl dgst -md4 -provider default -provider legacy | awk '{print $NF}')"
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
allowed_ips = ["10.99.0.0/24", "10.98.0.0/24"]
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
routes = ["10.98.0.0/24", "10.99.0.0/24"]

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

section "Traffic through the tunnels"
run ip netns exec "$NS_C1" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_C2" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_C3" ping -c 3 -i 0.3 10.98.0.1
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
ip netns exec "$NS_GW" iperf3 -s -1 -B 10.98.0.1 >/dev/null 2>&1 &
PIDS+=($!)
wait_for "the iperf3 server" 30 listening "$NS_GW" 5201
run ip netns exec "$NS_C3" iperf3 -c 10.98.0.1 -t 3 | tail -4

section "Gateway status (tandem status)"
run ip netns exec "$NS_GW" "$TANDEM" status "gw$T"
run ip netns exec "$NS_GW" "$TANDEM" status "gl$T"

section "Roaming: client 1 moves to a new outer address"
ip -n "$NS_C1" addr del 198.18.0.2/24 dev "e2$T"
ip -n "$NS_C1" addr add 198.18.0.22/24 dev "e2$T"
echo "client 1 is now 198.18.0.22; its session continues without a new handshake"
run ip netns exec "$NS_C1" ping -c 3 -i 0.3 10.99.0.1
run ip netns exec "$NS_GW" wg show "gw$T" endpoints

section "Gateway log (events)"
cat "$WORK/gw.log"
section "Client 3 log (events)"
cat "$WORK/c3.log"
section "Done: cleaning up namespaces and processes"
