#!/bin/bash
# Helpers for the hybrid scenarios (hybrid_fallback.sh, hybrid_site.sh, the gateways'
# hybrid_accounts.sh and hybrid_ikev2_accounts.sh), sourced after
# ../netns/lib.sh: reading a hybrid interface's status, an idle TCP connection that must survive
# path switches, and an iperf3 transfer whose stalls are measured.

# routed_pair LEFT RIGHT ROUTER: three namespaces, LEFT 192.168.86.2 -- .86.1 ROUTER .87.1 --
# 192.168.87.2 RIGHT, with an nftables chain `block` in table ip cut$TAG on the router's forward
# hook for the scenario's drop rules (empty at first).
routed_pair() {
  make_ns "$1"
  make_ns "$2"
  make_ns "$3"
  link_ns "$3" "$1" 86
  link_ns "$3" "$2" 87
  ip netns exec "$3" sysctl -qw net.ipv4.ip_forward=1
  ip -n "$1" route add default via 192.168.86.1
  ip -n "$2" route add default via 192.168.87.1
  ip netns exec "$3" nft -f - <<NFT
table ip cut$TAG {
  chain block { type filter hook forward priority 0; }
}
NFT
}

# fallback_pair_configs DIR GW_IF CL_IF PSK: a hybrid gateway (10.86.0.1 and fd86::1, account
# alice at 10.86.0.2 and fd86::2 over WireGuard and L2TP/IPsec with key PSK) and its client
# (WireGuard to 192.168.87.2:51820, L2TP/IPsec secondary, [fallback] probing 10.86.0.1) across a
# routed_pair, as DIR/gw.toml and DIR/cl.toml; sets GW_KEY, CL_KEY, GW_PUB and CL_PUB.
# FALLBACK_EXTRA, when set, holds more [fallback] lines; more sections may be appended to either.
fallback_pair_configs() {
  GW_KEY=$("$TANDEM_BIN" genkey)
  CL_KEY=$("$TANDEM_BIN" genkey)
  GW_PUB=$(echo "$GW_KEY" | "$TANDEM_BIN" pubkey)
  CL_PUB=$(echo "$CL_KEY" | "$TANDEM_BIN" pubkey)

  cat >"$1/gw.toml" <<TOML
[interface]
name = "$2"
private_key = "$GW_KEY"
listen_port = 51820
addresses = ["10.86.0.1/24", "fd86::1/64"]

[l2tp]
mode = "lns"
host_name = "gateway"

[l2tp.ipsec]
psk = "$4"

[[account]]
name = "alice"
public_key = "$CL_PUB"
password = "correct horse"
address = "10.86.0.2"
address6 = "fd86::2"
TOML

  cat >"$1/cl.toml" <<TOML
[interface]
name = "$3"
private_key = "$CL_KEY"
addresses = ["10.86.0.2/32", "fd86::2/128"]

[[peer]]
name = "gateway"
public_key = "$GW_PUB"
endpoint = "192.168.87.2:51820"
allowed_ips = ["10.86.0.0/24", "fd86::/64"]
persistent_keepalive = 25

[l2tp]
mode = "lac"
host_name = "client"
server = "192.168.87.2"
hello_interval = 5

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$4"

[fallback]
gateway = "10.86.0.1"
${FALLBACK_EXTRA:-}
TOML
}

# gateway_with_alice SECOND: a gateway namespace GW (device GW_IF) between alice's namespace AL
# (a WireGuard node, device AL_IF) and SECOND: alice 192.168.88.2 -- .88.1 GW .89.1 --
# 192.168.89.2 SECOND, the gateway forwarding between its accounts (in and out of its one
# device). Sets GW, AL, GW_IF, AL_IF, STATUS_DIR and WireGuard keys for the gateway (GW_KEY,
# GW_PUB) and alice (AL_KEY, AL_PUB).
gateway_with_alice() {
  GW="g$TAG"
  AL="a$TAG"
  GW_IF="hg$TAG"
  AL_IF="wa$TAG"
  STATUS_DIR=/var/run/tandem
  SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "/var/run/wireguard/$GW_IF.sock"
    "/var/run/wireguard/$AL_IF.sock")
  make_ns "$GW"
  make_ns "$AL"
  make_ns "$1"
  link_ns "$GW" "$AL" 88
  link_ns "$GW" "$1" 89
  ip netns exec "$GW" sysctl -qw net.ipv4.ip_forward=1
  GW_KEY=$("$TANDEM_BIN" genkey)
  AL_KEY=$("$TANDEM_BIN" genkey)
  GW_PUB=$(echo "$GW_KEY" | "$TANDEM_BIN" pubkey)
  AL_PUB=$(echo "$AL_KEY" | "$TANDEM_BIN" pubkey)
}

