#!/bin/bash
# tandem@.service as systemd would start it: the installed unit's ExecStart= line, with %i and
# ${TANDEM_LOG_LEVEL} expanded as systemd expands them, run with NOTIFY_SOCKET pointing at the
# test's socket. The unit is Type=notify, so the daemon must say READY=1 (with a STATUS=) only
# once its interface exists, is up with its address and routes, and its UAPI socket answers; and
# STOPPING=1 when `tandem down` stops it.
#
# "Only once" is checked at the moment READY=1 arrives: unix_dgram_sink freezes the daemon
# (SIGSTOP) on that datagram while the checks run, so nothing done after sending it can help.
# A `wg show` started while the daemon is frozen proves the UAPI socket was listening (connect
# succeeds into the backlog, or fails at once), and answers once the daemon goes on.
#
# The config is /etc/tandem/NAME.toml, as for the real unit: a private mount namespace
# (unshare -m --propagation private) lays a tmpfs-backed overlay over /etc, so the host's /etc is
# not touched.
#
# Usage: unit_exec_start.sh BUILD_DIR
source "$(dirname "$0")/../netns/lib.sh"
require_root
BUILD=${1:?usage: unit_exec_start.sh BUILD_DIR}
: "${SINK_TOOL:?set SINK_TOOL to the unix_dgram_sink binary}"

if [ -d /run/systemd/system ] && command -v systemd-run >/dev/null; then
  note "a systemd manager is running here, but this test still runs the ExecStart line itself"
else
  note "no systemd manager is running (no /run/systemd/system), so systemd-run and systemctl" \
    "cannot start the unit: it is run by its ExecStart= line, with NOTIFY_SOCKET set as" \
    "systemd sets it for Type=notify"
fi

PREFIX=$TMPDIR_TEST/prefix
cmake --install "$BUILD" --prefix "$PREFIX" >"$TMPDIR_TEST/install.log" 2>&1 ||
  { cat "$TMPDIR_TEST/install.log" >&2; die "cmake --install failed"; }
UNIT=$PREFIX/lib/systemd/system/tandem@.service
[ -f "$UNIT" ] || die "no unit at $UNIT"
grep -qx 'Type=notify' "$UNIT" || die "the unit is not Type=notify"
EXEC_START=$(grep -E '^ExecStart=' "$UNIT" | tail -1 | cut -d= -f2-)
LOG_LEVEL=$(grep -E '^Environment=TANDEM_LOG_LEVEL=' "$UNIT" | tail -1 | cut -d= -f3-)
[ -n "$LOG_LEVEL" ] || die "the unit sets no TANDEM_LOG_LEVEL"

