#!/bin/bash
# Tandem's L2TP/IPsec client (`tandem up`, mode = "lac" with [l2tp.ipsec]) dials SoftEther VPN
# Server's L2TP/IPsec in another network namespace: IKEv1 Main Mode with a pre-shared key, Quick
# Mode for an ESP transport-mode SA protecting UDP 1701, carried in UDP 4500 (Tandem always
# announces a NAT: ESP in UDP is its userspace data path), then L2TP, PPP with MS-CHAPv2 and IPCP
# inside ESP. Through the session it pings SecureNAT's virtual host and runs iperf3 both ways.
#
# iperf3 needs a real host behind the Virtual Hub: SecureNAT's virtual host answers ping but runs
# no iperf3 server. So a third namespace joins the hub through SoftEther's Local Bridge
# (softether_bridge_host), with a static address in SecureNAT's subnet, and runs the iperf3 server.
#
# Also checked: Tandem's status view shows the ESP SA (transport mode, UDP-encapsulated, carrying
# packets both ways), SoftEther's session list shows the L2TP/IPsec login, tshark decodes the
# ISAKMP exchange (six Main Mode and three Quick Mode messages) without malformed packets, and
# Tandem hangs up cleanly, leaving SoftEther serving. One tunnel at a time (see softether_lib.sh).
#
#   softether_ikev1_esp.sh [default|3des]   3des: Tandem offers only 3DES-CBC/HMAC-SHA1 in phase
#                                           2 (allow_3des), as an old client would
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/softether_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"
command -v iperf3 >/dev/null || die "iperf3 is not installed (scripts/install-deps.sh installs it)"

# ESP: SoftEther picks from Tandem's default offer (AES-CBC-256 with HMAC-SHA1 here), or with
# "3des" Tandem offers only 3DES-CBC with HMAC-SHA1, as an old client would (allow_3des).
ESP_MODE=${1:-default}
if [ "$ESP_MODE" = 3des ]; then
  ESP_SETTINGS=$'esp_proposals = ["3des-sha1"]\nallow_3des = true'
  EXPECT_ESP=3DES_CBC/HMAC_SHA1_96
else
  ESP_SETTINGS=""
  EXPECT_ESP=
fi

SV="s$TAG"
CL="c$TAG"
LAN="h$TAG"
make_ns "$SV"
make_ns "$CL"
make_ns "$LAN"
link_ns "$SV" "$CL" 73
HUB=TESTHUB
USER_NAME=alice
PASSWORD="S3cret-$RANDOM-pw"
export SOFTETHER_L2TP_IPSEC=yes
export SOFTETHER_PSK="psk-$RANDOM-$RANDOM-$RANDOM"
softether_start "$SV" 192.168.73.1 "$HUB" "$USER_NAME" "$PASSWORD"
# The iperf3 host on the Virtual Hub, through a Local Bridge.
softether_bridge_host "$HUB" "$LAN"
HOST=$SOFTETHER_HOST
NET=$SOFTETHER_NET

CL_IF="lx$TAG"
SOCKETS+=("/var/run/tandem/$CL_IF.l2tp")
cat >"$TMPDIR_TEST/cl.toml" <<TOML
[l2tp]
mode = "lac"
interface = "$CL_IF"
host_name = "client"
server = "192.168.73.1"
routes = ["$NET"]
redial = false

[[l2tp.session]]
user = "$USER_NAME@$HUB"
password = "$PASSWORD"

[l2tp.ipsec]
psk = "$SOFTETHER_PSK"
$ESP_SETTINGS
TOML

# tshark on the client's veth: IKE on 500 and 4500 (non-ESP marker), not the ESP traffic.
capture_start "$CL" "vb${TAG}73" "udp port 500 or (udp port 4500 and udp[8:4] = 0)" \
  "$TMPDIR_TEST/ike.pcapng"

T0=$(date +%s%N)
ip netns exec "$CL" "$TANDEM_BIN" up -c "$TMPDIR_TEST/cl.toml" >"$TMPDIR_TEST/cl.log" 2>&1 &
CL_PID=$!
PIDS+=($CL_PID)

status() { ip netns exec "$CL" "$TANDEM_BIN" status "$CL_IF" --json; }

