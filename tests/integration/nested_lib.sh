#!/bin/bash
# Helpers for the nesting tests (nested.sh against Tandem, and the interop tests
# ../interop/nested_*.sh against wireguard-go, SoftEther and strongSwan), sourced after
# ../netns/lib.sh: the MTU an ESP layer leaves, starting a nested client, a nested interface's
# status document, pings of a given size, the check that a capture of the underlay holds the
# outer protocol only, and wireguard-go as the far end of the WireGuard layer.

# esp_inner UNDERLAY IV ICV BLOCK INSIDE: the largest inner packet an IPv4 packet of UNDERLAY
# bytes carries in ESP in UDP 4500: IPv4 20, UDP 8, ESP header 8, the IV and the ICV around ESP's
# payload (INSIDE bytes of headers, the inner packet and the 2-byte trailer) padded to BLOCK.
esp_inner() { echo $((($1 - 20 - 8 - 8 - $2 - $3) / $4 * $4 - 2 - $5)); }
# costliest_default_suite UNDERLAY INSIDE: esp_inner for the costliest suite Tandem proposes by
# default (IKEv1 and IKEv2 alike): AES-GCM (IV 8, ICV 16, 4-byte alignment), AES-CBC (IV 16,
# blocks of 16) with HMAC-SHA1-96 (ICV 12) or HMAC-SHA-256-128 (ICV 16).
costliest_default_suite() {
  local gcm cbc_sha1 cbc_sha256
  gcm=$(esp_inner "$1" 8 16 4 "$2")
  cbc_sha1=$(esp_inner "$1" 16 12 16 "$2")
  cbc_sha256=$(esp_inner "$1" 16 16 16 "$2")
  local least=$((gcm < cbc_sha1 ? gcm : cbc_sha1))
  echo $((cbc_sha256 < least ? cbc_sha256 : least))
}

# start_nested_tandem NS CONFIG LOG IF WHAT: `tandem up` with a [nesting] CONFIG in NS until it
# serves its admin socket, and it must log that it started IF as WHAT, e.g. "WireGuard inside
# L2TP/IPsec" (its line "nested IF: WHAT ..."). Sets TANDEM_PID.
start_nested_tandem() {
  start_tandem_up "$1" "$2" "$3"
  grep -q "nested $4: $5" "$3" || die "Tandem did not start $4 as $5"
}

# nested_field NS IF EXPR: a Python expression over the interface's nested status document `d`
# (`tandem status IF --json`, the document whose role is "nested").
nested_field() {
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json 2>/dev/null | python3 -c '
import json, sys
docs = [d for d in json.load(sys.stdin) if d.get("role") == "nested"]
if not docs:
    sys.exit("no nested status document")
d = docs[0]
print(eval(sys.argv[1]))' "$3"
}

# nested_carried_both_ways NS IF MIN_OUT MIN_IN: the nested counters show at least MIN_OUT
# datagrams of the inner protocol carried out through the outer tunnel and MIN_IN carried in.
nested_carried_both_ways() {
  local out in
  out=$(nested_field "$1" "$2" "d['counters']['carried_out']")
  in=$(nested_field "$1" "$2" "d['counters']['carried_in']")
  note "$2 carried $out datagrams of the inner protocol out, $in in"
  [ "${out:-0}" -ge "$3" ] && [ "${in:-0}" -ge "$4" ] ||
    die "the nested counters do not show the inner protocol carried both ways" \
      "(out $out, in $in; expected at least $3 and $4)"
}

# ping_bytes NS ADDRESS BYTES [PING_OPTION...]: three pings whose IP packets are BYTES long, every
# one answered (e.g. with -M do, a DF packet of exactly a device's MTU).
ping_bytes() {
  local ns=$1 address=$2 bytes=$3 log="$TMPDIR_TEST/ping-$3.log"
  shift 3
  ip netns exec "$ns" ping -c 3 -i 0.2 -W 3 -s $((bytes - 28)) "$@" "$address" >"$log" 2>&1 ||
    { cat "$log" >&2; die "pings of $bytes bytes${*:+ ($*)} from $ns to $address were not answered"; }
  note "pings of $bytes bytes${*:+ ($*)} from $ns to $address answered"
}