# gateway_interface: the [interface] section of gateway_with_alice's gateway (10.88.0.1/24 and
# fd88::1/64).
gateway_interface() {
  printf '[interface]\nname = "%s"\nprivate_key = "%s"\nlisten_port = 51820\n' "$GW_IF" "$GW_KEY"
  printf 'addresses = ["10.88.0.1/24", "fd88::1/64"]\n\n'
}

# alice_config FILE IF [PEER_LINE]: alice's plain WireGuard node (10.88.0.2) on device IF, with
# the gateway of gateway_with_alice as its peer; PEER_LINE (a preshared_key) goes in [[peer]].
alice_config() {
  cat >"$1" <<TOML
[interface]
name = "$2"
private_key = "$AL_KEY"
addresses = ["10.88.0.2/32"]

[[peer]]
public_key = "$GW_PUB"
${3:-}
endpoint = "192.168.88.1:51820"
allowed_ips = ["10.88.0.0/24"]
persistent_keepalive = 25
TOML
}

# l2tp_client_config FILE IF USER PASSWORD PSK: a plain L2TP/IPsec client logging in as USER on
# device IF, dialling gateway_with_alice's gateway at 192.168.89.1 with the L2TP/IPsec key PSK.
l2tp_client_config() {
  cat >"$1" <<TOML
[l2tp]
mode = "lac"
interface = "$2"
host_name = "$3"
server = "192.168.89.1"
routes = ["10.88.0.0/24"]

[[l2tp.session]]
user = "$3"
password = "$4"

[l2tp.ipsec]
psk = "$5"
TOML
}

# bob_config FILE IF PSK: bob's client (user bob, "bob's password"), as l2tp_client_config.
bob_config() { l2tp_client_config "$1" "$2" bob "bob's password" "$3"; }

# gateway_l2tp PSK: the [l2tp] and [l2tp.ipsec] sections of gateway_with_alice's gateway.
gateway_l2tp() {
  printf '[l2tp]\nmode = "lns"\nhost_name = "gateway"\n\n[l2tp.ipsec]\npsk = "%s"\n\n' "$1"
}

# login_once NS IF USER PASSWORD PSK: an L2TP/IPsec client in NS (device IF) dials once as USER;
# LOGIN is the address it got, or "refused" (its log in $TMPDIR_TEST/client.log). With an
# address, pings cross the tunnel to the gateway. The client is stopped again.
login_once() {
  local ns=$1 dev=$2
  l2tp_client_config "$TMPDIR_TEST/client.toml" "$dev" "$3" "$4" "$5"
  ip netns exec "$ns" "$TANDEM_BIN" up -c "$TMPDIR_TEST/client.toml" >"$TMPDIR_TEST/client.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  client_address() { ip -n "$ns" -4 -o addr show dev "$dev" 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
  answered() { [ -n "$(client_address)" ] || grep -q "refused our" "$TMPDIR_TEST/client.log"; }
  WAIT_WATCH_PID=$pid WAIT_WATCH_LOG="$TMPDIR_TEST/client.log" \
    wait_until "an answer to $3's login" 60 answered
  LOGIN=$(client_address)
  [ -n "$LOGIN" ] || LOGIN=refused
  [ "$LOGIN" = refused ] || ping_ok "$ns" 10.88.0.1
  stop_pid "$pid" 30 "$3's client"
  note "$3: $LOGIN"
}

# expect_log TEXT: the gateway's log ($TMPDIR_TEST/gw.log) says TEXT.
expect_log() {
  grep -qF -- "$1" "$TMPDIR_TEST/gw.log" || die "the gateway's log does not say: $1"
  # The line without the time, level and [interface] it starts with.
  note "gateway: $(grep -m1 -F -- "$1" "$TMPDIR_TEST/gw.log" | sed 's/^[^ ]* [a-z]* \[[^]]*\] //')"
}

# fallback_pair PSK: the fallback pair's namespaces, client CL and gateway GW across router RT
# (routed_pair), its devices CL_IF and GW_IF with their sockets removed at exit (STATUS_DIR), and
# its configs in $TMPDIR_TEST (fallback_pair_configs).
fallback_pair() {
  GW="g$TAG"
  CL="c$TAG"
  RT="r$TAG"
  routed_pair "$CL" "$GW" "$RT"
  GW_IF="hg$TAG"
  CL_IF="hc$TAG"
  STATUS_DIR=/var/run/tandem
  SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp"
    "$STATUS_DIR/$CL_IF.l2tp" "/var/run/wireguard/$GW_IF.sock" "/var/run/wireguard/$CL_IF.sock")
  fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "$CL_IF" "$1"
}

