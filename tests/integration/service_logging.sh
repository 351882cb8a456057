#!/bin/bash
# Where a detached daemon's log lines go. `tandem up -d` has /dev/null for stderr; with
# --log-target auto it must write to the systemd journal when /run/systemd/journal/socket exists
# (native protocol: SYSLOG_IDENTIFIER=tandem, PRIORITY, and the interface as INTERFACE=) and to
# syslog (/dev/log, facility daemon, ident tandem) when it does not.
#
# No journald or syslog daemon runs here and the host's must not be touched, so the daemon runs
# in a private mount namespace (unshare -m --propagation private: nothing mounted in it reaches
# the host) where a tmpfs covers /run/systemd (journal) or /dev (syslog; /dev/null and
# /dev/net/tun are bound back in) and the test's unix_dgram_sink listens at the socket's path.
#
# In mode "stream" the daemon runs in the foreground, as tandem@.service runs it, with stderr
# a file that JOURNAL_STREAM names (as systemd names the journal stream it connects): auto must
# upgrade to the journal's native protocol, and nothing goes to stderr.
#
# Usage: service_logging.sh journal|syslog|stream
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
: "${SINK_TOOL:?set SINK_TOOL to the unix_dgram_sink binary}"
MODE=${1:?journal, syslog or stream}
command -v unshare >/dev/null || die "unshare (util-linux) is needed"

NS="tdn-h2-log$TAG"
IF="lg$TAG"
make_ns "$NS"
CONFIG="$TMPDIR_TEST/node.toml"
RECEIVED="$TMPDIR_TEST/received"
SOCKETS+=("/var/run/wireguard/$IF.sock")
write_node_config "$CONFIG" "$IF" 10.86.0.1/24 "$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)" 10.86.0.2/32

START='ip netns exec "$NS" "$TANDEM_BIN" up -d --log-level debug "$CONFIG"
echo "up -d returned 0"'
STDERR_LOG=$TMPDIR_TEST/stderr.log
case "$MODE" in
  stream)
    COVER=/run/systemd
    SOCKET=/run/systemd/journal/socket
    PREPARE='mkdir -p /run/systemd/journal'
    START=': >"$STDERR_LOG"
ip netns exec "$NS" env JOURNAL_STREAM=$(stat -c %d:%i "$STDERR_LOG") "$TANDEM_BIN" up \
  --log-level debug "$CONFIG" 2>>"$STDERR_LOG" &
DAEMON=$!
for _ in $(seq 300); do [ -S /var/run/wireguard/$IF.sock ] && break; sleep 0.1; done
echo "tandem up (foreground, JOURNAL_STREAM names its stderr) started"'
    ;;
  journal)
    COVER=/run/systemd
    SOCKET=/run/systemd/journal/socket
    PREPARE='mkdir -p /run/systemd/journal'
    ;;
  syslog)
    # The real /dev stays reachable under $TMPDIR_TEST/dev for the nodes the daemon needs.
    COVER=/dev
    SOCKET=/dev/log
    PREPARE='for n in null zero random urandom net/tun; do
        mkdir -p "$(dirname /dev/$n)"; touch /dev/$n; mount --bind "$REALDEV/$n" /dev/$n
      done
      [ ! -e /run/systemd/journal/socket ] || { echo "a journal socket exists" >&2; exit 1; }'
    ;;
  *) die "unknown mode $MODE" ;;
esac

# Runs inside the private mount namespace: cover, listen, start detached, stop, stop listening.
# Its exit status and output are the outer test's to judge.
cat >"$TMPDIR_TEST/inside.sh" <<INSIDE
set -euo pipefail
REALDEV=$TMPDIR_TEST/dev
mkdir -p "\$REALDEV"
mount --bind /dev "\$REALDEV"
mount -t tmpfs -o mode=755 tandem-test $COVER
$PREPARE
"$SINK_TOOL" $SOCKET "$RECEIVED" &
SINK=\$!
trap 'kill \$SINK 2>/dev/null || true' EXIT
for _ in \$(seq 100); do [ -S $SOCKET ] && [ -e "$RECEIVED" ] && break; sleep 0.1; done
[ -S $SOCKET ] || { echo "the sink never bound $SOCKET" >&2; exit 1; }
$START
# The startup lines are sent before the daemon reports ready; give the sink a moment to write.
for _ in \$(seq 100); do grep -q "interface $IF up" "$RECEIVED" && break; sleep 0.1; done
"$TANDEM_BIN" down "$CONFIG"
[ -z "\${DAEMON:-}" ] || wait "\$DAEMON"
for _ in \$(seq 100); do grep -q "interface $IF down" "$RECEIVED" && break; sleep 0.1; done
INSIDE

