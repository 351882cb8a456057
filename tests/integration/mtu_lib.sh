#!/bin/bash
# The MTU checks mtu_stacks.sh, nested.sh and the pmtu_*.sh tests share, sourced after ../netns/lib.sh:
# a host, its node, a router and the far end in a row; a host masqueraded behind the tunnel's
# node, a packet one byte over the MTU answered with ICMP from that node, and a TCP transfer
# whose SYN is captured at the far end's device while the underlay shrinks under it.

# host_node_router_server H A R B: four namespaces in a row, H 192.168.91.2 -- .91.1 A .92.1 --
# .92.2 R .93.1 -- 192.168.93.2 B: a host whose default route is the tunnel's node A, and a router
# (forwarding IPv4 and IPv6) between A and the tunnel's far end B. Underlay routes are the
# caller's (IPv4 or IPv6).
host_node_router_server() {
  local ns
  for ns in "$@"; do make_ns "$ns"; done
  link_ns "$2" "$1" 91
  link_ns "$2" "$3" 92
  link_ns "$3" "$4" 93
  ip netns exec "$3" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  ip netns exec "$2" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$1" route add default via 192.168.91.1
}

# masquerade_behind NS DEVICE: what NS forwards out of DEVICE leaves from DEVICE's address (a
# tunnel's far end routes back only the addresses it gave or allows).
masquerade_behind() {
  ip netns exec "$1" nft -f - <<NFT || die "nftables masquerade on $2 in $1 failed"
table ip nat$TAG {
  chain post { type nat hook postrouting priority 100; oifname "$2" masquerade; }
}
NFT
}

# one_byte_more NS ADDRESS MTU FROM: a DF ping from NS to ADDRESS one byte larger than MTU is
# answered by FROM (the tunnel's node, forwarding NS's packets) with ICMP fragmentation needed
# carrying MTU.
one_byte_more() {
  local ns=$1 address=$2 mtu=$3 from=$4 log="$TMPDIR_TEST/toobig.log"
  ip netns exec "$ns" ping -c 1 -W 3 -M do -s $((mtu - 27)) "$address" >"$log" 2>&1 || true
  grep -q "From $from .*mtu = $mtu" "$log" ||
    { cat "$log" >&2; die "one byte more was not answered by $from with fragmentation needed (mtu = $mtu)"; }
  note "one byte more: $(grep -o 'From .*' "$log" | head -1)"
}

# exactly_fits NS ADDRESS MTU: a DF ping from NS to ADDRESS of exactly MTU bytes passes.
exactly_fits() {
  local ns=$1 address=$2 mtu=$3 log="$TMPDIR_TEST/fits.log"
  ip netns exec "$ns" ping -c 2 -W 3 -M do -s $((mtu - 28)) "$address" >"$log" 2>&1 ||
    { cat "$log" >&2; die "a DF ping of exactly $mtu bytes from $ns did not pass"; }
  note "a DF ping of exactly $mtu bytes from $ns passed"
}

# transfer_with_syn_capture SERVER_NS DEVICE ADDRESS CLIENT_NS WHAT: an iperf3 transfer from
# CLIENT_NS to ADDRESS (its server bound in SERVER_NS) while SYNs are captured on DEVICE in
# SERVER_NS into $TMPDIR_TEST/syn.pcap; it must complete moving bytes every second (WHAT names
# it in the figures printed and in a failure).
transfer_with_syn_capture() {
  local server_ns=$1 device=$2 address=$3 client_ns=$4 what=$5
  capture_start "$server_ns" "$device" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" \
    "$TMPDIR_TEST/syn.pcap"
  ip netns exec "$server_ns" iperf3 -s -1 -B "$address" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
  PIDS+=($!)
  WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$server_ns" tcp 5201 30 "the iperf3 server"
  ip netns exec "$client_ns" timeout 60 iperf3 -c "$address" -t 6 -i 1 -J >"$TMPDIR_TEST/iperf.json" 2>&1 ||
    { cat "$TMPDIR_TEST/iperf.json" >&2; die "the $what through the small hop failed"; }
  capture_stop
  moved_every_second "$TMPDIR_TEST/iperf.json" "$what" || die "the $what stalled"
}