# ping_all NS ADDRESS SIZE: 20 pings, every one answered.
ping_all() {
  local log="$TMPDIR_TEST/ping.log" got
  ip netns exec "$1" ping -c 20 -i 0.05 -s "$3" -W 2 "$2" >"$log" 2>&1 || true
  got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$log")
  note "ping -s $3 $2 from $1: ${got:-0} of 20 answered"
  [ "${got:-0}" = 20 ] || { cat "$log" >&2; failed "ping $2 from $1 lost replies"; }
}
failed() {
  cat "$TMPDIR_TEST/cl.log" >&2
  tail -20 "$SOFTETHER_LOG" >&2
  die "$@"
}

# The address IPCP gave, once the session is up (Tandem logs the IKE SA, the ESP SA and the
# session, then adds the address).
client_address() {
  ADDR=$(ip -n "$CL" -4 -o addr show dev "$CL_IF" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1 || true)
  [ -n "$ADDR" ]
}
# In a subshell, so that both logs can be shown before the test dies.
(WAIT_WATCH_PID=$CL_PID WAIT_WATCH_LOG="$TMPDIR_TEST/cl.log" \
  wait_until "an address on $CL_IF from SoftEther (IKE, ESP, session up, IPCP done)" 60 \
  client_address) || failed "no address from SoftEther"
client_address || failed "the address on $CL_IF went away"
note "session up in $((($(date +%s%N) - T0) / 1000000)) ms; SoftEther (via IPCP) gave $ADDR," \
  "its pool is $SOFTETHER_POOL_FIRST-$SOFTETHER_POOL_LAST"
python3 - "$ADDR" "$SOFTETHER_POOL_FIRST" "$SOFTETHER_POOL_LAST" <<'PY' || die "$ADDR is outside SoftEther's pool"
import ipaddress, sys
a, lo, hi = (ipaddress.ip_address(x) for x in sys.argv[1:])
assert lo <= a <= hi
PY
grep -q "IKE: IKEv1 SA with server (192.168.73.1:4500) established as initiator: .*UDP-encapsulated" \
  "$TMPDIR_TEST/cl.log" || failed "Tandem did not log an IKE SA floated to UDP 4500"
grep -Eq "IPsec: ESP SA in [0-9a-f]{8} out [0-9a-f]{8} with 192.168.73.1:4500 up \(.*, transport mode," \
  "$TMPDIR_TEST/cl.log" || failed "Tandem did not log a transport-mode ESP SA in UDP 4500"
grep -q "session .* up: user '$USER_NAME@$HUB'" "$TMPDIR_TEST/cl.log" ||
  failed "Tandem did not log the session"
grep -E "IKE: IKEv1 SA|IPsec: ESP SA|session .* up" "$TMPDIR_TEST/cl.log" | sed 's/^/--- tandem: /'

ping_all "$CL" "$SOFTETHER_GATEWAY" 56
ping_all "$CL" "$HOST" 56
ping_all "$LAN" "$ADDR" 56
# Full-sized packets both ways: PPP, L2TP, ESP and UDP overhead fit the 1400-byte TUN MTU.
ping_all "$CL" "$HOST" 1300
ping_all "$LAN" "$ADDR" 1300

iperf_ok "$LAN" "$CL" "$HOST" 3
# The reverse run has a server of its own on port 5202: iperf_ok's one-shot server on 5201 may
# not have closed its listener yet.
ip netns exec "$LAN" iperf3 -s -1 -p 5202 -B "$HOST" >"$TMPDIR_TEST/iperf-server-r.log" 2>&1 &
PIDS+=($!)
WAIT_WATCH_PID=${PIDS[-1]} WAIT_WATCH_LOG="$TMPDIR_TEST/iperf-server-r.log" \
  wait_listen "$LAN" tcp 5202 30 "the iperf3 -R server"
ip netns exec "$CL" iperf3 -c "$HOST" -p 5202 -t 3 -R -J >"$TMPDIR_TEST/iperf-r.json" 2>&1 ||
  { cat "$TMPDIR_TEST/iperf-r.json" >&2; failed "iperf3 -R from $HOST failed"; }