NAME="unit$TAG"
NS="tdn-h2-unit$TAG"
IF="un$TAG"
make_ns "$NS"
SOCKETS+=("/var/run/wireguard/$IF.sock")
COMMAND=${EXEC_START//%i/$NAME}
COMMAND=${COMMAND//'${TANDEM_LOG_LEVEL}'/$LOG_LEVEL}
[[ $COMMAND != *%* && $COMMAND != *'$'* ]] || die "ExecStart has specifiers this test does not expand: $EXEC_START"
note "ExecStart=$EXEC_START"
note "runs:      $COMMAND"

PEER=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
write_node_config "$TMPDIR_TEST/$NAME.toml" "$IF" 10.87.0.1/24 "$PEER" 10.87.0.2/32 10.88.0.0/16

NOTIFY=$TMPDIR_TEST/notify
RECEIVED=$TMPDIR_TEST/received
# Runs with the daemon frozen, on READY=1.
cat >"$TMPDIR_TEST/at_ready.sh" <<CHECK
ip -n "$NS" -o link show "$IF" | grep -Eq '<([A-Z_]+,)*UP[,>]' || { echo "$IF is not up"; exit 1; }
ip -n "$NS" -o addr show dev "$IF" | grep -q ' 10.87.0.1/24 ' || { echo "$IF has no 10.87.0.1/24"; exit 2; }
ip -n "$NS" route show 10.88.0.0/16 | grep -q "dev $IF" || { echo "no route 10.88.0.0/16 via $IF"; exit 3; }
[ -S "/var/run/wireguard/$IF.sock" ] || { echo "no UAPI socket"; exit 4; }
ip netns exec "$NS" wg show "$IF" >"$TMPDIR_TEST/wg_at_ready" 2>&1 &
echo \$! >"$TMPDIR_TEST/wg_at_ready.pid"
sleep 1
kill -0 \$! 2>/dev/null || { echo "wg show ended while the daemon was frozen:"; cat "$TMPDIR_TEST/wg_at_ready"; exit 5; }
CHECK

cat >"$TMPDIR_TEST/inside.sh" <<INSIDE
set -euo pipefail
mount -t tmpfs -o mode=755 tandem-test "$TMPDIR_TEST/ovl"
mkdir "$TMPDIR_TEST/ovl/upper" "$TMPDIR_TEST/ovl/work"
mount -t overlay overlay -o lowerdir=/etc,upperdir=$TMPDIR_TEST/ovl/upper,workdir=$TMPDIR_TEST/ovl/work /etc
mkdir -p -m 755 /etc/tandem
install -m 600 "$TMPDIR_TEST/$NAME.toml" /etc/tandem/$NAME.toml
"$SINK_TOOL" "$NOTIFY" "$RECEIVED" READY=1 bash "$TMPDIR_TEST/at_ready.sh" >"$TMPDIR_TEST/sink.log" 2>&1 &
SINK=\$!
trap 'kill \$SINK 2>/dev/null || true' EXIT
for _ in \$(seq 100); do [ -S "$NOTIFY" ] && [ -e "$RECEIVED" ] && break; sleep 0.1; done
[ -S "$NOTIFY" ] || { echo "the sink never bound $NOTIFY" >&2; exit 1; }
ip netns exec "$NS" env NOTIFY_SOCKET="$NOTIFY" $COMMAND >"$TMPDIR_TEST/daemon.log" 2>&1 &
DAEMON=\$!
echo \$DAEMON >"$TMPDIR_TEST/daemon.pid"
ok=0
for _ in \$(seq $((300 * TEST_WAIT_SCALE))); do
  grep -q '^command exited' "$RECEIVED" && { ok=1; break; }
  kill -0 \$DAEMON 2>/dev/null || break
  sleep 0.1
done
[ \$ok = 1 ] || { echo "no READY=1 within 30 s" >&2; exit 1; }
WG=\$(cat "$TMPDIR_TEST/wg_at_ready.pid" 2>/dev/null || echo 0)
for _ in \$(seq 100); do kill -0 \$WG 2>/dev/null || break; sleep 0.1; done
"$TANDEM_BIN" down $NAME
rc=0
wait \$DAEMON || rc=\$?
echo "daemon exit status \$rc"
for _ in \$(seq 50); do grep -q STOPPING=1 "$RECEIVED" && break; sleep 0.1; done
INSIDE
mkdir "$TMPDIR_TEST/ovl"

show() {
  echo "--- notify messages:"; sed 's/^/    /' "$RECEIVED" 2>/dev/null
  echo "--- daemon log:"; sed 's/^/    /' "$TMPDIR_TEST/daemon.log" 2>/dev/null
  echo "--- sink log:"; cat "$TMPDIR_TEST/sink.log" 2>/dev/null
}
ON_FAILURE=show
note "in a private mount namespace, /etc/tandem/$NAME.toml; NOTIFY_SOCKET=$NOTIFY"
unshare -m --propagation private bash "$TMPDIR_TEST/inside.sh" >"$TMPDIR_TEST/inside.log" 2>&1 ||
  { cat "$TMPDIR_TEST/inside.log" >&2; die "the run in the namespace failed"; }
cat "$TMPDIR_TEST/inside.log"
[ ! -e /etc/tandem/$NAME.toml ] || die "the host's /etc got the config: the overlay leaked"
show

grep -q '^daemon exit status 0$' "$TMPDIR_TEST/inside.log" || die "the daemon did not exit 0 after tandem down"
# The datagrams in order, one per line (its lines joined by '|').
ORDER=$(awk 'BEGIN{RS="--\n"} NF {gsub(/\n$/, ""); gsub(/\n/, "|"); print}' "$RECEIVED")
note "in order: $(tr '\n' ' ' <<<"$ORDER")"
READY_LINE=$(grep -n 'READY=1' <<<"$ORDER" | head -1 | cut -d: -f1)
STOPPING_LINE=$(grep -n 'STOPPING=1' <<<"$ORDER" | head -1 | cut -d: -f1)
[ -n "$READY_LINE" ] || die "no READY=1"
grep -q "READY=1|STATUS=interface $IF up|command exited 0 " <<<"$ORDER" ||
  die "READY=1 did not come with STATUS=interface $IF up, or the interface was not ready at READY=1 ($(grep READY <<<"$ORDER"))"
[ -n "$STOPPING_LINE" ] || die "no STOPPING=1 after tandem down"
[ "$STOPPING_LINE" -gt "$READY_LINE" ] || die "STOPPING=1 came before READY=1"
[ "$(grep -c 'READY=1' <<<"$ORDER")" = 1 ] || die "READY=1 was sent more than once"
grep -q "public key: " "$TMPDIR_TEST/wg_at_ready" && grep -qF "peer: $PEER" "$TMPDIR_TEST/wg_at_ready" ||
  { cat "$TMPDIR_TEST/wg_at_ready" >&2; die "wg show, connected while the daemon was frozen at READY=1, got no answer naming the peer"; }
ip -n "$NS" link show "$IF" >/dev/null 2>&1 && die "$IF still exists after tandem down"
note "PASS: ExecStart of tandem@.service reported READY=1 (STATUS=interface $IF up) only with $IF up, addressed, routed and its UAPI answering, and STOPPING=1 at tandem down"