# hybrid_doc NS IF: the interface's hybrid status document (JSON).
hybrid_doc() {
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json | python3 -c '
import json, sys
for doc in json.load(sys.stdin):
    if doc.get("kind") in ("hybrid", "nested") and doc.get("interface") == sys.argv[1]:
        print(json.dumps(doc)); break
else:
    sys.exit("no hybrid status for " + sys.argv[1])' "$2"
}
# hybrid_field NS IF EXPR: a Python expression over the interface's document `d`.
hybrid_field() {
  hybrid_doc "$1" "$2" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$3"
}
hybrid_both_healthy() {  # NS IF
  [ "$(hybrid_field "$1" "$2" 'all(p["healthy"] for p in d["paths"])')" = True ]
}
hybrid_active_is() {  # NS IF PATH
  [ "$(hybrid_field "$1" "$2" 'd["active"]')" = "$3" ]
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_idle_tcp SERVER_NS SERVER_ADDR CLIENT_NS [CLIENT_ADDR]: a TCP connection opened now that
# exchanges a line only when idle_exchange tells it to. Sets IDLE_PID and IDLE_FD.
start_idle_tcp() {
  local server_ns=$1 server_addr=$2 client_ns=$3 client_addr=${4:-}
  ip netns exec "$server_ns" python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 7007)); s.listen(1)
c, _ = s.accept()
while True:
    line = c.recv(100)
    if not line: break
    c.sendall(b"echo " + line)' "$server_addr" >"$TMPDIR_TEST/idle-server.log" 2>&1 &
  PIDS+=($!)
  WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$server_ns" tcp 7007 30 "the idle-connection server"
  mkfifo "$TMPDIR_TEST/idle.in"
  ip netns exec "$client_ns" python3 -u -c '
import socket, sys
source = (sys.argv[3], 0) if sys.argv[3] else None
c = socket.create_connection((sys.argv[2], 7007), timeout=60, source_address=source)
print("connected", flush=True)
for step in open(sys.argv[1]):
    step = step.strip()
    c.sendall(step.encode())
    reply = c.recv(100).decode()
    print(step, "->", reply, flush=True)
    if reply != "echo " + step: sys.exit("bad reply")' "$TMPDIR_TEST/idle.in" "$server_addr" \
    "$client_addr" >"$TMPDIR_TEST/idle.log" 2>&1 &
  IDLE_PID=$!
  PIDS+=($IDLE_PID)
  exec {IDLE_FD}>"$TMPDIR_TEST/idle.in"
  WAIT_WATCH_PID=$IDLE_PID WAIT_WATCH_LOG="$TMPDIR_TEST/idle.log" \
    wait_until "the idle connection opened" 30 grep -q connected "$TMPDIR_TEST/idle.log"
}
idle_exchange() {  # STEP: the idle connection still carries a line both ways
  echo "$1" >&$IDLE_FD
  WAIT_WATCH_PID=$IDLE_PID WAIT_WATCH_LOG="$TMPDIR_TEST/idle.log" \
    wait_until "the idle TCP connection answering '$1'" 30 grep -q "^$1 -> echo $1" "$TMPDIR_TEST/idle.log"
  note "idle TCP connection: '$1' answered"
}

# start_iperf SERVER_NS SERVER_ADDR CLIENT_NS SECONDS [CLIENT_ADDR]: an iperf3 TCP transfer in
# the background, reported every 0.5 s. Sets IPERF_PID.
start_iperf() {
  local server_ns=$1 server_addr=$2 client_ns=$3 seconds=$4 client_addr=${5:-}
  ip netns exec "$server_ns" iperf3 -s -1 -B "$server_addr" >"$TMPDIR_TEST/iperf-server.log" 2>&1 &
  PIDS+=($!)
  WAIT_WATCH_PID=${PIDS[-1]} wait_listen "$server_ns" tcp 5201 30 "the iperf3 server"
  ip netns exec "$client_ns" iperf3 -c "$server_addr" ${client_addr:+-B "$client_addr"} \
    -t "$seconds" -i 0.5 -J >"$TMPDIR_TEST/iperf.json" 2>&1 &
  IPERF_PID=$!
  PIDS+=($IPERF_PID)
}
# finish_iperf: waits for the transfer; dies if it broke or moved nothing; prints the longest
# stall (0-byte 0.5 s intervals in a row).
finish_iperf() {
  wait "$IPERF_PID" || { tail -20 "$TMPDIR_TEST/iperf.json" >&2; die "the iperf3 TCP transfer broke"; }
  python3 - "$TMPDIR_TEST/iperf.json" <<'PY' || die "the iperf3 transfer did not survive"
import json, sys
r = json.load(open(sys.argv[1]))
if "error" in r: sys.exit("iperf3: " + r["error"])
iv = [i["sum"] for i in r["intervals"]]
longest = run = 0.0
for i in iv:
    run = run + i["seconds"] if i["bytes"] == 0 else 0.0
    longest = max(longest, run)
total = r["end"]["sum_received"]["bytes"]
print(f"--- iperf3: {total / 1e6:.1f} MB in {r['end']['sum_received']['seconds']:.1f} s, "
      f"{r['end']['sum_received']['bits_per_second'] / 1e6:.0f} Mbit/s; longest stall "
      f"(0-byte 0.5 s intervals in a row) {longest:.1f} s; retransmits "
      f"{r['end']['sum_sent'].get('retransmits', '?')}")
if total == 0: sys.exit("no data moved")
PY
}