bps=$(python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$TMPDIR_TEST/iperf-r.json")
note "iperf3 TCP from $HOST (-R): $((bps / 1000000)) Mbit/s"
[ "$bps" -gt 1000000 ] || die "iperf3 -R moved (almost) no data"

# Tandem's view of the SAs.
status >"$TMPDIR_TEST/status.json" || failed "tandem status failed"
python3 - "$TMPDIR_TEST/status.json" "$EXPECT_ESP" <<'PY' || failed "the status view does not show the ESP SA"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
ipsec = doc["ipsec"]
assert doc["role"] == "lac", doc["role"]
assert ipsec["ike_version"] == 1
ike = [s for s in ipsec["ike_sas"] if s["established"]]
assert len(ike) == 1 and ike[0]["initiator"], ipsec["ike_sas"]
assert ike[0]["remote"] == "192.168.73.1:4500", ike[0]
child = [c for c in ipsec["child_sas"] if c["carries_outbound"]]
assert len(child) == 1, ipsec["child_sas"]
c = child[0]
assert c["mode"] == "transport" and c["udp_encapsulated"], c
assert c["peer"] == "192.168.73.1:4500", c
assert c["local"] == "192.168.73.2[17/1701]" and c["remote"] == "192.168.73.1[17/1701]", c
assert c["packets_in"] > 1000 and c["packets_out"] > 1000, c
assert c["authentication_failed"] == 0 and c["replayed"] == 0, c
assert not sys.argv[2] or c["suite"] == sys.argv[2], c
sessions = [s for s in doc["sessions"] if s["up"]]
assert len(sessions) == 1, doc["sessions"]
print("--- status: IKE", ike[0]["suite"], "| ESP", c["suite"], c["mode"], "in UDP", c["spi_in"],
      c["spi_out"], c["local"], "<->", c["remote"], "| packets in", c["packets_in"], "out",
      c["packets_out"])
PY

# SoftEther's view: an L2TP session of the user, from the client's address.
sessions=$(softether_vpncmd "/HUB:$HUB" /CMD SessionList)
line=$(grep -A4 -E "^Session Name +\|SID-${USER_NAME^^}-\[L2TP\]" <<<"$sessions" | tr -s ' ' | tr '\n' ' ' || true)
[[ $line == *"User Name |$USER_NAME"* && $line == *"192.168.73.2"* ]] ||
  { echo "$sessions" >&2; die "SoftEther does not list the L2TP/IPsec session"; }
note "SoftEther lists: $line"

# Hang-up: CDN and StopCCN inside ESP, then IKE deletes the SAs; SoftEther keeps serving.
# Tandem hangs up within its 3 s grace and exits; 10 s leave room for a busy host.
stop_pid "$CL_PID" 10 "tandem"
grep -q "tunnel .* down" "$TMPDIR_TEST/cl.log" || die "Tandem did not close its tunnel"
# SoftEther has processed the hang-up once the session is gone; then it must still be serving.
wait_until "SoftEther ending the L2TP/IPsec session of $USER_NAME after the hang-up" 30 \
  softether_l2tp_session_ended "$HUB" "$USER_NAME"
kill -0 "$SOFTETHER_PID" || die "SoftEther exited"
if softether_l2tp_wedged; then die "SoftEther stopped reading UDP 1701 after the hang-up"; fi

# tshark's view: six Main Mode and three Quick Mode messages, nothing malformed.
capture_stop
decoded=$(tshark -r "$TMPDIR_TEST/ike.pcapng" -Y isakmp -T fields -e isakmp.exchangetype 2>/dev/null || true)
mm=$(grep -c '^2$' <<<"$decoded" || true)
qm=$(grep -c '^32$' <<<"$decoded" || true)
info=$(grep -c '^5$' <<<"$decoded" || true)
note "tshark: $mm Main Mode, $qm Quick Mode and $info Informational messages"
[ "$mm" -ge 6 ] && [ "$qm" -ge 3 ] || die "tshark did not see the whole exchange"
malformed=$(tshark -r "$TMPDIR_TEST/ike.pcapng" -Y "_ws.malformed" 2>/dev/null | wc -l || true)
[ "$malformed" = 0 ] || die "tshark found $malformed malformed packets"
softether_stop
echo "PASS: Tandem L2TP/IPsec LAC <-> SoftEther: IKEv1 PSK, ESP transport in UDP, MS-CHAPv2," \
  "IPCP $ADDR, ping $SOFTETHER_GATEWAY and $HOST, iperf3 both ways"
