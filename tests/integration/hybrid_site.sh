#!/bin/bash
# Site to site: two Tandem gateways, each one hybrid interface with WireGuard as the primary path
# and an IKEv2 ESP tunnel as the secondary, each probing the other. A router namespace between
# them drops WireGuard with nftables while traffic runs between the sites' networks:
#
#   site A 192.168.86.2 -- .86.1 [router] .87.1 -- 192.168.87.2 site B
#   inner: A 10.88.0.1, network 10.88.1.0/24   --   B 10.88.0.2, network 10.88.2.0/24
#
# Between the two networks a 30 s iperf3 TCP transfer and a separate idle TCP connection run;
# WireGuard is blocked both ways, BOTH sites must move to the ESP tunnel (each decides alone),
# the connections carry on, the block is lifted, both sites come back to WireGuard. Then
# WireGuard is dropped in one direction only (A to B), and both sites must move again, since
# probes make a round trip. The ESP tunnel's counters show that it carried the traffic.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
PSK="a site-to-site pre-shared key"

A="sa$TAG"
B="sb$TAG"
RT="sr$TAG"
routed_pair "$A" "$B" "$RT"
# Each site's own network: an address on its loopback, reached only through the tunnel.
ip -n "$A" addr add 10.88.1.1/24 dev lo
ip -n "$B" addr add 10.88.2.1/24 dev lo

A_IF="ha$TAG"
B_IF="hb$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$A_IF.hybrid" "$STATUS_DIR/$B_IF.hybrid" "$STATUS_DIR/$A_IF.ipsec"
  "$STATUS_DIR/$B_IF.ipsec" "/var/run/wireguard/$A_IF.sock" "/var/run/wireguard/$B_IF.sock")

A_KEY=$("$TANDEM_BIN" genkey)
B_KEY=$("$TANDEM_BIN" genkey)
A_PUB=$(echo "$A_KEY" | "$TANDEM_BIN" pubkey)
B_PUB=$(echo "$B_KEY" | "$TANDEM_BIN" pubkey)

# site_config IF KEY SELF OTHER OTHER_PUB OTHER_UNDERLAY SELF_UNDERLAY OWN_NET OTHER_NET DIAL
site_config() {
  cat <<TOML
[interface]
name = "$1"
private_key = "$2"
listen_port = 51820
addresses = ["$3/32"]

[[peer]]
name = "other site"
public_key = "$5"
endpoint = "$6:51820"
allowed_ips = ["$4/32", "$9"]
persistent_keepalive = 25

[ipsec]
local_address = "$7"

[[ipsec.connection]]
name = "other-site"
remote_address = "$6"
psk = "$PSK"
local_subnets = ["$3/32", "$8"]
remote_subnets = ["$4/32", "$9"]
start = ${10}

[fallback]
gateway = "$4"
TOML
}
site_config "$A_IF" "$A_KEY" 10.88.0.1 10.88.0.2 "$B_PUB" 192.168.87.2 192.168.86.2 \
  10.88.1.0/24 10.88.2.0/24 true >"$TMPDIR_TEST/a.toml"
site_config "$B_IF" "$B_KEY" 10.88.0.2 10.88.0.1 "$A_PUB" 192.168.86.2 192.168.87.2 \
  10.88.2.0/24 10.88.1.0/24 false >"$TMPDIR_TEST/b.toml"

logs() {
  echo "--- site A log" >&2; tail -40 "$TMPDIR_TEST/a.log" >&2
  echo "--- site B log" >&2; tail -40 "$TMPDIR_TEST/b.log" >&2
}
ON_FAILURE=logs

for side in a b; do
  "$TANDEM_BIN" check "$TMPDIR_TEST/$side.toml" >"$TMPDIR_TEST/check-$side.log" 2>&1 ||
    { cat "$TMPDIR_TEST/check-$side.log" >&2; die "tandem check refused site $side's config"; }
done
start_tandem_up "$B" "$TMPDIR_TEST/b.toml" "$TMPDIR_TEST/b.log"
B_PID=$TANDEM_PID
start_tandem_up "$A" "$TMPDIR_TEST/a.toml" "$TMPDIR_TEST/a.log"
A_PID=$TANDEM_PID

