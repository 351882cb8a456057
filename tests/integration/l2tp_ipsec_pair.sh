#!/bin/bash
# Tandem's L2TP/IPsec client dials Tandem's L2TP/IPsec gateway, each `tandem up` in its own
# network namespace: IKEv1 Main Mode with a pre-shared key, Quick Mode for an ESP transport SA
# protecting UDP 1701 (in UDP 4500), L2TP and PPP (MS-CHAPv2, IPCP) inside it.
#
#   l2tp_ipsec_pair.sh direct   over one veth pair, no NAT: ESP as IP protocol 50 (raw sockets),
#                               ping both ways, iperf3, both status views show the ESP SA
#                               unencapsulated; the gateway has no plain L2TP socket, refuses a
#                               client with the wrong pre-shared key (logged), and a client that
#                               offers only weak proposals (the log names what it offered)
#   l2tp_ipsec_pair.sh nat      the client behind a NAT (nftables masquerade in a middle
#                               namespace), found by NAT detection (nobody fakes one): NAT-T,
#                               ESP and IKE rekeyed under a TCP transfer
#                               (30 s ESP and 60 s IKE lifetimes), then the gateway disappears
#                               and the client's DPD declares it dead, and the client comes back
#                               once the gateway is reachable again
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:?scenario}
PSK="a pre-shared key of some length"

GW="g$TAG"
CL="c$TAG"
make_ns "$GW"
make_ns "$CL"
GW_IF="ig$TAG"
CL_IF="ic$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$CL_IF.l2tp")

if [ "$SCENARIO" = nat ]; then
  # client 192.168.83.2 -- .83.1 [router, masquerade] .84.1 -- 192.168.84.2 gateway
  RT="r$TAG"
  make_ns "$RT"
  link_ns "$RT" "$CL" 83
  link_ns "$RT" "$GW" 84
  ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$CL" route add default via 192.168.83.1
  ip netns exec "$RT" nft -f - <<NFT
table ip nat$TAG {
  chain post { type nat hook postrouting priority 100; oifname "va${TAG}84" masquerade; }
}
table ip cut$TAG {
  chain block { type filter hook forward priority 0; }
}
NFT
  SERVER=192.168.84.2
  LIFETIMES=$'esp_lifetime = 30\nike_lifetime = 60\ndpd_interval = 5\ndpd_timeout = 10'
else
  link_ns "$GW" "$CL" 85
  SERVER=192.168.85.1
  LIFETIMES=""
fi

cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
interface = "$GW_IF"
host_name = "gateway"
address = "10.85.0.1/24"
pool = "10.85.0.10-10.85.0.250"

[[l2tp.user]]
name = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
$LIFETIMES
TOML

# write_client_config FILE PSK [IKE_PROPOSALS]
write_client_config() {
  cat >"$1" <<TOML
[l2tp]
mode = "lac"
interface = "$CL_IF"
host_name = "client"
server = "$SERVER"
hello_interval = 5
routes = ["10.85.0.0/24"]

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$2"
# No faked NAT: ESP goes in UDP only when NAT detection finds a real NAT.
force_udp_encapsulation = false
$LIFETIMES
TOML
  [ -z "${3:-}" ] || printf 'ike_proposals = %s\nallow_modp1024 = true\n' "$3" >>"$1"
}

start_node() {  # NS NAME CONFIG -> sets LAST_PID
  ip netns exec "$1" "$TANDEM_BIN" up -c "$3" >>"$TMPDIR_TEST/$2.log" 2>&1 &
  LAST_PID=$!
  PIDS+=($LAST_PID)
}

status() { ip netns exec "$1" "$TANDEM_BIN" status "$2" --json; }

logs() { tail -30 "$TMPDIR_TEST/gw.log" >&2; tail -30 "$TMPDIR_TEST/cl.log" >&2; }
ON_FAILURE=logs

client_session_up() {  # the client's status shows a session up
  status "$CL" "$CL_IF" 2>/dev/null | python3 -c 'import json,sys
sys.exit(0 if any(s["up"] for s in json.load(sys.stdin)[0]["sessions"]) else 1)'
}

wait_session() {  # SECONDS: until the client's session is up (the client, CL_PID, must stay up)
  WAIT_WATCH_PID=$CL_PID wait_until "an L2TP/IPsec session on the client" "$1" client_session_up
  note "client session up"
}

client_address() { ip -n "$CL" -4 -o addr show dev "$CL_IF" | awk '{print $4}' | head -1 | cut -d/ -f1 || true; }