export NS IF CONFIG STDERR_LOG TANDEM_BIN
note "tandem up ($MODE) in a private mount namespace, $SOCKET is the test's socket"
unshare -m --propagation private bash "$TMPDIR_TEST/inside.sh" >"$TMPDIR_TEST/inside.log" 2>&1 ||
  { cat "$TMPDIR_TEST/inside.log" >&2; cat "$RECEIVED" >&2 2>/dev/null; die "the run in the namespace failed"; }
cat "$TMPDIR_TEST/inside.log"
[ -e "$SOCKET" ] && [ "$MODE" = syslog ] && die "the host now has $SOCKET: the mount leaked"
mountpoint -q "$COVER" 2>/dev/null && [ "$MODE" != syslog ] && die "$COVER is a mount point on the host: the mount leaked"
ip -n "$NS" link show "$IF" >/dev/null 2>&1 && die "$IF still exists after tandem down"

note "what arrived at $SOCKET ($(grep -c '^--$' "$RECEIVED") datagrams)"
sed 's/^/    /' "$RECEIVED" | head -60
# record REGEX: the first datagram (lines up to "--") with a line matching REGEX.
record() { awk -v re="$1" 'BEGIN{RS="--\n"} $0 ~ re {printf "%s", $0; exit}' "$RECEIVED"; }
expect_line() {  # WHAT REGEX
  local rec
  rec=$(record "$2")
  [ -n "$rec" ] || die "no datagram with $1"
  echo "$rec"
}

case "$MODE" in
  journal | stream)
    for line in "interface $IF up" "interface $IF down"; do
      rec=$(expect_line "'$line'" "MESSAGE=$line")
      grep -qx "SYSLOG_IDENTIFIER=tandem" <<<"$rec" || die "'$line' without SYSLOG_IDENTIFIER=tandem: $rec"
      grep -qx "INTERFACE=$IF" <<<"$rec" || die "'$line' without INTERFACE=$IF: $rec"
      grep -qx "PRIORITY=6" <<<"$rec" || die "'$line' not at priority 6 (info): $rec"
    done
    # --log-level debug reaches the journal too, at priority 7.
    rec=$(expect_line "the debug line naming the target" "MESSAGE=logging to journal")
    grep -qx "PRIORITY=7" <<<"$rec" || die "--log-level debug: the debug line is not at priority 7: $rec"
    ;;
  syslog)
    for line in "interface $IF up" "interface $IF down"; do
      rec=$(expect_line "'$line'" "\\[$IF\\] $line")
      # <30>: facility daemon (3) * 8 + info (6); then the ident and the PID.
      grep -Eq "^<30>.* tandem\[[0-9]+\]: \[$IF\] $line" <<<"$rec" ||
        die "'$line' not as <30>... tandem[PID]: [$IF] ...: $rec"
    done
    grep -q "^<31>.* tandem\[[0-9]*\]: \[$IF\] logging to syslog" "$RECEIVED" ||
      die "--log-level debug: no debug line (<31>) naming the target"
    ;;
esac
if [ "$MODE" = stream ]; then
  grep -q "interface $IF up" "$STDERR_LOG" && die "the lines went to stderr as well: $(cat "$STDERR_LOG")"
  [ ! -s "$STDERR_LOG" ] || die "stderr is not empty: $(cat "$STDERR_LOG")"
fi
note "PASS: the daemon's lines reached $MODE with identifier tandem and interface $IF"
