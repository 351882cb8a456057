#!/bin/bash
# Packet captures that are proven live before the traffic they check starts. Sourced by lib.sh.
#
# "Capturing on" in tshark's output only says the capture process started; the first packets
# after it can still be missed while dumpcap opens the socket and installs its filter, and a
# test that then counts messages fails by chance. So capture_start adds a marker to the capture
# filter, sends marker datagrams through the captured interface from inside the test's own
# namespace, and returns only once a marker is in the capture file. Markers are UDP to the
# discard port of 192.0.2.254 (TEST-NET-1), routed onto the interface with a permanent neighbour
# entry so no ARP is needed; the frame reaches the veth peer with a MAC address nobody owns and
# is dropped there, so no process on either side ever sees it.
#
# Markers stay in the capture file. They decode as UDP to port 9 and never as the protocol under
# test; a test that counts all packets of some address adds "&& $CAPTURE_NOT_MARKER" to its
# display filter.

CAPTURE_MARKER_ADDRESS=192.0.2.254
CAPTURE_MARKER_PORT=9
CAPTURE_NOT_MARKER="!(ip.dst == $CAPTURE_MARKER_ADDRESS && udp.dstport == $CAPTURE_MARKER_PORT)"
CAPTURE_PID=

# capture_start NS IFACE CAPTURE_FILTER PCAP_FILE [MARKER_IFACE]: tshark on IFACE in NS writing
# PCAP_FILE, returning once the capture is live (at most CAPTURE_READY_TIMEOUT seconds, default 30;
# dies naming the cause otherwise). MARKER_IFACE (default IFACE) is where markers are sent: only a
# test of this helper points them elsewhere. Sets CAPTURE_PID.
capture_start() {
  local ns=$1 iface=$2 filter=$3 pcap=$4 marker_iface=${5:-$2}
  local timeout=${CAPTURE_READY_TIMEOUT:-30}
  local log="$pcap.tshark.log"
  local marker="tandem-capture-marker-$TAG-$RANDOM$RANDOM"
  ip -n "$ns" route replace "$CAPTURE_MARKER_ADDRESS/32" dev "$marker_iface" ||
    die "capture: cannot route markers onto $marker_iface in $ns"
  if ip -n "$ns" link show dev "$marker_iface" | grep -q "link/ether"; then
    ip -n "$ns" neigh replace "$CAPTURE_MARKER_ADDRESS" lladdr 02:00:00:00:00:fe \
      dev "$marker_iface" nud permanent || die "capture: cannot add the marker neighbour in $ns"
  fi
  ip netns exec "$ns" tshark -q -i "$iface" -w "$pcap" \
    -f "($filter) or (udp dst port $CAPTURE_MARKER_PORT and dst host $CAPTURE_MARKER_ADDRESS)" \
    >"$log" 2>&1 &
  CAPTURE_PID=$!
  PIDS+=("$CAPTURE_PID")
  local deadline=$(($(date +%s%N) + timeout * TEST_WAIT_SCALE * 1000000000))
  while :; do
    if ! kill -0 "$CAPTURE_PID" 2>/dev/null; then
      cat "$log" >&2
      die "capture on $iface in $ns: tshark exited before the capture was live"
    fi
    ip netns exec "$ns" bash -c \
      "printf '%s' '$marker' >/dev/udp/$CAPTURE_MARKER_ADDRESS/$CAPTURE_MARKER_PORT" 2>/dev/null || true
    if [ -s "$pcap" ] && grep -aqF "$marker" "$pcap"; then
      note "capture on $iface in $ns is live (marker seen in $(basename "$pcap"))"
      return 0
    fi
    if [ "$(date +%s%N)" -ge "$deadline" ]; then
      kill "$CAPTURE_PID" 2>/dev/null || true
      wait "$CAPTURE_PID" 2>/dev/null || true
      cat "$log" >&2
      die "capture on $iface in $ns never became live: no marker datagram sent through" \
        "$marker_iface reached $(basename "$pcap") within $((timeout * TEST_WAIT_SCALE)) s"
    fi
    sleep 0.1
  done
}

# capture_stop [PID]: ends a capture (default the last one started) so its file is complete.
capture_stop() {
  local pid=${1:-$CAPTURE_PID}
  kill -INT "$pid" 2>/dev/null || true
  wait_exit "$pid" 30 "tshark"
}