site_a() { hybrid_field "$A" "$A_IF" "$1"; }
site_b() { hybrid_field "$B" "$B_IF" "$1"; }
both_sites_on() { hybrid_active_is "$A" "$A_IF" "$1" && hybrid_active_is "$B" "$B_IF" "$1"; }
# esp_packets NS IF: packets in + out of the ESP tunnel's Child SAs.
esp_packets() {
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json | python3 -c '
import json, sys
for doc in json.load(sys.stdin):
    if doc.get("kind") == "ipsec" and doc.get("interface") == sys.argv[1]:
        print(sum(c["packets_in"] + c["packets_out"] for c in doc["ipsec"]["child_sas"])); break
else:
    sys.exit("no IPsec status for " + sys.argv[1])' "$2"
}

WAIT_WATCH_PID=$A_PID wait_until "site A: both paths healthy (WireGuard and the ESP tunnel)" 60 \
  hybrid_both_healthy "$A" "$A_IF"
WAIT_WATCH_PID=$B_PID wait_until "site B: both paths healthy (WireGuard and the ESP tunnel)" 60 \
  hybrid_both_healthy "$B" "$B_IF"
WAIT_WATCH_PID=$A_PID wait_until "both sites sending on WireGuard" 30 both_sites_on wireguard
[ "$(site_a 'd["secondary"]')" = ipsec ] || die "site A's secondary is not the IPsec tunnel"
note "site A: $(site_a '[(p["path"], p["healthy"]) for p in d["paths"]]'), answered $(site_a 'd["counters"]["probes_answered"]') of B's probes"
[ "$(site_b 'd["counters"]["probes_answered"]')" -gt 0 ] || die "site B answered none of A's probes"
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -I 10.88.1.1 10.88.2.1 >/dev/null ||
  die "site A's network cannot reach site B's over WireGuard"

block_wg() {  # [a-to-b]: drop WireGuard in the router, both ways or from A to B only
  ip netns exec "$RT" nft add rule ip cut$TAG block ip saddr 192.168.86.2 udp dport 51820 drop
  [ "${1:-}" = a-to-b ] ||
    ip netns exec "$RT" nft add rule ip cut$TAG block ip saddr 192.168.87.2 udp dport 51820 drop
}
unblock_wg() { ip netns exec "$RT" nft flush chain ip cut$TAG block; }
# expect_both PATH SECONDS WHAT: waits until both sites send on PATH; prints the measured time.
expect_both() {
  local t0 t1
  t0=$(now_ms)
  WAIT_WATCH_PID=$A_PID wait_until "both sites on $1 ($3)" "$2" both_sites_on "$1"
  t1=$(now_ms)
  note "$3: both sites on $1 after $((t1 - t0)) ms (polled); A: $(site_a 'd["last_switch"]["reason"]'); B: $(site_b 'd["last_switch"]["reason"]')"
}

start_idle_tcp "$B" 10.88.2.1 "$A" 10.88.1.1
idle_exchange before
start_iperf "$B" 10.88.2.1 "$A" 30 10.88.1.1
sleep 5
esp_before=$(esp_packets "$A" "$A_IF")
note "blocking WireGuard (UDP 51820) both ways in the router"
block_wg
expect_both ipsec 10 "WireGuard blocked"
idle_exchange during-fallback
sleep 5
esp_during=$(esp_packets "$A" "$A_IF")
note "the ESP tunnel carried $((esp_during - esp_before)) packets at site A since the block"
[ $((esp_during - esp_before)) -gt 1000 ] ||
  die "the ESP tunnel carried only $((esp_during - esp_before)) packets while WireGuard was blocked"
note "lifting the block"
unblock_wg
expect_both wireguard 30 "WireGuard back (after the failback hold)"
idle_exchange after-failback
finish_iperf

note "dropping WireGuard from site A to site B only"
block_wg a-to-b
expect_both ipsec 10 "one-way blackhole"
ip netns exec "$A" ping -c 3 -i 0.2 -W 2 -I 10.88.1.1 10.88.2.1 >/dev/null ||
  die "the networks cannot reach each other over the ESP tunnel"
unblock_wg
expect_both wireguard 30 "WireGuard whole again"
idle_exchange at-the-end

kill -0 "$A_PID" && kill -0 "$B_PID" || die "a daemon died"
stop_pid "$A_PID" 30 "site A"
WAIT_WATCH_PID=$B_PID wait_log "$TMPDIR_TEST/b.log" "ESP SA .* removed" 20
note "site B removed the ESP SA when site A stopped"
note "PASS hybrid site to site"
