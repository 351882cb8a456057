#!/bin/bash
# The lifecycle commands an operator runs around `tandem up -d`, in namespaces of their own:
# `tandem check` passes a good config without root or side effects and names file:line:column
# of a broken one; a second `tandem up` of a running config is refused at once with the daemon's
# PID and disturbs nothing (the tunnel to a second node keeps answering ping); `tandem reload`
# (and a bare SIGHUP) applies an added or removed peer live without disturbing the tunnel (no new
# handshake, no lost ping), and a broken file or one that changes a setting needing a restart
# changes nothing and says why; `tandem down` stops the daemon (process, interface and pidfile
# lock gone) and says "not running" when there is nothing to stop, without signalling the PID a
# stale pidfile names; a later `tandem up` takes a stale pidfile over.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

NS="tdn-h2-lc$TAG"
FAR_NS="tdn-h2-lf$TAG"
IF="lc$TAG"
FAR_IF="lf$TAG"
make_ns "$NS"
make_ns "$FAR_NS"
link_ns "$NS" "$FAR_NS" 85
# lib.sh gives the test a run directory of its own; /run/tandem is left to real daemons.
[ "$TANDEM_RUN_DIR" = "$TMPDIR_TEST/run" ] || die "lib.sh no longer sets TANDEM_RUN_DIR"
PIDFILE="$TANDEM_RUN_DIR/node.pid"
CONFIG="$TMPDIR_TEST/node.toml"
SOCK="/var/run/wireguard/$IF.sock"
FAR_SOCK="/var/run/wireguard/$FAR_IF.sock"
SOCKETS+=("$SOCK" "$FAR_SOCK")

KEY=$("$TANDEM_BIN" genkey)
FAR_KEY=$("$TANDEM_BIN" genkey)
PEER=$(echo "$FAR_KEY" | "$TANDEM_BIN" pubkey)
PEER2=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
# node.toml as it starts, and with a second peer (written by `with_far2`).
node_config() {
  cat <<TOML
[interface]
name = "$IF"
private_key = "$KEY"
listen_port = 51850
addresses = ["10.85.0.1/24"]

[[peer]]
name = "far"
public_key = "$PEER"
endpoint = "192.168.85.2:51851"
allowed_ips = ["10.85.0.2/32"]
TOML
}
with_far2() {
  node_config
  cat <<TOML

[[peer]]
name = "far2"
public_key = "$PEER2"
allowed_ips = ["10.85.0.3/32", "10.86.0.0/16"]
TOML
}
node_config >"$CONFIG"
cat >"$TMPDIR_TEST/far.toml" <<TOML
[interface]
name = "$FAR_IF"
private_key = "$FAR_KEY"
listen_port = 51851
addresses = ["10.85.0.2/24"]

[[peer]]
name = "node"
public_key = "$(echo "$KEY" | "$TANDEM_BIN" pubkey)"
allowed_ips = ["10.85.0.1/32"]
TOML
FAR_LOG="$TMPDIR_TEST/far.log"

show_state() {
  echo "--- state at failure: pidfile $(cat "$PIDFILE" 2>/dev/null || echo absent)"
  echo "--- reload report: $(cat "$TANDEM_RUN_DIR/node.reload" 2>/dev/null || echo absent)"
  ip -n "$NS" -o link show 2>&1 || true
  ip netns exec "$NS" wg show all 2>&1 || true
  echo "--- far's log:"
  tail -20 "$FAR_LOG" 2>/dev/null || true
}
ON_FAILURE=show_state

# gone PID: no such process, or a zombie (it has let go of everything; reaping is its parent's).
gone() { [ ! -e "/proc/$1" ] || grep -Eq '^[0-9]+ \(.*\) [ZX] ' "/proc/$1/stat"; }
locked() { ! flock -n -s "$1" true; }
# run_rc VAR COMMAND...: COMMAND's combined output into VAR, its exit status into RC.
run_rc() {
  local var=$1
  shift
  local out
  out=$("$@" 2>&1) && RC=0 || RC=$?
  printf -v "$var" '%s' "$out"
}

