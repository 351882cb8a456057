#!/bin/bash
# What wg-quick does around an interface, done by `tandem up`: the pre_up/post_up/pre_down/
# post_down commands (with %i replaced) at the right moments, DNS through resolvconf with
# wg-quick's arguments, table = N for the allowed-IP routes, and the refusals: a failing pre_up
# or post_up stops start-up naming the command's exit status (and cleans up), and hooks in a file
# that others may write are not run.
#
# The resolvconf here is a fake placed first in the daemon's PATH: it records its arguments and
# stdin. Each hook and resolvconf call appends to one log, so the order is checked too.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

NS="tdn-h2-hk$TAG"
IF="hk$TAG"
make_ns "$NS"
SOCK="/var/run/wireguard/$IF.sock"
SOCKETS+=("$SOCK")
M=$TMPDIR_TEST/marks
mkdir -p "$M" "$TMPDIR_TEST/bin"
ORDER=$M/order
cat >"$TMPDIR_TEST/bin/resolvconf" <<FAKE
#!/bin/sh
n=\$(ls "$M" | grep -c '^resolvconf\..*args$')
echo "\$*" >"$M/resolvconf.\$n.args"
cat >"$M/resolvconf.\$n.stdin"
echo "resolvconf \$*" >>"$ORDER"
FAKE
chmod 755 "$TMPDIR_TEST/bin/resolvconf"
DAEMON_PATH="$TMPDIR_TEST/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PEER=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)

# config FILE EXTRA_INTERFACE_LINES: the node with the given [interface] additions.
config() {
  INTERFACE_EXTRA=$2 write_node_config "$1" "$IF" 10.89.0.1/24 "$PEER" \
    10.89.0.2/32 10.90.0.0/16 0.0.0.0/0
  chmod 600 "$1"
}
run_rc() {  # VAR COMMAND...: combined output into VAR, status into RC
  local var=$1 out
  shift
  out=$("$@" 2>&1) && RC=0 || RC=$?
  printf -v "$var" '%s' "$out"
}
up_d() { ip netns exec "$NS" env PATH="$DAEMON_PATH" "$TANDEM_BIN" up -d "$@"; }
no_interface() { ! ip -n "$NS" link show "$IF" >/dev/null 2>&1; }

# wg-quick's record name: a prefix from /etc/resolvconf/interface-order when there is one.
PREFIX=$(grep -m1 -E '^[A-Za-z0-9-]+\*$' /etc/resolvconf/interface-order 2>/dev/null | tr -d '*' || true)
RECORD=${PREFIX:+$PREFIX.}$IF

