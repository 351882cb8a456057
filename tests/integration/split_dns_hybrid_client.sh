#!/bin/bash
# Split DNS on a hybrid client (WireGuard with an L2TP/IPsec fallback, one device): corp.example
# goes to a resolver on the gateway's inner address through the tunnel, other names to a public
# resolver on the underlay. With WireGuard cut in the router the traffic moves to L2TP/IPsec and
# private names still resolve, through the same device; a capture of the client's underlay,
# proven live by a marker, holds no DNS for corp.example on either path.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/split_dns_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

fallback_pair "a pre-shared key of some length"
UNDERLAY="vb${TAG}86" # the client's side of its link to the router
cat >>"$TMPDIR_TEST/cl.toml" <<TOML

[dns]
default = "public"
timeout = 2

[[dns.upstream]]
name = "corp"
through = "tunnel"
servers = ["10.86.0.1"]

[[dns.upstream]]
name = "public"
through = "underlay"
servers = ["192.168.87.2"]

[[dns.route]]
domains = ["corp.example"]
upstream = "corp"
TOML

logs() {
  for f in gw cl private public; do
    [ -f "$TMPDIR_TEST/$f.log" ] && { echo "=== $f.log"; tail -30 "$TMPDIR_TEST/$f.log"; }
  done
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
CL_PID=$TANDEM_PID
both_healthy() { hybrid_both_healthy "$CL" "$CL_IF"; }
active_is() { hybrid_active_is "$CL" "$CL_IF" "$1"; }
WAIT_WATCH_PID=$CL_PID wait_until "both of the client's paths healthy" 60 both_healthy
WAIT_WATCH_PID=$CL_PID wait_until "traffic on WireGuard" 30 active_is wireguard
wait_listen "$CL" udp 53 30 "the client's DNS forwarder"

start_resolvers "$GW" 10.86.0.1 10.86.9.9 192.168.87.2

capture_start "$CL" "$UNDERLAY" "udp or tcp" "$TMPDIR_TEST/underlay.pcap"

active_path() { echo "active $(hybrid_field "$CL" "$CL_IF" 'd["active"]')"; }
expect_answer() { DNS_NOTE=active_path expect_dns "$CL" 10.86.0.2 "$@"; }
expect_answer host.corp.example "rcode=0 a=10.86.9.9"
expect_answer www.example.com "rcode=0 a=192.0.2.80"

ip netns exec "$RT" nft add rule ip cut$TAG block udp dport 51820 drop
ip netns exec "$RT" nft add rule ip cut$TAG block udp sport 51820 drop
WAIT_WATCH_PID=$CL_PID wait_until "traffic on L2TP/IPsec after WireGuard was cut" 60 active_is l2tp-ipsec
expect_answer host.corp.example "rcode=0 a=10.86.9.9"
expect_answer www.example.com "rcode=0 a=192.0.2.80"
capture_stop

PCAP="$TMPDIR_TEST/underlay.pcap"
count() { capture_count "$PCAP" "$1"; }
corp=$(count 'dns.qry.name contains "corp"')
public_queries=$(count 'dns.qry.name == "www.example.com" && dns.flags.response == 0 && ip.dst == 192.168.87.2')
esp=$(count 'udp.port == 4500 || esp')
note "underlay capture: corp.example DNS packets $corp, public queries $public_queries, L2TP/IPsec (ESP) packets $esp"
[ "$corp" -eq 0 ] || die "corp.example leaked onto the underlay"
[ "$public_queries" -eq 2 ] || die "expected the 2 public queries on the underlay, saw $public_queries"
[ "$esp" -gt 0 ] || die "no L2TP/IPsec packets on the underlay after the failover"
private=$(grep -c '^host.corp.example 1 from 10.86.0.2$' "$TMPDIR_TEST/private.log" || true)
[ "$private" -eq 2 ] || die "the private resolver got $private queries from the client, expected 2 (one per path)"
resolvers_kept_apart
echo "PASS: split DNS on a hybrid client: private names in the tunnel on WireGuard and on L2TP/IPsec"
