#!/bin/bash
# A hop on the underlay that drops large datagrams and tells nobody (the case path MTU probing is
# for), sourced after ../netns/lib.sh. The router namespace forwards only packets of at most its
# "MTU" bytes (IP header included, both directions or one, IPv4 and IPv6) and drops larger ones in its
# forward hook, before the kernel could answer them with ICMP: nothing comes back, as from a
# misconfigured tunnel or a firewall that filters ICMP.

# silent_hop_set ROUTER_NS MTU [FROM_DEVICE]: (re)sets the hop's size limit; takes effect for the
# next packet. With FROM_DEVICE only packets the router received on that device (one direction)
# are held to it; the other direction carries any size.
silent_hop_set() {
  local ns=$1 mtu=$2 from=${3:-}
  ip netns exec "$ns" nft list table inet silent$TAG >/dev/null 2>&1 ||
    ip netns exec "$ns" nft -f - <<NFT || die "nftables silent hop in $ns failed"
table inet silent$TAG {
  chain forward { type filter hook forward priority -10; }
}
NFT
  ip netns exec "$ns" nft flush chain inet silent$TAG forward
  local match=()
  [ -z "$from" ] || match=(iifname "$from")
  ip netns exec "$ns" nft add rule inet silent$TAG forward "${match[@]}" meta length gt "$mtu" \
    counter drop || die "nftables rule for the silent hop in $ns failed"
  note "silent hop in $ns: packets over $mtu bytes${from:+ from $from} dropped, no ICMP"
}

# silent_hop_drops ROUTER_NS: how many packets the hop has dropped so far.
silent_hop_drops() {
  ip netns exec "$1" nft list chain inet silent$TAG forward |
    sed -nE 's/.*counter packets ([0-9]+) .*/\1/p' | head -1
}