# syn_clamped_while_shrinking SERVER_NS DEVICE ADDRESS CLIENT_NS MSS NS:LINK...: an iperf3
# transfer from CLIENT_NS to ADDRESS (its server bound in SERVER_NS) while SYNs are captured on
# DEVICE in SERVER_NS; 3 s in, each NS:LINK (both ends of an underlay hop) shrinks to 1280. The
# transfer must complete, moving bytes every second after the shrink, and the client's SYN must
# reach DEVICE advertising MSS.
syn_clamped_while_shrinking() {
  local server_ns=$1 device=$2 address=$3 client_ns=$4 expected_mss=$5
  shift 5
  # SYNs only: the transfer itself would make a capture file too big to read back quickly.
  capture_start "$server_ns" "$device" "tcp port 5201 and tcp[tcpflags] & tcp-syn != 0" \
    "$TMPDIR_TEST/syn.pcap"
  ip netns exec "$server_ns" iperf3 -s -1 -B "$address" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
  PIDS+=($!)
  WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$server_ns" tcp 5201 30 "the iperf3 server"
  ip netns exec "$client_ns" timeout 60 iperf3 -c "$address" -t 8 -i 1 -J \
    >"$TMPDIR_TEST/iperf.json" 2>&1 &
  local iperf=$!
  PIDS+=($iperf)
  sleep 3
  local link
  for link in "$@"; do ip -n "${link%%:*}" link set dev "${link#*:}" mtu 1280; done
  note "underlay shrunk to 1280 during the transfer ($*)"
  wait "$iperf" ||
    { cat "$TMPDIR_TEST/iperf.json" >&2; die "the transfer failed (or did not end within 60 s) after the underlay shrank"; }
  capture_stop
  local mss
  mss=$(tshark -r "$TMPDIR_TEST/syn.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" \
    -T fields -e tcp.options.mss_val 2>/dev/null | head -1 || true)
  note "the SYN at $device: MSS $mss (expected $expected_mss)"
  [ "$mss" = "$expected_mss" ] || die "the SYN's MSS at $device is $mss, not $expected_mss"
  python3 - "$TMPDIR_TEST/iperf.json" <<'PY' || die "the transfer stalled once the underlay shrank"
import json, sys
intervals = json.load(open(sys.argv[1]))["intervals"]
after = [i["sum"]["bytes"] for i in intervals if i["sum"]["start"] >= 4]
print("--- bytes per second after the shrink:", after)
sys.exit(0 if after and min(after) > 0 else 1)
PY
}

# esp_suite_sizes SUITE: sets IV, ICV and BLOCK (bytes) and ESP_FLAG (`tandem mtu --esp`) for the
# ESP suite a status document names (RFC 4106, 3602, 2404, 4868).
esp_suite_sizes() {
  case "$1" in
    AES_GCM_16_*) IV=8 ICV=16 BLOCK=4 ESP_FLAG=aes-gcm ;;
    AES_CBC_*/HMAC_SHA1_96) IV=16 ICV=12 BLOCK=16 ESP_FLAG=aes-cbc-sha1 ;;
    AES_CBC_*/HMAC_SHA2_256_128) IV=16 ICV=16 BLOCK=16 ESP_FLAG=aes-cbc-sha256 ;;
    *) die "no budget known for the ESP suite $1" ;;
  esac
}

# l2tp_inner_over UNDERLAY L2TP_HEADER: after esp_suite_sizes, the largest inner packet in one
# L2TP/IPsec datagram of UNDERLAY bytes: IPv4 20, UDP 4500 8, ESP header 8, the IV, the ESP
# payload (UDP 1701 8, L2TP, PPP 4, the packet and the 2-byte trailer) padded to the cipher's
# block, and the ICV.
l2tp_inner_over() {
  local room=$(($1 - 20 - 8 - 8 - IV - ICV))
  echo $((room / BLOCK * BLOCK - 2 - 8 - $2 - 4))
}

# moved_every_second IPERF_JSON WHAT: prints an iperf3 transfer's bytes per second; fails when
# one second moved none.
moved_every_second() {
  python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
per_second = [i["sum"]["bytes"] for i in d["intervals"]]
print("---", sys.argv[2] + ": bytes per second", per_second, "-",
      int(d["end"]["sum_received"]["bits_per_second"] / 1e6), "Mbit/s received")
sys.exit(0 if per_second and min(per_second) > 0 else 1)
PY
}

# first_syn_mss PCAP: the MSS of the first SYN (not SYN-ACK) in a capture.
first_syn_mss() {
  tshark -r "$1" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields -e tcp.options.mss_val \
    2>/dev/null | head -1 || true
}

# mtu_changed_event EVENTS FIELD VALUE MTU: the event file EVENTS has a path.mtu_changed event
# whose FIELD (peer, account, ...) is VALUE and whose mtu is MTU; it is printed. Fails otherwise.
mtu_changed_event() {
  python3 - "$@" <<'PY' || die "no path.mtu_changed event with $2 $3 and mtu $4 in $1"
import json, sys
events, field, value, mtu = sys.argv[1:5]
for line in open(events):
    e = json.loads(line)
    if e["event"] == "path.mtu_changed" and e.get(field) == value and e["mtu"] == int(mtu):
        print("--- event:", line.strip())
        sys.exit(0)
sys.exit(1)
PY
}
