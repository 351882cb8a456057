#!/bin/bash
# The lifecycle commands an operator runs around `tandem up -d`, in a namespace of its own:
# `tandem check` passes a good config without root or side effects and names file:line:column
# of a broken one; a second `tandem up` of a running config is refused at once with the daemon's
# PID and disturbs nothing; `tandem down` stops the daemon (process, interface and pidfile lock
# gone) and says "not running" when there is nothing to stop, without signalling the PID a
# stale pidfile names; a later `tandem up` takes a stale pidfile over.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

NS="tdn-h2-lc$TAG"
IF="lc$TAG"
make_ns "$NS"
# lib.sh gives the test a run directory of its own; /run/tandem is left to real daemons.
[ "$TANDEM_RUN_DIR" = "$TMPDIR_TEST/run" ] || die "lib.sh no longer sets TANDEM_RUN_DIR"
PIDFILE="$TANDEM_RUN_DIR/node.pid"
CONFIG="$TMPDIR_TEST/node.toml"
SOCK="/var/run/wireguard/$IF.sock"
SOCKETS+=("$SOCK")

KEY=$("$TANDEM_BIN" genkey)
PEER=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
cat >"$CONFIG" <<TOML
[interface]
name = "$IF"
private_key = "$KEY"
listen_port = 51850
addresses = ["10.85.0.1/24"]

[[peer]]
name = "far"
public_key = "$PEER"
allowed_ips = ["10.85.0.2/32"]
TOML

show_state() {
  echo "--- state at failure: pidfile $(cat "$PIDFILE" 2>/dev/null || echo absent)"
  ip -n "$NS" -o link show 2>&1 || true
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

note "tandem down stops it: process, interface and pidfile lock gone"
run_rc OUT "$TANDEM_BIN" down node
[ "$RC" = 0 ] || die "tandem down failed (status $RC): $OUT"
grep -q "node stopped (PID $DPID exited" <<<"$OUT" || die "tandem down did not say so: $OUT"
gone "$DPID" || die "tandem down returned while PID $DPID still runs"
! ip -n "$NS" link show "$IF" >/dev/null 2>&1 || die "$IF is still there after tandem down"
[ ! -e "$PIDFILE" ] || ! locked "$PIDFILE" || die "$PIDFILE is still locked after tandem down"
[ ! -e "$PIDFILE" ] || die "the daemon left $PIDFILE behind after a clean stop"
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
echo "PASS: tandem check, a refused second up, tandem down"
