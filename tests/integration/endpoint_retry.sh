#!/bin/bash
# A peer endpoint given as a host name that does not resolve yet (at boot DNS may not be up) does
# not stop `tandem up`: the interface starts without that endpoint, says so, and keeps resolving
# the name in the background; once it resolves the endpoint is set and the tunnel comes up.
#
# The name lives in a hosts file for node A's namespace: `ip netns exec` bind-mounts
# /etc/netns/NS/hosts over /etc/hosts for the processes it starts, but only if the file exists
# when they start. So the file exists (without the name) before A starts, and the name is
# appended later: the mount is of the file, so the running daemon sees the append.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

ETC_NS="/etc/netns/a$TAG"
RMDIR_ETC_NETNS=""
[ -d /etc/netns ] || RMDIR_ETC_NETNS=1
remove_etc_netns() {
  rm -rf "$ETC_NS"
  [ -z "$RMDIR_ETC_NETNS" ] || rmdir /etc/netns 2>/dev/null || true
}
trap 'rc=$?; remove_etc_netns; (exit $rc); cleanup' EXIT

make_ns "a$TAG"; make_ns "b$TAG"
link_ns "a$TAG" "b$TAG" 93
NAME="node-b-$TAG.tandem.test"
mkdir -p "$ETC_NS"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$ETC_NS/hosts"
# No DNS server in the namespace: a lookup fails at once instead of waiting for a timeout.
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$ETC_NS/resolv.conf"

KA=$("$TANDEM_BIN" genkey); KB=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey); PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "ra$TAG"
private_key = "$KA"
listen_port = 51893
addresses = ["10.93.0.1/24"]

[[peer]]
name = "node-b"
public_key = "$PB"
endpoint = "$NAME:51894"
allowed_ips = ["10.93.0.2/32"]
persistent_keepalive = 25
TOML
cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "rb$TAG"
private_key = "$KB"
listen_port = 51894
addresses = ["10.93.0.2/24"]

[[peer]]
name = "node-a"
public_key = "$PA"
allowed_ips = ["10.93.0.1/32"]
TOML
show_logs() {
  for n in a b; do echo "=== $n.log"; cat "$TMPDIR_TEST/$n.log" 2>/dev/null || true; done
}
ON_FAILURE=show_logs

for n in b a; do
  SOCKETS+=("/var/run/wireguard/r$n$TAG.sock")
  start_tandem_up "$n$TAG" "$TMPDIR_TEST/$n.toml" "$TMPDIR_TEST/$n.log" "/var/run/wireguard/r$n$TAG.sock"
done
A_PID=$TANDEM_PID
grep -q "peer node-b: cannot resolve $NAME.*starting without its endpoint" "$TMPDIR_TEST/a.log" ||
  die "node A did not warn that $NAME does not resolve"
note "A started without B's endpoint: $(grep -o 'cannot resolve.*' "$TMPDIR_TEST/a.log" | head -1)"
ep=$(ip netns exec "a$TAG" wg show "ra$TAG" endpoints | cut -f2)
[ "$ep" = "(none)" ] || die "A has an endpoint for B before the name resolves: $ep"

# A keeps retrying (1 s, then 2 s) and keeps running meanwhile.
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_log "$TMPDIR_TEST/a.log" "peer node-b: still cannot resolve $NAME.*; next attempt in 2 s" 30
kill -0 "$A_PID" || die "A exited while the name did not resolve"

echo "192.168.93.2 $NAME" >>"$ETC_NS/hosts"
note "$NAME now resolves in A's namespace"
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_log "$TMPDIR_TEST/a.log" "peer node-b: $NAME resolved: endpoint set to 192.168.93.2:51894" 90
ep=$(ip netns exec "a$TAG" wg show "ra$TAG" endpoints | cut -f2)
[ "$ep" = "192.168.93.2:51894" ] || die "wg show reports endpoint '$ep' after resolution"
# With a persistent keepalive, A speaks first as soon as it has the endpoint, as it would have at
# start-up: the handshake needs no traffic (a peer behind NAT is reachable only this way). The
# log names the peer by its configured name.
WAIT_WATCH_PID=$A_PID WAIT_WATCH_LOG="$TMPDIR_TEST/a.log" \
  wait_log "$TMPDIR_TEST/a.log" "peer node-b handshake completed \\(initiator\\)" 30
ping_ok "a$TAG" 10.93.0.2
stop_pid "$A_PID" 10 "tandem up (A)"
echo "PASS: an endpoint that resolves late is retried in the background and then used"