note "tandem check: a good config is summarised, as root in the namespace and as nobody"
run_rc OUT ip netns exec "$NS" "$TANDEM_BIN" check "$CONFIG"
[ "$RC" = 0 ] || die "tandem check refused the good config (status $RC): $OUT"
grep -q "WireGuard interface $IF: UDP port 51850" <<<"$OUT" || die "no interface in: $OUT"
grep -q "peer far" <<<"$OUT" || die "no peer in: $OUT"
grep -q "routes through $IF: 10.85.0.2/32" <<<"$OUT" || die "no routes in: $OUT"
! grep -qF "$KEY" <<<"$OUT" || die "tandem check printed the private key"
ip -n "$NS" link show "$IF" >/dev/null 2>&1 && die "tandem check created $IF"
[ ! -e "$PIDFILE" ] || die "tandem check created $PIDFILE"
# Without root: a world-readable copy (which it warns about, since the key is inline).
chmod 711 "$TMPDIR_TEST"
mkdir -m 755 "$TMPDIR_TEST/pub"
install -m 644 "$CONFIG" "$TMPDIR_TEST/pub/node.toml"
run_rc OUT setpriv --reuid=nobody --regid=nogroup --clear-groups \
  "$TANDEM_BIN" check "$TMPDIR_TEST/pub/node.toml"
[ "$RC" = 0 ] || die "tandem check as nobody failed (status $RC): $OUT"
grep -q "Warning: '$TMPDIR_TEST/pub/node.toml' is world accessible" <<<"$OUT" ||
  die "no warning about the world-readable config in: $OUT"

note "tandem check: a broken config fails with file:line:column"
sed 's/listen_port/listn_port/' "$CONFIG" >"$TMPDIR_TEST/bad.toml"
run_rc OUT "$TANDEM_BIN" check "$TMPDIR_TEST/bad.toml"
[ "$RC" = 1 ] || die "tandem check of a broken config: status $RC, not 1: $OUT"
grep -q "bad.toml:4:1: unknown key 'listn_port'" <<<"$OUT" || die "unexpected error text: $OUT"
# -c FILE, as tandem up takes it, names a file even without a directory or .toml.
cp "$TMPDIR_TEST/bad.toml" "$TMPDIR_TEST/badcfg"
run_rc OUT bash -c 'cd "$1" && "$2" check -c badcfg' _ "$TMPDIR_TEST" "$TANDEM_BIN"
[ "$RC" = 1 ] || die "tandem check -c of a broken config: status $RC, not 1: $OUT"
grep -q "badcfg:4:1: unknown key 'listn_port'" <<<"$OUT" || die "tandem check -c: $OUT"
run_rc OUT "$TANDEM_BIN" check -c "$CONFIG"
[ "$RC" = 0 ] || die "tandem check -c refused the good config (status $RC): $OUT"

note "far, the node's peer, runs in its own namespace"
start_tandem_up "$FAR_NS" "$TMPDIR_TEST/far.toml" "$FAR_LOG" "$FAR_SOCK"
FAR_PID=$TANDEM_PID

note "tandem up -d: the pidfile names the daemon, which holds its lock"
run_rc OUT ip netns exec "$NS" "$TANDEM_BIN" up -d "$CONFIG"
[ "$RC" = 0 ] || die "tandem up -d failed (status $RC): $OUT"
DPID=$(cat "$PIDFILE" 2>/dev/null) || die "no $PIDFILE after tandem up -d"
[[ "$DPID" =~ ^[0-9]+$ ]] || die "$PIDFILE holds '$DPID', not a PID"
PIDS+=("$DPID")
[ "$(readlink "/proc/$DPID/exe")" = "$(readlink -f "$TANDEM_BIN")" ] ||
  die "PID $DPID in $PIDFILE is not the tandem daemon (the parent that exited?)"
