#!/bin/bash
# The `tandem` command as an operator meets it, no namespaces needed: secrets it writes are not
# left readable by others under the common umask 022 (import-wg output is 0600; genkey and
# genpsk warn like `wg genkey` when stdout is a file others can read), --version answers, a
# mistyped command is named, and `tandem up FILE` / `tandem up NAME` find their config as
# wg-quick does. Every check runs; the failures are listed together at the end.
source "$(dirname "$0")/../netns/lib.sh"
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

FAILURES=()
# check WHAT COMMAND...: records WHAT as a failure unless COMMAND succeeds.
check() {
  local what=$1
  shift
  if "$@"; then note "ok: $what"; else FAILURES+=("$what"); echo "not ok: $what" >&2; fi
}
mode_of() { stat -c %a "$1"; }
D=$TMPDIR_TEST
umask 022

note "import-wg writes the converted config, private key inline, owner-only"
cat >"$D/wg0.conf" <<CONF
[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
ListenPort = 51820

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
PresharedKey = /UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=
AllowedIPs = 10.0.0.2/32
CONF
"$TANDEM_BIN" import-wg "$D/wg0.conf" -o "$D/out.toml" 2>"$D/import.err" || true
check "import-wg output exists" test -s "$D/out.toml"
check "import-wg output is 0600 under umask 022 (was $(mode_of "$D/out.toml" 2>/dev/null))" \
  test "$(mode_of "$D/out.toml" 2>/dev/null)" = 600
echo "stale, world readable" >"$D/old.toml"
chmod 644 "$D/old.toml"
"$TANDEM_BIN" import-wg "$D/wg0.conf" -o "$D/old.toml" 2>/dev/null || true
check "import-wg over an existing 0644 file leaves it 0600" test "$(mode_of "$D/old.toml")" = 600

note "import-wg translates what wg-quick accepts: hex FwMark, Table = off, peer name comments"
cat >"$D/wg1.conf" <<CONF
[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
FwMark = 0x1234
Table = off

# laptop
[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
AllowedIPs = 10.0.0.2/32
CONF
"$TANDEM_BIN" import-wg "$D/wg1.conf" >"$D/wg1.toml" 2>"$D/wg1.err" || true
check "import-wg reads FwMark = 0x1234 as 4660" grep -qx 'fwmark = 4660' "$D/wg1.toml"
check "import-wg turns Table = off into table = \"off\"" grep -qx 'table = "off"' "$D/wg1.toml"
check "import-wg does not warn about Table = off" test ! -s "$D/wg1.err"
check "import-wg names the peer after '# laptop' before [Peer]" \
  grep -qx 'name = "laptop"' "$D/wg1.toml"

note "import-wg translates DNS, Table = N and the hooks; SaveConfig = true is warned about"
cat >"$D/wg2.conf" <<'CONF'
[Interface]
PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=
DNS = 10.0.0.53, fd00::53, corp.example
Table = 1234
PreUp = echo "pre %i"
PostUp = iptables -A FORWARD -i %i -j ACCEPT
PostUp = ip rule add table 1234
PreDown = echo down
PostDown = iptables -D FORWARD -i %i -j ACCEPT
SaveConfig = true

[Peer]
PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=
AllowedIPs = 0.0.0.0/0
CONF
"$TANDEM_BIN" import-wg "$D/wg2.conf" -o "$D/wg2.toml" 2>"$D/wg2.err" || true
check "import-wg: dns" grep -qx 'dns = \["10.0.0.53", "fd00::53"\]' "$D/wg2.toml"
check "import-wg: dns_search" grep -qx 'dns_search = \["corp.example"\]' "$D/wg2.toml"
check "import-wg: table = 1234" grep -qx 'table = 1234' "$D/wg2.toml"
check "import-wg: pre_up keeps its quotes and %i" grep -qxF 'pre_up = ["echo \"pre %i\""]' "$D/wg2.toml"
check "import-wg: both PostUp lines in order" grep -qxF \
  'post_up = ["iptables -A FORWARD -i %i -j ACCEPT", "ip rule add table 1234"]' "$D/wg2.toml"
check "import-wg: pre_down and post_down" bash -c "grep -qxF 'pre_down = [\"echo down\"]' '$D/wg2.toml' &&
  grep -qxF 'post_down = [\"iptables -D FORWARD -i %i -j ACCEPT\"]' '$D/wg2.toml'"
check "import-wg warns about SaveConfig = true, only" \
  bash -c "grep -q 'wg2.conf:10: SaveConfig = true is not converted' '$D/wg2.err' && test \$(wc -l <'$D/wg2.err') = 1"
OUT=$("$TANDEM_BIN" check "$D/wg2.toml" 2>&1) && RC=0 || RC=$?
check "tandem check accepts the imported file (root's, 0600) and shows its hooks and DNS" \
  bash -c '[ "$1" = 0 ] && grep -q "post_up: ip rule add table 1234" <<<"$2" && grep -q "DNS (through resolvconf): servers 10.0.0.53, fd00::53, search corp.example" <<<"$2"' _ "$RC" "$OUT"

note "genkey and genpsk warn, as wg genkey does, when a file others can read receives the key"
for cmd in genkey genpsk; do
  : >"$D/$cmd.open"
  chmod 644 "$D/$cmd.open"
  "$TANDEM_BIN" $cmd >"$D/$cmd.open" 2>"$D/$cmd.open.err"
  check "$cmd to a 0644 file warns" grep -q "Warning: writing a secret key" "$D/$cmd.open.err"
  (umask 077 && "$TANDEM_BIN" $cmd >"$D/$cmd.private" 2>"$D/$cmd.private.err")
  check "$cmd to a 0600 file is silent" test ! -s "$D/$cmd.private.err"
  check "$cmd still writes its key" grep -Eq '^[A-Za-z0-9+/]{43}=$' "$D/$cmd.open"
  "$TANDEM_BIN" $cmd 2>"$D/$cmd.pipe.err" | cat >/dev/null
  check "$cmd into a pipe is silent" test ! -s "$D/$cmd.pipe.err"
done

note "--version and unknown commands"
VERSION=$("$TANDEM_BIN" --version 2>&1 || true)
check "--version prints 'tandem X.Y.Z' (got '$VERSION')" \
  grep -Eqx 'tandem [0-9]+\.[0-9]+\.[0-9]+' <<<"$VERSION"
UNKNOWN=$("$TANDEM_BIN" foo 2>&1) && FOO_RC=0 || FOO_RC=$?
check "an unknown command fails" test "$FOO_RC" != 0
check "an unknown command is named" grep -q "tandem: unknown command 'foo'" <<<"$UNKNOWN"
check "an unknown command lists the commands" grep -q "import-wg" <<<"$UNKNOWN"

note "tandem up FILE and tandem up NAME, stopping at config errors (no interface is created)"
cat >"$D/broken.toml" <<'TOML'
[interface]
name = "tb0"
listen_port = "not a port"
TOML
UP=$("$TANDEM_BIN" up "$D/broken.toml" 2>&1) || true
check "tandem up FILE reads FILE (file:line:col error, got '$UP')" \
  grep -Eq "broken\.toml:[0-9]+:[0-9]+: " <<<"$UP"
UP_C=$("$TANDEM_BIN" up -c "$D/broken.toml" 2>&1) || true
check "tandem up -c FILE still reads FILE" grep -Eq "broken\.toml:[0-9]+:[0-9]+: " <<<"$UP_C"
NAME="tandem-absent-$TAG"
UP_NAME=$("$TANDEM_BIN" up "$NAME" 2>&1) || true
check "tandem up NAME looks for /etc/tandem/NAME.toml (got '$UP_NAME')" \
  grep -q "/etc/tandem/$NAME.toml" <<<"$UP_NAME"

[ ${#FAILURES[@]} = 0 ] || die "${#FAILURES[@]} check(s) failed: $(printf '%s; ' "${FAILURES[@]}")"
note "all CLI checks passed"
