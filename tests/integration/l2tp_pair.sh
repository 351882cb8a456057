#!/bin/bash
# Tandem's L2TP client (LAC) dials Tandem's L2TP gateway (LNS), each run with `tandem up` in its
# own network namespace over a veth pair, plain L2TP on UDP 1701.
#
#   l2tp_pair.sh auth pap|chap-md5|mschapv2   one session: ping both ways, iperf3, status, hang-up
#                                             seen by the gateway, re-dial with the same address
#   l2tp_pair.sh many                         200 sessions on one tunnel, each pinging from its
#                                             own address
#   l2tp_pair.sh loss                         10 % random loss and the sessions still carry TCP
#   l2tp_pair.sh restart                      the gateway is killed and restarted; the client
#                                             notices and dials again
#   l2tp_pair.sh lac-crash                    the client is killed and started again; the
#                                             gateway finds and removes the dead tunnel
#   l2tp_pair.sh refused                      a wrong password: no address, a logged refusal
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario}
METHOD=${2:-mschapv2}

GW="g$TAG"
CL="c$TAG"
make_ns "$GW"
make_ns "$CL"
link_ns "$GW" "$CL" 71
GW_IF="lg$TAG"
CL_IF="lc$TAG"
STATUS_DIR=/var/run/tandem

write_gateway_config() {
  # With MS-CHAPv2 the gateway is also a WireGuard node: one process serving both protocols.
  if [ "$SCENARIO" = auth ] && [ "$METHOD" = mschapv2 ]; then
    printf '[interface]\nname = "w%s"\nprivate_key = "%s"\naddresses = ["10.72.0.1/24"]\n\n' \
      "$TAG" "$("$TANDEM_BIN" genkey)" >"$TMPDIR_TEST/gw.toml"
    SOCKETS+=("/var/run/wireguard/w$TAG.sock")
  else
    : >"$TMPDIR_TEST/gw.toml"
  fi
  cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "$GW_IF"
host_name = "gateway"
auth = ["$METHOD"]
address = "10.71.0.1/24"
pool = "10.71.0.10-10.71.0.250"
dns = ["10.71.0.1"]

[[l2tp.user]]
name = "alice"
password = "correct horse"

TOML
  # CHAP-MD5 needs clear passwords; the other methods also work from an NT hash alone.
  if [ "$METHOD" = chap-md5 ]; then
    printf '\n[[l2tp.user]]\nname = "bob"\npassword = "battery staple"\n' >>"$TMPDIR_TEST/gw.toml"
  else
    printf '\n[[l2tp.user]]\nname = "bob"\nnt_hash = "%s"\n' "$(printf 'battery staple' |
      iconv -t UTF-16LE | openssl dgst -md4 -provider default -provider legacy | awk '{print $NF}')" \
      >>"$TMPDIR_TEST/gw.toml"
  fi
}

# write_client_config PASSWORD SESSIONS
write_client_config() {
  {
    cat <<TOML
[l2tp]
mode = "lac"
allow_unencrypted = true
interface = "$CL_IF"
host_name = "client"
server = "192.168.71.1"
hello_interval = 5
routes = ["10.71.0.0/24"]
TOML
    for i in $(seq "$2"); do
      printf '\n[[l2tp.session]]\nuser = "alice"\npassword = "%s"\n' "$1"
    done
  } >"$TMPDIR_TEST/cl.toml"
}

start_node() {  # NS NAME CONFIG -> sets LAST_PID
  ip netns exec "$1" "$TANDEM_BIN" up -c "$3" >>"$TMPDIR_TEST/$2.log" 2>&1 &
  LAST_PID=$!
  PIDS+=($LAST_PID)
}

status() {  # NS IF: the interface's status document
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json
}

logs() { cat "$TMPDIR_TEST/gw.log" "$TMPDIR_TEST/cl.log" | tail -40 >&2; }
ON_FAILURE=logs

sessions_up() {  # NS IF: how many sessions the status shows up (0 while it cannot be read)
  status "$1" "$2" 2>/dev/null | python3 -c 'import json,sys
try: print(sum(1 for s in json.load(sys.stdin)[0]["sessions"] if s["up"]))
except Exception: print(0)' || true
}
sessions_at_least() { [ "$(sessions_up "$1" "$2")" -ge "$3" ]; }

# wait_sessions NS IF COUNT SECONDS: until COUNT sessions are up (WAIT_WATCH_PID, when set, must
# stay up meanwhile)
wait_sessions() {
  (ON_FAILURE= wait_until "$3 sessions up on $2" "$4" sessions_at_least "$1" "$2" "$3") ||
    die "$2: $(sessions_up "$1" "$2") of $3 sessions up after $4 s"
  note "$2: $(sessions_up "$1" "$2") sessions up"
}

client_address() { ip -n "$CL" -4 -o addr show dev "$CL_IF" | awk '{print $4}' | head -1 | cut -d/ -f1 || true; }

SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$CL_IF.l2tp")
write_gateway_config

# The unencrypted mode must be asked for explicitly.
sed '/allow_unencrypted/d' "$TMPDIR_TEST/gw.toml" >"$TMPDIR_TEST/bad.toml"
if out=$(ip netns exec "$GW" "$TANDEM_BIN" up -c "$TMPDIR_TEST/bad.toml" 2>&1); then
  die "plain L2TP started without allow_unencrypted"
fi
note "refused without allow_unencrypted: $out"

# wait_gateway: until the gateway (GW_PID) serves its status socket, which it opens after its
# UDP socket; it must not exit meanwhile.
wait_gateway() {
  WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
    wait_until "the gateway serving $STATUS_DIR/$GW_IF.l2tp" 30 status "$GW" "$GW_IF"
}

start_node "$GW" gw "$TMPDIR_TEST/gw.toml"
GW_PID=$LAST_PID
wait_gateway

case "$SCENARIO" in
  auth)
    write_client_config "correct horse" 1
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    ADDR=$(client_address)
    [ -n "$ADDR" ] || die "no address installed on $CL_IF"
    note "client address $ADDR"
    grep -q "user 'alice' logged in with $(case $METHOD in pap) echo PAP ;; chap-md5) echo CHAP-MD5 ;; *) echo MS-CHAPv2 ;; esac)" \
      "$TMPDIR_TEST/gw.log" || { cat "$TMPDIR_TEST/gw.log" >&2; die "gateway did not log the $METHOD login"; }
    ping_ok "$CL" 10.71.0.1
    ping_ok "$GW" "$ADDR"
    iperf_ok "$GW" "$CL" 10.71.0.1 3
    status "$GW" "$GW_IF" >"$TMPDIR_TEST/gw-status.json"
    python3 - "$TMPDIR_TEST/gw-status.json" "$ADDR" <<'PY' || die "gateway status is wrong"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
assert doc["role"] == "lns" and doc["tunnels"] == 1, doc
s = doc["sessions"]
assert len(s) == 1 and s[0]["user"] == "alice" and s[0]["remote"] == sys.argv[2], s
assert doc["stats"]["to_tun"] > 100 and doc["stats"]["from_tun"] > 100, doc["stats"]
print("gateway status ok:", s[0]["user"], s[0]["remote"], doc["stats"])
PY
    ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF"
    # Teardown: the client hangs up (CDN, StopCCN) and the gateway forgets the session.
    stop_pid "$CL_PID" 30 "the client"
    # The client hung up before it exited, but the gateway may log it a moment later (it sends
    # its acknowledgement first). Without the hang-up it would notice only by timeouts (60 s
    # HELLO interval, then retransmissions), so the bound stays below those.
    wait_log "$TMPDIR_TEST/gw.log" "session .* down: user 'alice' local 10.71.0.1" 20
    [ "$(status "$GW" "$GW_IF" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["sessions"]))')" = 0 ] ||
      die "gateway still lists a session after the hang-up"
    note "hang-up seen by the gateway"
    # Re-dial: a new client process gets the same address back.
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    [ "$(client_address)" = "$ADDR" ] || die "re-dial got $(client_address), not $ADDR"
    ping_ok "$CL" 10.71.0.1
    note "re-dial kept $ADDR"
    # The gateway stopping hangs up the client at once (StopCCN), not after a timeout.
    stop_pid "$GW_PID" 30 "the gateway"
    # Only a StopCCN from the gateway produces this line; a timeout would log another reason.
    wait_log "$TMPDIR_TEST/cl.log" "tunnel .* down .*peer sent StopCCN" 30
    note "gateway stop seen by the client: $(grep -o "peer sent StopCCN.*" "$TMPDIR_TEST/cl.log" | tail -1)"
    echo "PASS: l2tp $SCENARIO $METHOD"
    exit 0
    ;;
  many)
    write_client_config "correct horse" 200
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    WAIT_WATCH_PID=$LAST_PID wait_sessions "$CL" "$CL_IF" 200 90
    status "$GW" "$GW_IF" >"$TMPDIR_TEST/gw-status.json"
    python3 - "$TMPDIR_TEST/gw-status.json" <<'PY' || die "gateway does not show 200 sessions on one tunnel"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
up = [s for s in doc["sessions"] if s["up"]]
assert doc["tunnels"] == 1, doc["tunnels"]
assert len(up) == 200 and len({s["tunnel"] for s in up}) == 1, len(up)
assert len({s["remote"] for s in up}) == 200
print("gateway: 200 sessions, one tunnel, 200 distinct addresses")
PY
    ADDRS=$(ip -n "$CL" -4 -o addr show dev "$CL_IF" | awk '{print $4}' | cut -d/ -f1)
    [ "$(echo "$ADDRS" | wc -l)" = 200 ] || die "client has $(echo "$ADDRS" | wc -l) addresses, not 200"
    ok=0
    for a in $ADDRS; do
      ip netns exec "$CL" ping -c 1 -W 2 -I "$a" 10.71.0.1 >/dev/null 2>&1 && ok=$((ok + 1))
    done
    note "ping from each of 200 addresses: $ok answered"
    [ "$ok" = 200 ] || die "only $ok of 200 sessions carried a ping"
    ;;
  loss)
    write_client_config "correct horse" 2
    # 10 % of L2TP datagrams dropped each way, on the gateway's side of the veth.
    ip netns exec "$GW" nft -f - <<NFT