# underlay_only_outer PCAP OUTER_FILTER INNER_FILTER MIN_OUTER [OTHERS_FILTER]: tshark's reading of
# a capture of the underlay (made with capture_start/capture_stop, markers left out): not one
# packet matches INNER_FILTER (the inner protocol in the clear), at least MIN_OUTER match
# OUTER_FILTER, and every packet matches OUTER_FILTER, except those matching OTHERS_FILTER (a
# peer's own chatter that has nothing to do with the tunnel, which the caller names and explains).
underlay_only_outer() {
  local pcap=$1 outer_filter=$2 inner_filter=$3 min_outer=$4 others_filter=${5:-}
  local count_filter="$CAPTURE_NOT_MARKER" outer inner all others=0
  if [ -n "$others_filter" ]; then
    others=$(tshark -r "$pcap" -Y "($others_filter) && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
    count_filter="!($others_filter) && $CAPTURE_NOT_MARKER"
  fi
  outer=$(tshark -r "$pcap" -Y "($outer_filter) && $count_filter" 2>/dev/null | wc -l)
  inner=$(tshark -r "$pcap" -Y "($inner_filter) && $CAPTURE_NOT_MARKER" 2>/dev/null | wc -l)
  all=$(tshark -r "$pcap" -Y "$count_filter" 2>/dev/null | wc -l)
  note "underlay: $all packets, $outer of the outer protocol, $inner of the inner one" \
    "(and $others set aside as not the tunnel's)"
  [ "$inner" -eq 0 ] || {
    tshark -r "$pcap" -Y "$inner_filter" 2>/dev/null | head -5 >&2
    die "$inner packets of the inner protocol crossed the underlay outside the outer tunnel"
  }
  [ "$outer" -ge "$min_outer" ] || die "only $outer packets of the outer protocol on the underlay"
  [ "$outer" -eq "$all" ] || {
    tshark -r "$pcap" -Y "!($outer_filter) && $count_filter" -T fields -e frame.number \
      -e eth.src -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e _ws.col.Protocol \
      2>/dev/null | head -10 >&2
    die "the underlay carried $((all - outer)) packets of neither protocol"
  }
}

# wireguard_go_logs NS IFNAME: for a failing test, wireguard-go's log and its `wg show`.
wireguard_go_logs() {
  echo "=== wireguard-go $2" >&2
  tail -20 "$TMPDIR_TEST/$2.log" >&2 || true
  ip netns exec "$1" wg show "$2" >&2 || true
}

# start_wireguard_go_peer NS IFNAME ADDRESS/LEN MTU PEER_PUBLIC_KEY PEER_ALLOWED_IPS: wireguard-go
# in NS as IFNAME on UDP 51820 (every address of NS), configured with the stock `wg` tool: a new
# private key, one peer without an endpoint (it learns it from the handshake), the address, MTU
# and the device up. Sets WG_GO_PUB, its public key.
start_wireguard_go_peer() {
  local ns=$1 ifname=$2 address=$3 mtu=$4 peer=$5 allowed=$6
  command -v wireguard-go >/dev/null && command -v wg >/dev/null ||
    die "wireguard-go or wg is not installed (apt-get install wireguard-go wireguard-tools)"
  start_wg wireguard-go "$ns" "$ifname"
  wg genkey >"$TMPDIR_TEST/$ifname.key"
  WG_GO_PUB=$(wg pubkey <"$TMPDIR_TEST/$ifname.key")
  ip netns exec "$ns" wg set "$ifname" private-key "$TMPDIR_TEST/$ifname.key" listen-port 51820 \
    peer "$peer" allowed-ips "$allowed" ||
    die "wg set on wireguard-go's $ifname in $ns failed"
  ip -n "$ns" addr add "$address" dev "$ifname"
  ip -n "$ns" link set dev "$ifname" mtu "$mtu" up
  wait_listen "$ns" udp 51820 30 "wireguard-go ($ifname)"
}