locked "$PIDFILE" || die "the daemon does not hold the lock on $PIDFILE"
[ "$(stat -c %a "$PIDFILE")" = 644 ] || die "$PIDFILE is $(stat -c %a "$PIDFILE"), not 644"
[ "$(stat -c %a "$TANDEM_RUN_DIR")" = 755 ] || die "$TANDEM_RUN_DIR is not 755"
IFINDEX=$(ip -n "$NS" -o link show "$IF" | cut -d: -f1) || die "tandem up -d created no $IF"
note "daemon PID $DPID, $IF has index $IFINDEX"
ping_ok "$NS" 10.85.0.2

note "a second tandem up of the same config is refused at once and disturbs nothing"
for form in "up -d $CONFIG" "up -c $CONFIG"; do
  started=$(date +%s%N)
  # shellcheck disable=SC2086  # $form is two or three words on purpose
  run_rc OUT ip netns exec "$NS" timeout 20 "$TANDEM_BIN" $form
  elapsed_ms=$((($(date +%s%N) - started) / 1000000))
  [ "$RC" = 1 ] || die "second 'tandem $form': status $RC, not 1: $OUT"
  grep -q "already running as PID $DPID" <<<"$OUT" || die "second up does not name PID $DPID: $OUT"
  grep -q "tandem down node" <<<"$OUT" || die "second up does not say how to stop it: $OUT"
  [ "$elapsed_ms" -lt $((5000 * TEST_WAIT_SCALE)) ] || die "second up took $elapsed_ms ms to refuse"
  note "refused in $elapsed_ms ms: $OUT"
done
kill -0 "$DPID" 2>/dev/null || die "the first daemon died"
[ "$(cat "$PIDFILE")" = "$DPID" ] || die "$PIDFILE was rewritten: $(cat "$PIDFILE")"
[ "$(ip -n "$NS" -o link show "$IF" | cut -d: -f1)" = "$IFINDEX" ] || die "$IF was replaced"
# Output captured first: `... | grep -q` under pipefail fails whenever grep exits before the
# writer has finished (SIGPIPE).
ADDRS=$(ip -n "$NS" -o addr show dev "$IF")
grep -q "10.85.0.1/24" <<<"$ADDRS" || die "$IF lost its address: $ADDRS"
WG_PEERS=$(ip netns exec "$NS" wg show "$IF" peers) || die "wg show $IF failed"
grep -qxF "$PEER" <<<"$WG_PEERS" || die "the daemon's UAPI socket no longer answers with its peer"
ping_ok "$NS" 10.85.0.2

# What a reload may change, and what shows that a peer kept its session.
peers_of() { ip netns exec "$NS" wg show "$IF" dump | tail -n +2 | cut -f1,4 | sort; }
handshake_of_far() {
  ip netns exec "$NS" wg show "$IF" latest-handshakes | awk -v k="$PEER" '$1 == k { print $2 }'
}
tx_to_far() { ip netns exec "$NS" wg show "$IF" transfer | awk -v k="$PEER" '$1 == k { print $3 }'; }
report_generation() { sed -n 's/^generation //p' "$TANDEM_RUN_DIR/node.reload" 2>/dev/null; }
reported_after() { [ "$(report_generation)" -gt "$1" ]; }

note "reloads while a ping runs through the tunnel to far"
HS_BEFORE=$(handshake_of_far)
[ "${HS_BEFORE:-0}" -gt 0 ] || die "no handshake with far before the reloads"
TX_BEFORE=$(tx_to_far)
ip netns exec "$NS" ping -i 0.2 -c 50 -W 2 10.85.0.2 >"$TMPDIR_TEST/ping-reload.log" 2>&1 &
PING_PID=$!
PIDS+=("$PING_PID")
sleep 1

note "tandem reload: a peer added to the file is applied live"
with_far2 >"$CONFIG"
run_rc OUT "$TANDEM_BIN" reload node
[ "$RC" = 0 ] || die "tandem reload with a peer added failed (status $RC): $OUT"
grep -qF "node reloaded: 1 peer added (far2), 0 removed, 0 changed" <<<"$OUT" ||
  die "tandem reload did not report the added peer: $OUT"
