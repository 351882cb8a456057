#!/bin/bash
# Tandem's L2TP client (LAC) dials SoftEther VPN Server's raw L2TP (no IPsec) in another network
# namespace, authenticates with MS-CHAPv2 (SoftEther first asks for EAP, Tandem Naks towards
# MS-CHAPv2, and SoftEther's success message carries the S= response Tandem checks), takes the
# address SecureNAT hands out through IPCP, and pings SecureNAT's virtual host through the session.
# SoftEther's own session list must show the login. Then Tandem hangs up with CDN and StopCCN,
# and SoftEther must still be serving UDP 1701 afterwards.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/softether_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v tshark >/dev/null || die "tshark is not installed (scripts/install-deps.sh installs it)"

SV="s$TAG"
CL="c$TAG"
make_ns "$SV"
make_ns "$CL"
link_ns "$SV" "$CL" 72
HUB=TESTHUB
USER_NAME=alice
PASSWORD="S3cret-$RANDOM-pw"
softether_start "$SV" 192.168.72.1 "$HUB" "$USER_NAME" "$PASSWORD"
NET=$(echo "$SOFTETHER_GATEWAY" | cut -d. -f1-3).0/24

CL_IF="ls$TAG"
SOCKETS+=("/var/run/tandem/$CL_IF.l2tp")
cat >"$TMPDIR_TEST/cl.toml" <<TOML
[l2tp]
mode = "lac"
allow_unencrypted = true
interface = "$CL_IF"
server = "192.168.72.1:1701"
auth = ["mschapv2"]
routes = ["$NET"]
redial = false

[[l2tp.session]]
user = "$USER_NAME@$HUB"
password = "$PASSWORD"
TOML

# tshark on the client's veth: an independent view of both sides of the conversation.
capture_start "$CL" "vb${TAG}72" "udp port 1701" "$TMPDIR_TEST/softether.pcapng"

ip netns exec "$CL" "$TANDEM_BIN" up -c "$TMPDIR_TEST/cl.toml" >"$TMPDIR_TEST/cl.log" 2>&1 &
CL_PID=$!
PIDS+=($CL_PID)

# The address IPCP gave, once the session is up (Tandem logs the session, then adds the address).
client_address() {
  ADDR=$(ip -n "$CL" -4 -o addr show dev "$CL_IF" 2>/dev/null | awk '{print $4}' | cut -d/ -f1 | head -1 || true)
  [ -n "$ADDR" ]
}
# In a subshell, so that SoftEther's state can be added to the report before the test dies.
if ! (WAIT_WATCH_PID=$CL_PID WAIT_WATCH_LOG="$TMPDIR_TEST/cl.log" \
    wait_until "an address on $CL_IF from SoftEther (session up, IPCP done)" 45 client_address); then
  softether_l2tp_wedged && echo "--- SoftEther's UDP 1701 socket is not being read" >&2
  die "no address from SoftEther"
fi
client_address || die "the address on $CL_IF went away"
note "SoftEther (via IPCP) gave $ADDR; its pool is $SOFTETHER_POOL_FIRST-$SOFTETHER_POOL_LAST"
python3 - "$ADDR" "$SOFTETHER_POOL_FIRST" "$SOFTETHER_POOL_LAST" <<'PY' || die "$ADDR is outside SoftEther's pool"
import ipaddress, sys
a, lo, hi = (ipaddress.ip_address(x) for x in sys.argv[1:])
assert lo <= a <= hi
PY
grep -q "session .* up: user '$USER_NAME@$HUB'" "$TMPDIR_TEST/cl.log" ||
  { cat "$TMPDIR_TEST/cl.log" >&2; die "client did not log the session"; }
grep -E "session [0-9]+/[0-9]+ up:" "$TMPDIR_TEST/cl.log" | sed 's/^/--- tandem: /'

ping_ok "$CL" "$SOFTETHER_GATEWAY"

sessions=$(softether_vpncmd "/HUB:$HUB" /CMD SessionList)
grep -q "L2TP" <<<"$sessions" || { echo "$sessions" >&2; die "SoftEther does not list an L2TP session"; }
note "SoftEther lists the session: $(grep -m1 -i "l2tp" <<<"$sessions" | tr -s ' ')"

# Tandem hangs up (CDN, StopCCN) within its 3 s grace and exits; 10 s leave room for a busy host.
stop_pid "$CL_PID" 10 "tandem"
grep -q "tunnel .* down" "$TMPDIR_TEST/cl.log" || die "client did not close its tunnel"
# SoftEther has processed the hang-up once the session is gone; then it must still read UDP 1701.
wait_until "SoftEther ending the L2TP session of $USER_NAME after the hang-up" 30 \
  softether_l2tp_session_ended "$HUB" "$USER_NAME"
if softether_l2tp_wedged; then die "SoftEther stopped reading UDP 1701 after the hang-up"; fi

# What tshark saw: SoftEther's replies decoded, MS-CHAPv2 and IPCP completed, our StopCCN sent.
# (Tandem has exited, so its StopCCN was sent; capture_stop syncs the file before ending tshark.)
capture_stop
tshark -r "$TMPDIR_TEST/softether.pcapng" -Y "l2tp.avp.message_type == 4" -T fields -e ip.src \
  >"$TMPDIR_TEST/stopccn.txt" 2>/dev/null || true
grep -q "192.168.72.2" "$TMPDIR_TEST/stopccn.txt" || die "tshark saw no StopCCN from Tandem"
tshark -r "$TMPDIR_TEST/softether.pcapng" -Y "chap.code == 3" -T fields -e ip.src \
  >"$TMPDIR_TEST/chap-success.txt" 2>/dev/null || true
grep -q "192.168.72.1" "$TMPDIR_TEST/chap-success.txt" || die "tshark saw no CHAP Success from SoftEther"
# An MS-CHAPv2 Response value is 49 bytes (peer challenge, reserved, NT-Response, flags).
tshark -r "$TMPDIR_TEST/softether.pcapng" -Y "chap.code == 2 && chap.value_size == 49" -T fields \
  -e ip.src >"$TMPDIR_TEST/chap-response.txt" 2>/dev/null || true
grep -q "192.168.72.2" "$TMPDIR_TEST/chap-response.txt" || die "tshark saw no MS-CHAPv2 Response from Tandem"
note "tshark: Tandem's MS-CHAPv2 Response, SoftEther's Success and Tandem's StopCCN are on the wire"
# Everything Tandem put on the wire decodes cleanly (SoftEther's own replies are not judged).
tshark -r "$TMPDIR_TEST/softether.pcapng" -Y "ip.src == 192.168.72.2 && $CAPTURE_NOT_MARKER" -V \
  >"$TMPDIR_TEST/ours.txt" 2>/dev/null || true
ours=$(grep -c "^Frame " "$TMPDIR_TEST/ours.txt" || true)
[ "${ours:-0}" -gt 5 ] || die "tshark decoded only ${ours:-0} of Tandem's packets"
if grep -Eiq "malformed|\[Expert Info \(Error" "$TMPDIR_TEST/ours.txt"; then
  grep -Ei -B8 "malformed|Expert Info \(Error" "$TMPDIR_TEST/ours.txt" | head -40 >&2
  die "tshark reports malformed packets or expert errors in Tandem's traffic"
fi
note "tshark: $ours packets from Tandem, none malformed"
softether_stop
echo "PASS: Tandem LAC <-> SoftEther raw L2TP, MS-CHAPv2, IPCP $ADDR, ping $SOFTETHER_GATEWAY"