start_node "$GW" gw "$TMPDIR_TEST/gw.toml"
GW_PID=$LAST_PID
# The status socket is served after IKE's UDP sockets are bound and the startup line is logged.
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the gateway serving $STATUS_DIR/$GW_IF.l2tp" 30 status "$GW" "$GW_IF"
grep -q "L2TP/IPsec only" "$TMPDIR_TEST/gw.log" || die "the gateway does not say it requires IPsec"
# Nothing listens for plain L2TP; IKE and NAT-T do.
ports=$(ip netns exec "$GW" ss -Hulnp | grep "pid=$GW_PID," | awk '{print $4}' | sed 's/.*://' | sort -n | tr '\n' ' ' || true)
note "gateway UDP ports: $ports"
[ "$ports" = "500 4500 " ] || die "the gateway should listen on UDP 500 and 4500 only, not: $ports"

check_status() {  # NS IF ROLE: the status view shows one established IKE SA and its ESP SA
  status "$1" "$2" >"$TMPDIR_TEST/status.json"
  python3 - "$TMPDIR_TEST/status.json" "$3" <<'PY' || die "$2 status does not show the SAs"
import json, sys
doc = json.load(open(sys.argv[1]))[0]
ipsec = doc["ipsec"]
assert doc["role"] == sys.argv[2], doc["role"]
assert "udp_port" not in doc, "a plain L2TP socket is open"
assert ipsec["ike_version"] == 1
ike = [s for s in ipsec["ike_sas"] if s["established"]]
assert ike, ipsec["ike_sas"]
child = [c for c in ipsec["child_sas"] if c["carries_outbound"]]
assert len(child) == 1, ipsec["child_sas"]
c = child[0]
# Directly connected, nobody is behind a NAT: ESP travels as IP protocol 50.
assert c["mode"] == "transport" and not c["udp_encapsulated"], c
assert "[17/1701]" in c["local"] and "[17/1701]" in c["remote"], c
assert c["packets_in"] > 10 and c["packets_out"] > 10, c
assert c["authentication_failed"] == 0 and c["replayed"] == 0, c
print(sys.argv[2], "IKE", ike[0]["suite"], "| ESP", c["suite"], c["spi_in"], c["spi_out"],
      "peer", c["peer"], "in", c["packets_in"], "out", c["packets_out"])
PY
}

case "$SCENARIO" in
  direct)
    # A client with the wrong pre-shared key: refused in Main Mode, logged by the gateway.
    write_client_config "$TMPDIR_TEST/wrong.toml" "not the right key, though long"
    start_node "$CL" wrong "$TMPDIR_TEST/wrong.toml"
    WRONG_PID=$LAST_PID
    wait_log "$TMPDIR_TEST/gw.log" "IKE: .*(pre-shared key|authenticat|decrypt)" 30
    note "wrong key: $(grep -E 'IKE: .*(pre-shared key|authenticat|decrypt)' "$TMPDIR_TEST/gw.log" | tail -1 | cut -c1-200)"
    stop_pid "$WRONG_PID" 30 "the client with the wrong key"
    # A client offering only MODP 1024 (allowed on its side, not on the gateway's).
    write_client_config "$TMPDIR_TEST/weak.toml" "$PSK" '["aes128-sha1-modp1024"]'
    start_node "$CL" weak "$TMPDIR_TEST/weak.toml"
    WEAK_PID=$LAST_PID
    wait_log "$TMPDIR_TEST/gw.log" "IKE: .*MODP_1024" 30
    note "weak offer: $(grep -E 'IKE: .*MODP_1024' "$TMPDIR_TEST/gw.log" | tail -1 | cut -c1-240)"
    stop_pid "$WEAK_PID" 30 "the client with weak proposals"

    write_client_config "$TMPDIR_TEST/cl.toml" "$PSK"
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    wait_session 60
    ADDR=$(client_address)
    [ -n "$ADDR" ] || die "no address installed on $CL_IF"
    note "client address $ADDR"
    ping_ok "$CL" 10.85.0.1
    ping_ok "$GW" "$ADDR"
    iperf_ok "$GW" "$CL" 10.85.0.1 3
    check_status "$GW" "$GW_IF" lns
    check_status "$CL" "$CL_IF" lac
    # The client sent the iperf3 stream: read from its device as TCP super-packets (TUN offloads)
    # and cut into segments, each sealed in PPP, L2TP and ESP.
    status "$CL" "$CL_IF" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]["device"]