note "$OUT"
WG_PEERS=$(ip netns exec "$NS" wg show "$IF" peers)
grep -qxF "$PEER2" <<<"$WG_PEERS" || die "far2 is not a peer after the reload: $WG_PEERS"
grep -qxF "$PEER" <<<"$WG_PEERS" || die "far is no longer a peer after the reload: $WG_PEERS"
FAR2_IPS=$(ip netns exec "$NS" wg show "$IF" allowed-ips | grep -F "$PEER2")
grep -qF "10.85.0.3/32" <<<"$FAR2_IPS" && grep -qF "10.86.0.0/16" <<<"$FAR2_IPS" ||
  die "far2's allowed IPs are not applied: $FAR2_IPS"
ROUTES=$(ip -n "$NS" route show dev "$IF")
grep -q "^10.86.0.0/16" <<<"$ROUTES" || die "no route for far2's allowed IPs: $ROUTES"
STATUS=$(ip netns exec "$NS" "$TANDEM_BIN" status "$IF")
grep -q "peers: 2" <<<"$STATUS" && grep -qF "peer: $PEER2" <<<"$STATUS" ||
  die "tandem status does not show far2: $STATUS"
WITH_FAR2=$(peers_of)

# reload_refused WHAT TEXT...: `tandem reload node` fails, its message holds each TEXT, and the
# peers are as they were.
reload_refused() {
  local what=$1 text
  shift
  run_rc OUT "$TANDEM_BIN" reload node
  [ "$RC" = 1 ] || die "tandem reload of $what: status $RC, not 1: $OUT"
  for text in "$@"; do grep -qF -- "$text" <<<"$OUT" || die "'$text' is not in: $OUT"; done
  note "$OUT"
  [ "$(peers_of)" = "$WITH_FAR2" ] || die "a refused reload changed the peers: $(peers_of)"
}

note "tandem reload of a broken file (which also drops far2): refused, nothing changes"
node_config | sed 's/listen_port/listn_port/' >"$CONFIG"
reload_refused "a broken file" \
  "node: reload refused, nothing changed: $CONFIG:4:1: unknown key 'listn_port'"

note "tandem reload of a new listen_port: refused as needing a restart, nothing changes"
node_config | sed 's/51850/51860/' >"$CONFIG"
reload_refused "a new listen_port" "[interface] listen_port changed (51850 -> 51860)" \
  "tandem down node && tandem up node"
PORT=$(ip netns exec "$NS" wg show "$IF" listen-port)
[ "$PORT" = 51850 ] || die "a refused reload changed the listen port to $PORT"

note "SIGHUP alone reloads too: far2 removed, with its routes"
node_config >"$CONFIG"
GENERATION=$(report_generation)
kill -HUP "$DPID"
WAIT_WATCH_PID=$DPID wait_until "a reload report after SIGHUP" 20 reported_after "$GENERATION"
REPORT=$(cat "$TANDEM_RUN_DIR/node.reload")
grep -qx "result applied" <<<"$REPORT" || die "the SIGHUP reload was not applied: $REPORT"
grep -qx "message 0 peers added, 1 removed (far2), 0 changed" <<<"$REPORT" ||
  die "unexpected report: $REPORT"
WG_PEERS=$(ip netns exec "$NS" wg show "$IF" peers)
! grep -qxF "$PEER2" <<<"$WG_PEERS" || die "far2 is still a peer after SIGHUP"
ROUTES=$(ip -n "$NS" route show dev "$IF")
! grep -q "^10.86.0.0/16" <<<"$ROUTES" || die "far2's route is still there: $ROUTES"

note "SIGHUP with an unchanged file: logged as no changes, the daemon runs on"
kill -HUP "$FAR_PID"
WAIT_WATCH_PID=$FAR_PID WAIT_WATCH_LOG=$FAR_LOG wait_log "$FAR_LOG" "reload: no changes" 20
kill -0 "$FAR_PID" 2>/dev/null || die "far stopped on SIGHUP"
kill -0 "$DPID" 2>/dev/null || die "the node's daemon stopped during the reloads"