# alice_key_from_wg DIR: the account's key pair made by wg(8) as DIR/alice.key (mode 0600), its
# public key put into DIR/gw.toml (fallback_pair_configs) in place of the one there; the gateway's
# config holds only the public half. Sets ALICE_PUB.
alice_key_from_wg() {
  wg genkey >"$1/alice.key"
  chmod 600 "$1/alice.key"
  ALICE_PUB=$(wg pubkey <"$1/alice.key")
  sed -i "s|^public_key = .*|public_key = \"$ALICE_PUB\"|" "$1/gw.toml"
  grep -q "^public_key = \"$ALICE_PUB\"" "$1/gw.toml" || die "alice's key not in gw.toml"
}

# wg_quick_up NS CONF: `wg-quick up CONF` with wireguard-go in NS; sets WQ_PID to the
# wireguard-go serving it (found through its UAPI socket), which the trap stops if anything fails.
wg_quick_up() {
  local ns=$1 conf=$2 name
  name=$(basename "$conf" .conf)
  ip netns exec "$ns" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
    wg-quick up "$conf" 2>&1 | sed 's/^/wg-quick: /'
  WQ_PID=$(ip netns exec "$ns" ss -xlpn 2>/dev/null | grep "/var/run/wireguard/$name.sock" |
    grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2 || true)
  [ -n "$WQ_PID" ] || die "no process serves /var/run/wireguard/$name.sock after wg-quick up"
  PIDS+=("$WQ_PID")
}
# wg_quick_down NS CONF: `wg-quick down CONF`, waiting for its wireguard-go (WQ_PID) to exit.
wg_quick_down() {
  local ns=$1 conf=$2
  ip netns exec "$ns" env WG_QUICK_USERSPACE_IMPLEMENTATION=wireguard-go \
    wg-quick down "$conf" 2>&1 | sed 's/^/wg-quick: /'
  wait_until "wireguard-go exits after wg-quick down" 30 bash -c "! kill -0 $WQ_PID"
}

# store_config FROM TO STORE EVENTS [ACCOUNTS_LINE...]: the gateway config FROM with its accounts
# in a state store instead, as TO (mode 0600): no [[account]] sections; [accounts] naming STORE,
# with the ACCOUNTS_LINEs given (pool = "...", pool6 = "..."); [events] writing to EVENTS.
store_config() {
  python3 - "$@" <<'PY'
import re, sys
source, target, store, events = sys.argv[1:5]
text = open(source).read()
text = re.sub(r"\[\[account\]\]\n(?:[^\[\n][^\n]*\n|\n)*", "", text)
text += "\n[accounts]\n" + "".join(line + "\n" for line in sys.argv[5:])
text += f'store = "{store}"\n\n[events]\nfile = "{events}"\n'
open(target, "w").write(text)
PY
  chmod 600 "$2"
  ! grep -q "^\[\[account\]\]" "$2" || die "$2 still has [[account]]"
}

# store_gateway_config FILE IF ADDRESS POOL STORE: a gateway (device IF, its address ADDRESS such
# as "10.95.0.1/24", WireGuard on UDP 51820) whose accounts live in STORE (a file or a
# postgresql:// URI), leased from POOL ("FIRST-LAST"); mode 0600.
store_gateway_config() {
  cat >"$1" <<TOML
[interface]
name = "$2"
private_key = "$("$TANDEM_BIN" genkey)"
listen_port = 51820
addresses = ["$3"]

[accounts]
pool = "$4"
store = "$5"
TOML
  chmod 600 "$1"
}
