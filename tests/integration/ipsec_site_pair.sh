#!/bin/bash
# Two Tandem gateways joined by a site-to-site IPsec tunnel (`[ipsec]`), each `tandem up` in its
# own network namespace: 10.86.1.0/24 behind the left one, 10.86.2.0/24 behind the right one,
# ESP in tunnel mode (in UDP 4500) between them.
#
#   ipsec_site_pair.sh 2|1   IKE version: the left gateway dials, the right one waits; pings
#                            both ways and iperf3 through the tunnel; both status views show the
#                            IKE SA and the tunnel-mode ESP SA with the subnets; a host outside the
#                            negotiated subnets gets nothing through; stopping the left gateway
#                            deletes the SAs at the right one; the left gateway read the iperf3
#                            stream from its device as TCP super-packets (TUN offloads), or, with
#                            TANDEM_OFFLOADS=off in the environment, one packet at a time
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
VERSION=${1:?IKE version}
PSK="site-to-site pre-shared key"

L="l$TAG"
R="r$TAG"
make_ns "$L"
make_ns "$R"
link_ns "$L" "$R" 86
L_IF="sl$TAG"
R_IF="sr$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$L_IF.ipsec" "$STATUS_DIR/$R_IF.ipsec")

# write_config FILE IF LOCAL REMOTE LOCAL_NET REMOTE_NET INNER START
write_config() {
  cat >"$1" <<TOML
[ipsec]
interface = "$2"
ike_version = $VERSION
local_address = "$3"
addresses = ["$7"]

[[ipsec.connection]]
name = "other-site"
remote_address = "$4"
psk = "$PSK"
local_subnets = ["$5"]
remote_subnets = ["$6"]
start = $8
TOML
}
write_config "$TMPDIR_TEST/l.toml" "$L_IF" 192.168.86.1 192.168.86.2 10.86.1.0/24 10.86.2.0/24 \
  10.86.1.1/24 true
write_config "$TMPDIR_TEST/r.toml" "$R_IF" 192.168.86.2 192.168.86.1 10.86.2.0/24 10.86.1.0/24 \
  10.86.2.1/24 false

start_node() {  # NS NAME CONFIG -> sets LAST_PID
  ip netns exec "$1" "$TANDEM_BIN" up -c "$3" >>"$TMPDIR_TEST/$2.log" 2>&1 &
  LAST_PID=$!
  PIDS+=($LAST_PID)
}
logs() { tail -20 "$TMPDIR_TEST/l.log" >&2; tail -20 "$TMPDIR_TEST/r.log" >&2; }
ON_FAILURE=logs

start_node "$R" r "$TMPDIR_TEST/r.toml"
R_PID=$LAST_PID
# The admin socket is served after IKE's UDP sockets are bound: the left gateway's first
# message cannot arrive before the right one listens.
R_ADMIN=$(admin_socket "$TMPDIR_TEST/r.toml")
WAIT_WATCH_PID=$R_PID WAIT_WATCH_LOG="$TMPDIR_TEST/r.log" \
  wait_until "the right gateway serving $R_ADMIN" 30 test -S "$R_ADMIN"
start_node "$L" l "$TMPDIR_TEST/l.toml"
L_PID=$LAST_PID
WAIT_WATCH_PID=$L_PID wait_log "$TMPDIR_TEST/l.log" "ESP SA .* up" 60
note "$(grep -m1 "ESP SA .* up" "$TMPDIR_TEST/l.log" | sed 's/.*IPsec: //')"

ping_ok "$L" 10.86.2.1
ping_ok "$R" 10.86.1.1
iperf_ok "$R" "$L" 10.86.2.1 3

for side in "$L:$L_IF" "$R:$R_IF"; do
  ip netns exec "${side%%:*}" "$TANDEM_BIN" status "${side#*:}" --json >"$TMPDIR_TEST/status.json"
  python3 - "$TMPDIR_TEST/status.json" "$VERSION" "${side#*:}" "${TANDEM_OFFLOADS:-}" "$L_IF" <<'PY' || die "status of ${side#*:} does not show the SAs"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
# The left gateway sent the iperf3 stream: with TUN offloads (the default) it read TCP
# super-packets from its device and cut them up; with TANDEM_OFFLOADS=off, one packet at a time.
device = doc["device"]
if sys.argv[4] == "off":
    assert not device["offloads"] and device["super_packets"] == 0, device
elif sys.argv[3] == sys.argv[5]:
    assert device["offloads"] and device["super_packets"] > 0, device
assert device["malformed_super_packets"] == 0, device
print("---", doc["interface"], "device", device)
ipsec = doc["ipsec"]
assert doc["kind"] == "ipsec" and ipsec["ike_version"] == int(sys.argv[2]), doc
assert [s for s in ipsec["ike_sas"] if s["established"]], ipsec["ike_sas"]
child = [c for c in ipsec["child_sas"] if c["carries_outbound"]]
assert len(child) == 1, ipsec["child_sas"]
c = child[0]
assert c["mode"] == "tunnel" and c["udp_encapsulated"], c
assert {c["local"], c["remote"]} == {"10.86.1.0-10.86.1.255", "10.86.2.0-10.86.2.255"}, c
assert c["packets_in"] > 100 and c["packets_out"] > 100 and c["authentication_failed"] == 0, c
print("---", doc["interface"], "ESP", c["suite"], c["local"], "<->", c["remote"],
      "in", c["packets_in"], "out", c["packets_out"])
PY
done
ip netns exec "$L" "$TANDEM_BIN" status "$L_IF"

# A source outside 10.86.1.0/24 has no SA: nothing of it reaches the other side.
ip -n "$L" addr add 10.99.0.1/32 dev lo
if ip netns exec "$L" ping -c 2 -i 0.2 -W 1 -I 10.99.0.1 10.86.2.1 >/dev/null 2>&1; then
  die "traffic outside the negotiated subnets went through"
fi
no_sa() {
  ip netns exec "$L" "$TANDEM_BIN" status "$L_IF" --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ipsec"]["counters"]["no_sa"])' || true
}
no_sa_at_least() { [ "$(no_sa)" -ge "$1" ]; }
# ping has given up on both; the daemon counts each packet once it has read it from its device.
wait_until "the left gateway counting both packets outside the selectors (no_sa >= 2)" 30 \
  no_sa_at_least 2
note "outside the selectors: not sent, $(no_sa) packets counted without an SA"

stop_pid "$L_PID" 30 "the left gateway"
# The left gateway's IKE delete removes the SA. The right one's liveness checks (a 30 s interval,
# then unanswered retransmissions) would take far longer, so this bound cannot pass without it.
wait_log "$TMPDIR_TEST/r.log" "ESP SA .* removed" 20
note "the right gateway removed the SA when the left one stopped"
stop_pid "$R_PID" 30 "the right gateway"
echo "PASS: ipsec site-to-site IKEv$VERSION"