note "a node with every hook, DNS and table = 1234, started with up -d"
FULL=$TMPDIR_TEST/full.toml
config "$FULL" "table = 1234
dns = [\"10.89.0.53\", \"fd89::53\"]
dns_search = [\"corp.example\", \"lab.example\"]
pre_up = [\"echo pre_up >>$ORDER; touch $M/pre_up.%i\", \"! ip link show %i\"]
post_up = [\"echo post_up >>$ORDER; ip -o addr show dev %i >$M/post_up.%i\"]
pre_down = [\"echo pre_down >>$ORDER; ip -o link show %i >$M/pre_down.%i\"]
post_down = [\"echo post_down >>$ORDER; ! ip link show %i && touch $M/post_down.%i\"]"
run_rc OUT "$TANDEM_BIN" check "$FULL"
[ "$RC" = 0 ] || die "tandem check refused the config: $OUT"
echo "$OUT" | sed 's/^/    /'
grep -q "routes through $IF in table 1234: 10.89.0.2/32, 10.90.0.0/16, 0.0.0.0/0" <<<"$OUT" ||
  die "tandem check does not show the routes in table 1234"
grep -q "DNS (through resolvconf): servers 10.89.0.53, fd89::53, search corp.example lab.example" <<<"$OUT" ||
  die "tandem check does not show the DNS settings"
grep -q "post_up: echo post_up >>$ORDER; ip -o addr show dev $IF >$M/post_up.$IF" <<<"$OUT" ||
  die "tandem check does not show post_up with %i replaced"
run_rc OUT env PATH="$DAEMON_PATH" "$TANDEM_BIN" check "$FULL"
! grep -q "no resolvconf" <<<"$OUT" || die "tandem check misses the resolvconf in PATH: $OUT"
if ! command -v resolvconf >/dev/null; then
  run_rc OUT "$TANDEM_BIN" check "$FULL"
  grep -q "DNS: no resolvconf program in PATH here" <<<"$OUT" ||
    die "tandem check does not say that resolvconf is missing: $OUT"
fi

run_rc OUT up_d "$FULL"
[ "$RC" = 0 ] || die "tandem up -d failed (status $RC): $OUT"
[ -e "$M/pre_up.$IF" ] || die "pre_up did not run (no $M/pre_up.$IF)"
grep -q "10.89.0.1/24" "$M/post_up.$IF" || die "post_up did not see the interface with its address"
note "routes: table 1234 and main"
# Captured first: grep -q ending a pipe early would fail it under pipefail.
TABLE=$(ip -n "$NS" route show table 1234)
MAIN=$(ip -n "$NS" route show table main)
sed 's/^/    /' <<<"$TABLE"
for r in "10.89.0.2 dev $IF" "10.90.0.0/16 dev $IF" "default dev $IF"; do
  grep -q "^$r" <<<"$TABLE" || die "table 1234 has no route '$r'"
done
! grep -Eq "^(10.90.0.0/16|default|10.89.0.2) " <<<"$MAIN" ||
  die "allowed-IP routes went into the main table: $MAIN"
note "resolvconf was called as wg-quick calls it"
[ "$(cat "$M/resolvconf.0.args")" = "-a $RECORD -m 0 -x" ] ||
  die "resolvconf arguments: '$(cat "$M/resolvconf.0.args")', not '-a $RECORD -m 0 -x'"
printf 'nameserver 10.89.0.53\nnameserver fd89::53\nsearch corp.example lab.example\n' |
  cmp -s - "$M/resolvconf.0.stdin" || die "resolvconf stdin: $(cat "$M/resolvconf.0.stdin")"

note "tandem down (SIGTERM): pre_down with the device, DNS removed, post_down without it"
run_rc OUT "$TANDEM_BIN" down "$FULL"
[ "$RC" = 0 ] || die "tandem down failed: $OUT"
grep -q "$IF" "$M/pre_down.$IF" || die "pre_down did not see the interface"
[ -e "$M/post_down.$IF" ] || die "post_down did not run, or the interface still existed then"
[ "$(cat "$M/resolvconf.1.args")" = "-d $RECORD -f" ] ||
  die "resolvconf at stop: '$(cat "$M/resolvconf.1.args" 2>/dev/null)', not '-d $RECORD -f'"
EXPECTED="pre_up
resolvconf -a $RECORD -m 0 -x
post_up
pre_down
resolvconf -d $RECORD -f
post_down"
[ "$(cat "$ORDER")" = "$EXPECTED" ] || die "order of hooks and resolvconf: $(tr '\n' ',' <"$ORDER")"
no_interface || die "$IF still exists after tandem down"

note "a failing pre_up stops start-up before the device exists, naming its exit status"
rm -f "$M"/*
config "$TMPDIR_TEST/pre.toml" "pre_up = [\"true\", \"exit 7\", \"touch $M/never\"]
post_down = [\"touch $M/post_down\"]"
run_rc OUT up_d "$TMPDIR_TEST/pre.toml"
echo "    $OUT"
[ "$RC" = 1 ] || die "tandem up -d with a failing pre_up: status $RC, not 1"
grep -q "pre_up command 'exit 7' failed with exit status 7" <<<"$OUT" || die "no exit status 7 in: $OUT"
[ ! -e "$M/never" ] || die "the command after the failing pre_up ran"
[ ! -e "$M/post_down" ] || die "post_down ran for a node that never came up"
no_interface || die "$IF exists after a failed pre_up"

note "a failing post_up stops start-up, removes the device and the DNS settings"
config "$TMPDIR_TEST/post.toml" "dns = [\"10.89.0.53\"]
post_up = [\"exit 3\"]"
run_rc OUT up_d "$TMPDIR_TEST/post.toml"
echo "    $OUT"
[ "$RC" = 1 ] || die "tandem up -d with a failing post_up: status $RC, not 1"
grep -q "post_up command 'exit 3' failed with exit status 3" <<<"$OUT" || die "no exit status 3 in: $OUT"
no_interface || die "$IF still exists after a failed post_up"
[ "$(cat "$M/resolvconf.1.args" 2>/dev/null)" = "-d $RECORD -f" ] ||
  die "the DNS settings were not removed after the failed post_up"

note "without resolvconf: the start-up log says DNS is not applied; SIGTERM runs the down hooks"
if command -v resolvconf >/dev/null; then
  note "(this host has $(command -v resolvconf); the check is skipped)"
else
  rm -f "$M"/*
  config "$TMPDIR_TEST/nores.toml" "dns = [\"10.89.0.53\"]
pre_down = [\"touch $M/pre_down.%i\"]
post_down = [\"touch $M/post_down.%i\"]"
  LOG=$TMPDIR_TEST/nores.log
  start_tandem_up "$NS" "$TMPDIR_TEST/nores.toml" "$LOG" "$SOCK"
  grep -q "DNS servers 10.89.0.53 are NOT applied: no resolvconf program is installed" "$LOG" ||
    { cat "$LOG" >&2; die "no clear word that DNS is not applied"; }
  stop_pid "$TANDEM_PID" 15 "tandem up"
  [ -e "$M/pre_down.$IF" ] && [ -e "$M/post_down.$IF" ] || { cat "$LOG" >&2; die "SIGTERM did not run pre_down and post_down"; }
  ! compgen -G "$M/resolvconf.*" >/dev/null || die "resolvconf ran though it is not in PATH"
fi

note "hooks in a file that group or others may write are refused, by up and by check"
config "$TMPDIR_TEST/open.toml" "post_up = [\"touch $M/open\"]"
chmod 664 "$TMPDIR_TEST/open.toml"
for cmd in check up; do
  run_rc OUT ip netns exec "$NS" "$TANDEM_BIN" $cmd "$TMPDIR_TEST/open.toml"
  [ "$RC" = 1 ] || die "tandem $cmd of a group-writable file with hooks: status $RC"
  grep -q "refusing to run its pre_up/post_up/pre_down/post_down commands, which run as root: group or others may write the file (mode 0664" <<<"$OUT" ||
    die "tandem $cmd: unexpected refusal: $OUT"
done
echo "    $OUT"
[ ! -e "$M/open" ] || die "the hook of the group-writable file ran"
no_interface || die "$IF exists after the refusal"
note "PASS"
