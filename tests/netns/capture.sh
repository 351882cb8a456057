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

# _capture_marker_seen NS MARKER_IFACE PCAP SECONDS WHAT: sends a fresh marker through
# MARKER_IFACE every 0.1 s until one is in PCAP; false after SECONDS (or when the capture died).
_capture_marker_seen() {
  local ns=$1 marker_iface=$2 pcap=$3 seconds=$4
  local marker="tandem-capture-marker-$TAG-$RANDOM$RANDOM"
  local deadline=$(($(date +%s%N) + seconds * TEST_WAIT_SCALE * 1000000000))
  while :; do
    kill -0 "$CAPTURE_PID" 2>/dev/null || return 1
    ip netns exec "$ns" bash -c \
      "printf '%s' '$marker' >/dev/udp/$CAPTURE_MARKER_ADDRESS/$CAPTURE_MARKER_PORT" 2>/dev/null || true
    [ -s "$pcap" ] && grep -aqF "$marker" "$pcap" && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# capture_start NS IFACE CAPTURE_FILTER PCAP_FILE [MARKER_IFACE]: tshark on IFACE in NS writing
# PCAP_FILE, returning once the capture is live (at most CAPTURE_READY_TIMEOUT seconds, default 30;
# dies naming the cause otherwise). MARKER_IFACE (default IFACE) is where markers are sent: only a
# test of this helper points them elsewhere. Sets CAPTURE_PID; one capture at a time.
capture_start() {
  local ns=$1 iface=$2 filter=$3 pcap=$4 marker_iface=${5:-$2}
  local timeout=${CAPTURE_READY_TIMEOUT:-30}
  local log="$pcap.tshark.log"
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
  CAPTURE_NS=$ns CAPTURE_MARKER_IFACE=$marker_iface CAPTURE_FILE=$pcap
  if _capture_marker_seen "$ns" "$marker_iface" "$pcap" "$timeout"; then
    note "capture on $iface in $ns is live (marker seen in $(basename "$pcap"))"
    return 0
  fi
  if ! kill -0 "$CAPTURE_PID" 2>/dev/null; then
    cat "$log" >&2
    die "capture on $iface in $ns: tshark exited before the capture was live"
  fi
  kill "$CAPTURE_PID" 2>/dev/null || true
  wait "$CAPTURE_PID" 2>/dev/null || true
  cat "$log" >&2
  die "capture on $iface in $ns never became live: no marker datagram sent through" \
    "$marker_iface reached $(basename "$pcap") within $((timeout * TEST_WAIT_SCALE)) s"
}

# capture_sync: a fresh marker reaches the file, so every packet captured before it is there too
# (the capture writes in order). Dies when it does not within 30 s.
capture_sync() {
  _capture_marker_seen "$CAPTURE_NS" "$CAPTURE_MARKER_IFACE" "$CAPTURE_FILE" 30 ||
    die "capture in $CAPTURE_NS: a marker sent now did not reach $(basename "$CAPTURE_FILE") within 30 s"
}

# capture_stop: ends the capture after capture_sync, so its file is complete. A capture that
# has already ended (tshark died) is left as it is; the checks on its file then fail on their own.
capture_stop() {
  kill -0 "$CAPTURE_PID" 2>/dev/null || { wait "$CAPTURE_PID" 2>/dev/null || true; return 0; }
  capture_sync
  kill -INT "$CAPTURE_PID" 2>/dev/null || true
  wait_exit "$CAPTURE_PID" 30 "tshark"
}