note "the tunnel was undisturbed: the same session, no ping lost"
kill -0 "$PING_PID" 2>/dev/null || note "(the ping ended before the reloads did)"
wait "$PING_PID" || true  # 1 when any reply was missing: counted below
SENT=$(grep -o '^[0-9]* packets transmitted' "$TMPDIR_TEST/ping-reload.log" | cut -d' ' -f1)
GOT=$(grep -o '[0-9]* received' "$TMPDIR_TEST/ping-reload.log" | cut -d' ' -f1)
[ -n "$SENT" ] && [ -n "$GOT" ] ||
  { cat "$TMPDIR_TEST/ping-reload.log" >&2; die "the ping during the reloads did not run"; }
note "ping during the reloads: $GOT of $SENT answered"
[ "$GOT" -ge $((SENT - 1)) ] || die "pings were lost during the reloads: $GOT of $SENT answered"
[ "$(handshake_of_far)" = "$HS_BEFORE" ] ||
  die "far handshook again ($HS_BEFORE, now $(handshake_of_far)): its session was not kept"
[ "$(tx_to_far)" -gt "$TX_BEFORE" ] || die "the bytes sent to far restarted from zero: $(tx_to_far)"

note "tandem down stops it: process, interface and pidfile lock gone"
run_rc OUT "$TANDEM_BIN" down node
[ "$RC" = 0 ] || die "tandem down failed (status $RC): $OUT"
grep -q "node stopped (PID $DPID exited" <<<"$OUT" || die "tandem down did not say so: $OUT"
gone "$DPID" || die "tandem down returned while PID $DPID still runs"
! ip -n "$NS" link show "$IF" >/dev/null 2>&1 || die "$IF is still there after tandem down"
[ ! -e "$PIDFILE" ] || ! locked "$PIDFILE" || die "$PIDFILE is still locked after tandem down"
[ ! -e "$PIDFILE" ] || die "the daemon left $PIDFILE behind after a clean stop"
[ ! -e "$TANDEM_RUN_DIR/node.reload" ] || die "the daemon left its reload report behind"
note "$OUT"

note "tandem down again: not running"
run_rc OUT "$TANDEM_BIN" down "$CONFIG"
[ "$RC" = 1 ] || die "tandem down of a stopped daemon: status $RC, not 1: $OUT"
grep -q "node is not running" <<<"$OUT" || die "unexpected text: $OUT"

note "a stale pidfile: not running for tandem down (its PID is not signalled), taken over by up"
sleep 300 &
BYSTANDER=$!
PIDS+=("$BYSTANDER")
echo "$BYSTANDER" >"$PIDFILE"
run_rc OUT "$TANDEM_BIN" down node
[ "$RC" = 1 ] || die "tandem down with a stale pidfile: status $RC, not 1: $OUT"
grep -q "node is not running: .* is stale" <<<"$OUT" || die "unexpected text: $OUT"
sleep 0.2
kill -0 "$BYSTANDER" 2>/dev/null || die "tandem down signalled the PID of a stale pidfile"
run_rc OUT ip netns exec "$NS" "$TANDEM_BIN" up -d "$CONFIG"
[ "$RC" = 0 ] || die "tandem up over a stale pidfile failed (status $RC): $OUT"
DPID2=$(cat "$PIDFILE")
PIDS+=("$DPID2")
[ "$DPID2" != "$BYSTANDER" ] || die "the stale pidfile was not rewritten"
locked "$PIDFILE" || die "the new daemon does not hold $PIDFILE"
run_rc OUT "$TANDEM_BIN" down node --timeout 20
[ "$RC" = 0 ] || die "tandem down of the second daemon failed (status $RC): $OUT"
gone "$DPID2" || die "PID $DPID2 still runs after tandem down"
echo "PASS: tandem check, a refused second up, reloads applied and refused, tandem down"