table inet loss$TAG {
  chain in { type filter hook input priority 0; udp dport 1701 numgen random mod 10 0 drop; }
  chain out { type filter hook output priority 0; udp sport 1701 numgen random mod 10 0 drop; }
}
NFT
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    WAIT_WATCH_PID=$LAST_PID wait_sessions "$CL" "$CL_IF" 2 60
    # PPP can be open at one end and not yet at the other: under loss the last Configure-Ack may
    # be lost, and the gateway retransmits its request 3 s later. Traffic flows once both are up.
    WAIT_WATCH_PID=$GW_PID wait_sessions "$GW" "$GW_IF" 2 60
    ip netns exec "$CL" ping -c 20 -i 0.1 -W 2 10.71.0.1 >"$TMPDIR_TEST/ping.log" 2>&1 || true
    received=$(grep -o '[0-9]* received' "$TMPDIR_TEST/ping.log" | cut -d' ' -f1)
    note "ping under loss: ${received:-0} of 20 answered"
    [ "${received:-0}" -ge 8 ] || die "too few pings came back under 10 % loss each way"
    iperf_ok "$GW" "$CL" 10.71.0.1 3
    drops=$(ip netns exec "$GW" nft list table inet "loss$TAG" | grep -c drop)
    [ "$drops" = 2 ] || die "loss rules missing"
    ;;
  restart)
    write_client_config "correct horse" 1
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    ping_ok "$CL" 10.71.0.1
    kill -9 "$GW_PID"
    wait_exit "$GW_PID" 30 "the gateway killed with SIGKILL"
    note "gateway killed; starting a fresh one"
    start_node "$GW" gw "$TMPDIR_TEST/gw.toml"
    GW_PID=$LAST_PID
    wait_gateway
    # HELLO every 5 s: the client declares the old tunnel lost after its retransmissions (about
    # 30 s), then dials the new gateway.
    second_session_up() { [ "$(grep -cE "session [0-9]+/[0-9]+ up:" "$TMPDIR_TEST/cl.log" || true)" -ge 2 ]; }
    WAIT_WATCH_PID=$CL_PID wait_until "the client re-dialling after the gateway restart" 90 \
      second_session_up
    note "client re-dialled: $(grep -E "session [0-9]+/[0-9]+ up:" "$TMPDIR_TEST/cl.log" | tail -1)"
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    ping_ok "$CL" 10.71.0.1
    ;;
  lac-crash)
    write_client_config "correct horse" 1
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    kill -9 "$CL_PID"
    wait_exit "$CL_PID" 30 "the client killed with SIGKILL"
    note "client killed without a hang-up; a new one dials"
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    WAIT_WATCH_PID=$CL_PID wait_sessions "$CL" "$CL_IF" 1 30
    ping_ok "$CL" 10.71.0.1
    # The gateway probes the dead client's tunnel when the same peer dials again and drops it
    # once the probe goes unanswered (about 30 s of retransmissions).
    count() { status "$GW" "$GW_IF" | python3 -c 'import json,sys; d=json.load(sys.stdin)[0]; print(d["tunnels"], len(d["sessions"]))'; }
    one_tunnel_one_session() { [ "$(count)" = "1 1" ]; }
    (WAIT_WATCH_PID=$GW_PID wait_until "the gateway dropping the dead client's tunnel" 60 one_tunnel_one_session) ||
      { cat "$TMPDIR_TEST/gw.log" >&2; die "the gateway still holds the dead client's tunnel: $(count)"; }
    grep -q "session .* down: user 'alice'" "$TMPDIR_TEST/gw.log" || die "the stale session was not logged down"
    note "stale tunnel cleaned up: $(grep "tunnel .* down" "$TMPDIR_TEST/gw.log" | tail -1)"
    ping_ok "$CL" 10.71.0.1
    ;;
  refused)
    write_client_config "not the password" 1
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    wait_log "$TMPDIR_TEST/gw.log" "login refused: user 'alice'" 30
    # The client logs the failure once the refusal the gateway logged has reached it.
    wait_log "$TMPDIR_TEST/cl.log" "authentication failed" 30
    [ -z "$(client_address)" ] || die "a refused client has an address"
    note "refused: $(grep "login refused" "$TMPDIR_TEST/gw.log" | head -1)"
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac
stop_pid "$GW_PID" 30 "the gateway"
echo "PASS: l2tp $SCENARIO $METHOD"
