#!/bin/bash
# Benchmark (not a test): ESP throughput through Tandem and through strongSwan's charon with its
# userspace ESP (kernel-libipsec), on the same two-namespace site-to-site setup, one after the
# other in the same run, for AES-GCM-16-256 (IKEv2) and AES-CBC-256 with HMAC-SHA1-96 (IKEv1).
# For each: iperf3 TCP throughput (1 and 4 streams), ping RTT through the tunnel, and CPU seconds
# both daemons used per GB moved. Prints a table with the Tandem / charon ratio.
#   bench/esp_throughput.sh [SECONDS]     (default 10 s per iperf3 run)
SECONDS_PER_RUN=${1:-10}
source "$(dirname "$0")/lib.sh"
source tests/interop/strongswan_lib.sh
# The reference as its users run it: charon's out-of-the-box log levels, not the tests' detail.
STRONGSWAN_DEFAULT_LOGGING=1
PSK="benchmark pre-shared key, long enough"

# tandem_side NS IF VERSION LOCAL REMOTE LOCAL_NET REMOTE_NET INNER START ESP -> PID in LAST_PID
tandem_side() {
  local esp=""
  [ "$3" = 1 ] && esp="esp_proposals = [\"${10}\"]"
  cat >"$TMPDIR_TEST/$2.toml" <<TOML
[ipsec]
interface = "$2"
ike_version = $3
local_address = "$4"
addresses = ["$8"]

[[ipsec.connection]]
name = "other"
remote_address = "$5"
psk = "$PSK"
local_subnets = ["$6"]
remote_subnets = ["$7"]
start = $9
$esp
TOML
  ip netns exec "$1" "$TANDEM_BIN" up -c "$TMPDIR_TEST/$2.toml" >"$TMPDIR_TEST/$2.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
  for _ in $(seq 50); do [ -S "/var/run/tandem/$2.ipsec" ] && break; sleep 0.1; done
  SOCKETS+=("/var/run/tandem/$2.ipsec")
}

# charon_side NS NAME VERSION LOCAL REMOTE LOCAL_NET REMOTE_NET ESP -> PID in LAST_PID
charon_side() {
  cat >"$TMPDIR_TEST/$2.conf" <<CONF
connections {
  c {
    version = $3
    local_addrs = $4
    remote_addrs = $5
    encap = yes
    proposals = aes256-sha256-modp2048
    local { auth = psk
      id = $4 }
    remote { auth = psk
      id = $5 }
    children { net { mode = tunnel
      local_ts = $6
      remote_ts = $7
      esp_proposals = $8 } }
  }
}
secrets { ike { id-a = $4
  id-b = $5
  secret = "$PSK" } }
CONF
  strongswan_start "$1" "$2" >/dev/null
  strongswan_load "$2" "$TMPDIR_TEST/$2.conf" >/dev/null
  LAST_PID=${STRONGSWAN_PID[$2]}
}

measure() {  # IMPL SUITE
  local impl=$1 suite=$2 version esp
  if [ "$suite" = gcm ]; then version=2; esp=aes256gcm16; else version=1; esp=aes256-sha1; fi
  local nl="el$TAG${impl:0:1}${suite:0:1}" nr="er$TAG${impl:0:1}${suite:0:1}"
  make_ns "$nl"; make_ns "$nr"
  local idx=$((RANDOM % 100 + 100))
  link_ns "$nl" "$nr" "$idx"
  local a="192.168.$idx.1" b="192.168.$idx.2" pl pr
  if [ "$impl" = tandem ]; then
    tandem_side "$nr" "er$TAG${suite:0:1}" "$version" "$b" "$a" 10.191.2.0/24 10.191.1.0/24 \
      10.191.2.1/24 false "$esp"; pr=$LAST_PID
    tandem_side "$nl" "el$TAG${suite:0:1}" "$version" "$a" "$b" 10.191.1.0/24 10.191.2.0/24 \
      10.191.1.1/24 true "$esp"; pl=$LAST_PID
  else
    ip -n "$nl" addr add 10.191.1.1/32 dev lo
    ip -n "$nr" addr add 10.191.2.1/32 dev lo
    charon_side "$nr" "r$suite" "$version" "$b" "$a" 10.191.2.0/24 10.191.1.0/24 "$esp"; pr=$LAST_PID
    charon_side "$nl" "l$suite" "$version" "$a" "$b" 10.191.1.0/24 10.191.2.0/24 "$esp"; pl=$LAST_PID
    strongswan_initiate "l$suite" net >/dev/null
  fi
  for _ in $(seq 100); do
    ip netns exec "$nl" ping -c 1 -W 1 -I 10.191.1.1 10.191.2.1 >/dev/null 2>&1 && break
    sleep 0.1
  done
  ip netns exec "$nl" ping -c 2 -W 2 -I 10.191.1.1 10.191.2.1 >/dev/null || die "$impl $suite: no tunnel"
  ip netns exec "$nr" iperf3 -s -D -B 10.191.2.1 -I "$TMPDIR_TEST/iperf-$impl$suite.pid" >/dev/null
  sleep 0.5
  PIDS+=("$(cat "$TMPDIR_TEST/iperf-$impl$suite.pid")")
  local results=()
  for streams in 1 4; do
    local row mbits cpu_s_per_gb
    row=$(iperf_cpu "$pl $pr" "$nl" -c 10.191.2.1 -B 10.191.1.1 -P "$streams")
    read -r mbits cpu_s_per_gb _ <<<"$row"
    results+=("$mbits" "$cpu_s_per_gb")
  done
  local rtt
  rtt=$(ip netns exec "$nl" ping -c 50 -i 0.01 -q -I 10.191.1.1 10.191.2.1 | awk -F/ '/rtt/ {print $5}')
  echo "${results[*]} $rtt"
}

echo "machine: $(nproc) cores, $(uname -r); charon $(/usr/lib/ipsec/charon --version 2>/dev/null | head -1 || true)"
for suite in gcm cbc; do
  name=$([ "$suite" = gcm ] && echo "AES-GCM-16-256, IKEv2" || echo "AES-CBC-256/HMAC-SHA1-96, IKEv1")
  echo "measuring $name: tandem..."
  # Not in $( ): a subshell's PIDS and NAMESPACES would escape the cleanup on exit.
  measure tandem "$suite" >"$TMPDIR_TEST/row"
  read -r t1 tc1 t4 tc4 trtt <"$TMPDIR_TEST/row"
  echo "measuring $name: charon (kernel-libipsec)..."
  measure strongswan "$suite" >"$TMPDIR_TEST/row"
  read -r s1 sc1 s4 sc4 srtt <"$TMPDIR_TEST/row"
  printf '\n%s\n%-28s %14s %14s %8s\n' "$name" "" "tandem" "charon" "ratio"
  printf '%-28s %14s %14s %8s\n' "TCP 1 stream (Mbit/s)" "$t1" "$s1" "$(ratio "$t1" "$s1")"
  printf '%-28s %14s %14s %8s\n' "TCP 4 streams (Mbit/s)" "$t4" "$s4" "$(ratio "$t4" "$s4")"
  printf '%-28s %14s %14s %8s\n' "CPU s/GB, 1 stream" "$tc1" "$sc1" "$(ratio "$tc1" "$sc1")"
  printf '%-28s %14s %14s %8s\n' "CPU s/GB, 4 streams" "$tc4" "$sc4" "$(ratio "$tc4" "$sc4")"
  printf '%-28s %14s %14s %8s\n\n' "ping RTT avg (ms)" "$trtt" "$srtt" "$(ratio "$trtt" "$srtt")"
done
