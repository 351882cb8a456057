#!/bin/bash
# A hop on the underlay that drops large datagrams and tells nobody (the case path MTU probing is
# for), sourced after ../netns/lib.sh. The router namespace forwards only packets of at most its
# "MTU" bytes (IP header included, both directions or one, IPv4 and IPv6) and drops larger ones in its
# forward hook, before the kernel could answer them with ICMP: nothing comes back, as from a
# misconfigured tunnel or a firewall that filters ICMP.

# silent_hop_segment_senders ROUTER_NS: a super-packet (UDP GSO, TSO) crosses a veth pair whole,
# so the forward hook would see, and drop, 64 KB where a wire would have carried its segments one
# by one. The devices that send into the router cut super-packets before they leave
# (gso_max_segs 1), as a NIC or the kernel does on a real link.
silent_hop_segment_senders() {
  local ns=$1 dev nsid peer_index peer_ns peer_dev
  while read -r dev nsid peer_index; do
    peer_ns=$(ip -n "$ns" netns list-id |
      sed -nE "s/^nsid $nsid \(iproute2 netns name: (.*)\)\$/\1/p")
    [ -n "$peer_ns" ] || continue
    peer_dev=$(ip -n "$peer_ns" -j link show | python3 -c 'import json, sys
print(next((l["ifname"] for l in json.load(sys.stdin) if l["ifindex"] == int(sys.argv[1])), ""))' \
      "$peer_index")
    [ -z "$peer_dev" ] || ip -n "$peer_ns" link set dev "$peer_dev" gso_max_segs 1 ||
      die "gso_max_segs on $peer_dev in $peer_ns (towards $dev of the silent hop) failed"
  done < <(ip -n "$ns" -j link show | python3 -c 'import json, sys
for l in json.load(sys.stdin):
    if "link_netnsid" in l and "link_index" in l:
        print(l["ifname"], l["link_netnsid"], l["link_index"])')
}

# silent_hop_set ROUTER_NS MTU [FROM_DEVICE]: (re)sets the hop's size limit; takes effect for the
# next packet. With FROM_DEVICE only packets the router received on that device (one direction)
# are held to it; the other direction carries any size.
silent_hop_set() {
  local ns=$1 mtu=$2 from=${3:-}
  if ! ip netns exec "$ns" nft list table inet silent$TAG >/dev/null 2>&1; then
    ip netns exec "$ns" nft -f - <<NFT || die "nftables silent hop in $ns failed"
table inet silent$TAG {
  chain forward { type filter hook forward priority -10; }
}
NFT
    silent_hop_segment_senders "$ns"
  fi
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