assert d["offloads"] and d["super_packets"] > 0 and d["malformed_super_packets"] == 0, d
print("--- client device:", d)' || die "the client read no super-packets from its device"
    ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" || true
    # The client stops: L2TP hangs up inside ESP, then IKE deletes its SAs at the gateway.
    stop_pid "$CL_PID" 30 "the client"
    # The client has exited, so both messages have been sent. Without them the gateway would only
    # notice through timeouts (DPD after 30 s idle, L2TP retransmissions), so the bound stays
    # below those.
    wait_log "$TMPDIR_TEST/gw.log" "session .* down: user 'alice'" 20
    wait_log "$TMPDIR_TEST/gw.log" "ESP SA .* removed" 20
    note "hang-up and SA deletion seen by the gateway"
    ;;
  nat)
    write_client_config "$TMPDIR_TEST/cl.toml" "$PSK"
    start_node "$CL" cl "$TMPDIR_TEST/cl.toml"
    CL_PID=$LAST_PID
    wait_session 60
    ADDR=$(client_address)
    [ -n "$ADDR" ] || die "no address installed on $CL_IF"
    ping_ok "$CL" 10.85.0.1
    ping_ok "$GW" "$ADDR"
    # The gateway sees the client at the router's address, ESP in UDP.
    status "$GW" "$GW_IF" | python3 -c 'import json,sys
c = [c for c in json.load(sys.stdin)[0]["ipsec"]["child_sas"] if c["carries_outbound"]][0]
assert c["peer"].startswith("192.168.84.1:") and c["udp_encapsulated"], c
print("--- gateway sees the client behind NAT at", c["peer"])' || die "the gateway does not see the NAT"
    # 40 s of TCP across at least one ESP rekey (30 s lifetime) and one IKE rekey (60 s).
    iperf_ok "$GW" "$CL" 10.85.0.1 40
    ups=$(grep -c "ESP SA .* up" "$TMPDIR_TEST/cl.log" || true)
    removed=$(grep -c "ESP SA .* removed" "$TMPDIR_TEST/cl.log" || true)
    note "client: $ups ESP SAs came up, $removed were removed during the transfer"
    [ "$ups" -ge 2 ] && [ "$removed" -ge 1 ] || die "ESP was not rekeyed under traffic"
    [ "$(grep -c "IKE: .*established" "$TMPDIR_TEST/cl.log" || true)" -ge 2 ] ||
      die "IKE (phase 1) was not rekeyed"
    [ "$(client_address)" = "$ADDR" ] || die "the session changed address during the rekeys"
    [ "$(grep -c "session .* down" "$TMPDIR_TEST/cl.log" || true)" = 0 ] ||
      die "the L2TP session dropped during the rekeys"
    ping_ok "$CL" 10.85.0.1
    note "session kept $ADDR through the rekeys"
    # The gateway vanishes (the router forwards nothing): DPD finds it dead.
    ip netns exec "$RT" nft add rule ip "cut$TAG" block drop
    T0=$(date +%s)
    # Measured: DPD (5 s interval, 10 s timeout) must declare the gateway dead within 40 s.
    WAIT_WATCH_PID=$CL_PID wait_log "$TMPDIR_TEST/cl.log" "IKE: .*(dead|did not answer)" 40
    note "dead peer declared after $(($(date +%s) - T0)) s: $(grep -E 'IKE: .*(dead|did not answer)' "$TMPDIR_TEST/cl.log" | tail -1 | cut -c1-200)"
    # Reachable again: the client negotiates anew and its session comes back.
    before=$(grep -c "IKE: .*established" "$TMPDIR_TEST/cl.log" || true)
    ip netns exec "$RT" nft flush chain ip "cut$TAG" block
    established_more_than() { [ "$(grep -c "IKE: .*established" "$TMPDIR_TEST/cl.log" || true)" -gt "$1" ]; }
    WAIT_WATCH_PID=$CL_PID wait_until "the client negotiating IKE again after the outage" 60 \
      established_more_than "$before"
    wait_session 60
    ping_ok "$CL" 10.85.0.1
    note "client back after the outage"
    stop_pid "$CL_PID" 30 "the client"
    ;;
  *) die "unknown scenario $SCENARIO" ;;
esac
stop_pid "$GW_PID" 30 "the gateway"
echo "PASS: l2tp/ipsec $SCENARIO"
