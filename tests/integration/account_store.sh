#!/bin/bash
# A hybrid gateway whose accounts live in its state store ([accounts] store), changed with
# `tandem account` while it runs:
#
#   alice's hybrid client (CL) 192.168.86.2 -- .86.1 [router] .87.1 -- 192.168.87.2 gateway
#   carol (wg-quick with wireguard-go, C2) 192.168.88.2 -- .88.1 [router]
#   inner: gateway 10.86.0.1 and fd86::1, alice 10.86.0.2 and fd86::2, carol leased from the pool
#
# 1. import-config moves the file's [[account]] alice into the store (the gateway's config then
#    names the store instead); the gateway starts with her, and her client reaches it over
#    WireGuard with a warm L2TP/IPsec session beside it.
# 2. add: carol, with a key pair made by `tandem account add --generate-key`, leased an address;
#    the running gateway takes her within a few seconds; `tandem profile` gives her wg-quick file
#    and wireguard-go carries ping through it. `tandem account set-mtu-probe-target` then puts
#    where the gateway probes her path MTU in the store, and the gateway probes there; cleared,
#    it stops. `tandem account set-class` gives her a class, which the gateway's status shows;
#    cleared, it goes.
# 3. rotate: a new key for carol with a 20 s overlap; during it both keys are WireGuard peers,
#    her old session carries on, and her device moving to the new key works at once (the
#    account's addresses follow the new key's handshake); after it the old key is gone and a
#    client on it gets nothing through, while the new key works.
#    Then disable and enable: her key leaves the gateway and comes back, her address stays.
# 4. revoke: alice's WireGuard key leaves at once and her live L2TP/IPsec session is hung up;
#    her client gets nothing through on either path from then on (its L2TP logins are refused).
#    `tandem account events alice` shows her history from the store, newest first: the changes,
#    and the gateway's L2TP login, hang-up and refusals of her.
# 5. remove: alice is gone from the store; list and show say so.
# 6. the event log ([events] file): one JSON object per line, each with time, node and event;
#    the handshakes, logins, account changes, the key switch, the revocation and the hang-up are
#    there, and no password is.
# 7. the admin socket: `tandem account` has the gateway apply each change before it returns (the
#    key is a peer when the command ends); `tandem status` shows every daemon's interfaces and
#    the gateway's accounts from one socket per daemon; with `[admin] group` its members (here
#    nobody in nogroup) may use it, reload the gateway and stop it (tandem reload and down go
#    through the socket), anyone else is refused with the reason.
# Also import-csv (after step 2): a file with passwords that others can read is refused; one bad
# row rejects the whole file, named by its line; fixed, its accounts are added and served.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v wireguard-go >/dev/null || die "wireguard-go missing (scripts/install-deps.sh)"
command -v wg-quick >/dev/null || die "wg-quick missing (wireguard-tools)"

GW="g$TAG"
CL="c$TAG"
C2="k$TAG"
RT="r$TAG"
GW_IF="hg$TAG"
CL_IF="hc$TAG"
WQ_IF="kq$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp" "/var/run/wireguard/$GW_IF.sock"
  "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.l2tp" "/var/run/wireguard/$CL_IF.sock"
  "/var/run/wireguard/$WQ_IF.sock")
routed_pair "$CL" "$GW" "$RT"
make_ns "$C2"
link_ns "$RT" "$C2" 88
ip -n "$C2" route add default via 192.168.88.1

fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "$CL_IF" "a pre-shared key of some length"
STORE="$TMPDIR_TEST/accounts.db"
# The same gateway with its accounts in the store: no [[account]] sections, [accounts] naming it.
EVENTS="$TMPDIR_TEST/events.jsonl"
store_config "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gws.toml" "$STORE" "$EVENTS" \
  'pool = "10.86.0.10-10.86.0.50"' 'pool6 = "fd86::/112"'
printf '\n[admin]\ngroup = "nogroup"\n' >>"$TMPDIR_TEST/gws.toml"

logs() {
  for n in gw cl; do
    [ -f "$TMPDIR_TEST/$n.log" ] || continue
    echo "--- $n log" >&2
    tail -40 "$TMPDIR_TEST/$n.log" >&2
  done
  "$TANDEM_BIN" account list -c "$TMPDIR_TEST/gws.toml" >&2 || true
  ip netns exec "$GW" wg show "$GW_IF" >&2 || true
}
ON_FAILURE=logs

account() { "$TANDEM_BIN" account "$@" -c "$TMPDIR_TEST/gws.toml"; }

note "1. import-config, then the gateway starts from the store"
out=$(account import-config --from "$TMPDIR_TEST/gw.toml") || die "import-config failed: $out"
note "$out"
[ "$(stat -c %a "$STORE")" = 600 ] || die "the store is not mode 0600"
account list >"$TMPDIR_TEST/list.txt" || die "account list failed"
cat "$TMPDIR_TEST/list.txt"
grep -qE "^alice +active +10\.86\.0\.2 +fd86::2 +1 +wireguard,l2tp" "$TMPDIR_TEST/list.txt" ||
  die "alice is not listed as imported"
start_tandem_up "$GW" "$TMPDIR_TEST/gws.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
grep -q "accounts: 1 in the store $STORE" "$TMPDIR_TEST/gw.log" || die "the gateway did not read the store"
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
CL_PID=$TANDEM_PID
WAIT_WATCH_PID=$CL_PID WAIT_WATCH_LOG="$TMPDIR_TEST/cl.log" \
  wait_until "alice's WireGuard and L2TP/IPsec paths healthy" 90 hybrid_both_healthy "$CL" "$CL_IF"
ping_ok "$CL" 10.86.0.1
# One view of the account: both of its sessions, where from, with their bytes.
alice_sessions() {
  "$TANDEM_BIN" status "$GW_IF" >"$TMPDIR_TEST/alice-status.txt" &&
    grep -qE "^    wireguard: 192\.168\.86\.2:[0-9]+, handshake .* ago, " "$TMPDIR_TEST/alice-status.txt" &&
    grep -qE "^    l2tp-ipsec: 192\.168\.86\.2:[0-9]+, .* received" "$TMPDIR_TEST/alice-status.txt"
}
wait_until "tandem status showing alice's WireGuard and L2TP/IPsec sessions" 20 alice_sessions
note "$(grep -A2 "account alice" "$TMPDIR_TEST/alice-status.txt" | tr -s ' ')"

gw_peers() { ip netns exec "$GW" wg show "$GW_IF" peers; }
has_peer() { gw_peers | grep -qxF "$1"; }
lacks_peer() { ! gw_peers | grep -qxF "$1"; }
applied() { grep -qE "accounts: the store's revision [0-9]+ applied \($1\)" "$TMPDIR_TEST/gw.log"; }

note "2. add carol while the gateway runs"
account add carol --generate-key --private-key-out "$TMPDIR_TEST/carol.key" >"$TMPDIR_TEST/add.txt" ||
  die "account add failed: $(cat "$TMPDIR_TEST/add.txt")"
cat "$TMPDIR_TEST/add.txt"
[ "$(stat -c %a "$TMPDIR_TEST/carol.key")" = 600 ] || die "carol's private key is not mode 0600"
CAROL_PUB=$(wg pubkey <"$TMPDIR_TEST/carol.key")
grep -qxF "  wireguard key: $CAROL_PUB" "$TMPDIR_TEST/add.txt" || die "add did not show carol's key"
CAROL_IP=$(account show carol --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ipv4"]["address"])')
[ "$CAROL_IP" = 10.86.0.10 ] || die "carol was leased $CAROL_IP, not the pool's first 10.86.0.10"
# The command asks the gateway to apply it on its admin socket, and returns once it has.
grep -qx "gateway gws applied it" "$TMPDIR_TEST/add.txt" || die "add did not say the gateway applied it"
has_peer "$CAROL_PUB" || die "carol's key is not a peer when tandem account add returns"
applied carol || die "the gateway's log does not name carol's change"

# carol_up KEYFILE: carol's profile with that key (or, with -, the file as it stands), brought
# up by wg-quick with wireguard-go in C2; carol_down takes it down.
CAROL_CONF="$TMPDIR_TEST/conf/$WQ_IF.conf"
carol_up() {
  mkdir -p "$TMPDIR_TEST/conf"
  [ "$1" = - ] ||
    "$TANDEM_BIN" profile --config "$TMPDIR_TEST/gws.toml" --account carol --format wg-quick \
      --endpoint 192.168.87.2 --private-key-file "$1" -o "$CAROL_CONF" ||
    die "tandem profile for carol failed"
  wg_quick_up "$C2" "$CAROL_CONF"
}
carol_down() { wg_quick_down "$C2" "$CAROL_CONF"; }
carol_up "$TMPDIR_TEST/carol.key"
grep -qx "Address = 10.86.0.10/32, fd86::10/128" "$TMPDIR_TEST/conf/$WQ_IF.conf" ||
  die "carol's profile does not carry her leased addresses"
cp "$TMPDIR_TEST/conf/$WQ_IF.conf" "$TMPDIR_TEST/carol-old.conf"
ping_ok "$C2" 10.86.0.1

note "2a. where the gateway probes carol's path MTU, kept in the store"
carol_probe() { hybrid_field "$GW" "$GW_IF" "[a.get('mtu_probe_target') for a in d['accounts'] if a['name'] == 'carol'][0]"; }
account set-mtu-probe-target carol "$CAROL_IP" >"$TMPDIR_TEST/target.txt" ||
  die "account set-mtu-probe-target failed: $(cat "$TMPDIR_TEST/target.txt")"
grep -qx "gateway gws applied it" "$TMPDIR_TEST/target.txt" || die "set-mtu-probe-target: $(cat "$TMPDIR_TEST/target.txt")"
account show carol | grep -qx "  path MTU probed at: $CAROL_IP" || die "account show does not name carol's probe target"
[ "$(carol_probe)" = "$CAROL_IP" ] || die "the gateway does not probe carol at $CAROL_IP: $(carol_probe)"
note "carol's path MTU probed at $(carol_probe): $(hybrid_field "$GW" "$GW_IF" "[a['mtu_probe']['state'] for a in d['accounts'] if a['name'] == 'carol'][0]")"
account set-mtu-probe-target carol >"$TMPDIR_TEST/target.txt" || die "clearing carol's probe target failed"
[ "$(carol_probe)" = None ] || die "the gateway still probes carol at $(carol_probe)"

note "2a. carol's class, kept in the store"
carol_class() { hybrid_field "$GW" "$GW_IF" "[a.get('class') for a in d['accounts'] if a['name'] == 'carol'][0]"; }
account set-class carol contractors >"$TMPDIR_TEST/class.txt" ||
  die "account set-class failed: $(cat "$TMPDIR_TEST/class.txt")"
grep -qx "gateway gws applied it" "$TMPDIR_TEST/class.txt" || die "set-class: $(cat "$TMPDIR_TEST/class.txt")"
account show carol | grep -qx "  class: contractors" || die "account show does not name carol's class"
[ "$(carol_class)" = contractors ] || die "the gateway's status gives carol's class as $(carol_class)"
account set-class carol >"$TMPDIR_TEST/class.txt" || die "clearing carol's class failed"
[ "$(carol_class)" = None ] || die "carol still has class $(carol_class)"
! account set-class carol "Not A Class" 2>"$TMPDIR_TEST/class.txt" || die "a class that is no class name was taken"
grep -q "class 'Not A Class' must be 1 to 32" "$TMPDIR_TEST/class.txt" || die "set-class: $(cat "$TMPDIR_TEST/class.txt")"

note "2b. import-csv: one bad row rejects the whole file; fixed, every row is added"
DAVE_PUB=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
ERIN_PUB=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
printf 'name,public_key,password,ipv4\ndave,%s,,\nerin,%s,"a, quoted ""password""",\nfrank,not-a-key,,\n' \
  "$DAVE_PUB" "$ERIN_PUB" >"$TMPDIR_TEST/bad.csv"
chmod 644 "$TMPDIR_TEST/bad.csv"
account import-csv --from "$TMPDIR_TEST/bad.csv" 2>"$TMPDIR_TEST/csv.err" && die "a CSV with passwords others can read was imported"
grep -q "chmod 600 $TMPDIR_TEST/bad.csv" "$TMPDIR_TEST/csv.err" || die "no chmod 600 hint: $(cat "$TMPDIR_TEST/csv.err")"
chmod 600 "$TMPDIR_TEST/bad.csv"
account import-csv --from "$TMPDIR_TEST/bad.csv" 2>"$TMPDIR_TEST/csv.err" && die "a CSV with a bad row was imported"
grep -q "bad.csv:4: public_key 'not-a-key' is not a base64 WireGuard key" "$TMPDIR_TEST/csv.err" ||
  die "the bad row is not reported by its line: $(cat "$TMPDIR_TEST/csv.err")"
grep -q "nothing imported (1 row rejected)" "$TMPDIR_TEST/csv.err" || die "no 'nothing imported'"
account show dave >/dev/null 2>&1 && die "a row of a rejected file was imported"
sed -i '$d' "$TMPDIR_TEST/bad.csv"
out=$(account import-csv --from "$TMPDIR_TEST/bad.csv") || die "import-csv failed: $out"
[ "$out" = "2 accounts imported from $TMPDIR_TEST/bad.csv
gateway gws applied it" ] || die "unexpected: $out"
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the imported accounts' keys peers of the gateway" 10 has_peer "$ERIN_PUB"
has_peer "$DAVE_PUB" || die "dave's key is not a peer"
account show erin | grep -q "logins: wireguard, l2tp" || die "erin has no L2TP login"

note "3. rotate carol's key with a 20 s overlap"
account rotate carol --generate-key --private-key-out "$TMPDIR_TEST/carol2.key" --overlap 20s ||
  die "account rotate failed"
rotated=$(now_ms)
CAROL2_PUB=$(wg pubkey <"$TMPDIR_TEST/carol2.key")
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "carol's new key a peer" 10 has_peer "$CAROL2_PUB"
has_peer "$CAROL_PUB" || die "carol's old key left before its overlap ended"
ip netns exec "$C2" ping -c 3 -i 0.3 -W 2 10.86.0.1 >/dev/null ||
  die "carol's old key stopped working during the overlap"
note "during the overlap both keys are peers and the old key's session carries on"
# Her device moves to the new key within the overlap: the addresses follow its handshake.
carol_down
carol_up "$TMPDIR_TEST/carol2.key"
ping_ok "$C2" 10.86.0.1
has_peer "$CAROL_PUB" || die "the overlap ended before the new key was tried: the test proves nothing"
grep -q "the account's addresses move to it from its other key" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say the addresses moved to the new key"
note "the new key works during the overlap ($(($(now_ms) - rotated)) ms after the rotation)"
carol_down
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "carol's old key gone after the overlap" 30 lacks_peer "$CAROL_PUB"
gone=$(($(now_ms) - rotated))
note "the old key left $gone ms after the rotation (overlap 20000 ms)"
[ "$gone" -ge 19500 ] || die "the old key left after $gone ms, before its overlap ended"
grep -q "a rotated key's overlap is over" "$TMPDIR_TEST/gw.log" || die "no log line for the overlap's end"
# After the overlap the old key is refused: tandem profile will not make it a file any more,
# and her old file gets nothing through.
"$TANDEM_BIN" profile --config "$TMPDIR_TEST/gws.toml" --account carol --format wg-quick \
  --endpoint 192.168.87.2 --private-key-file "$TMPDIR_TEST/carol.key" >/dev/null 2>&1 &&
  die "tandem profile made a file for carol's ended key"
cp "$TMPDIR_TEST/carol-old.conf" "$TMPDIR_TEST/conf/$WQ_IF.conf"
carol_up -
if ip netns exec "$C2" ping -c 3 -i 0.5 -W 2 10.86.0.1 >/dev/null 2>&1; then
  die "carol's old key still carries traffic after the overlap"
fi
note "the old key gets nothing through after the overlap"
carol_down
carol_up "$TMPDIR_TEST/carol2.key"
ping_ok "$C2" 10.86.0.1
carol_down

note "3b. disable carol, then enable her: her key leaves and comes back, her address stays"
account disable carol >"$TMPDIR_TEST/disable.txt" || die "account disable failed"
grep -qx "gateway gws applied it" "$TMPDIR_TEST/disable.txt" || die "disable: $(cat "$TMPDIR_TEST/disable.txt")"
lacks_peer "$CAROL2_PUB" || die "carol's key is still a peer when tandem account disable returns"
account show carol | grep -q "state: disabled" || die "carol is not shown disabled"
account enable carol >"$TMPDIR_TEST/enable.txt" || die "account enable failed"
has_peer "$CAROL2_PUB" || die "carol's key is not a peer again when tandem account enable returns"
[ "$(account show carol --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["ipv4"]["address"])')" = "$CAROL_IP" ] ||
  die "carol's address changed across disable and enable"
carol_up -
ping_ok "$C2" 10.86.0.1
carol_down

note "4. revoke alice: her WireGuard key and her live L2TP/IPsec session end at once"
alice_l2tp() {  # True or False: alice has a live L2TP/IPsec session at the gateway
  [ "$(hybrid_field "$GW" "$GW_IF" 'any("l2tp-ipsec" in a["paths"] for a in d["accounts"] if a["name"] == "alice")')" = "$1" ]
}
wait_until "alice's warm L2TP/IPsec session at the gateway" 30 alice_l2tp True
account revoke alice || die "account revoke failed"
revoked=$(now_ms)
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "alice's key gone from the gateway" 5 lacks_peer "$CL_PUB"
note "alice's key gone $(($(now_ms) - revoked)) ms after tandem account revoke"
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_log "$TMPDIR_TEST/gw.log" "account alice disabled: hanging up its L2TP/IPsec session" 5
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "alice's L2TP/IPsec session ended" 10 alice_l2tp False
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the revocation applied" 10 applied alice
note "revocation applied $(($(now_ms) - revoked)) ms after tandem account revoke"
# From now on nothing gets through, whichever path her client tries (it fails over to L2TP/IPsec
# and is refused there).
sleep 10
if ip netns exec "$CL" ping -c 3 -i 0.5 -W 2 10.86.0.1 >/dev/null 2>&1; then
  die "alice's client still reaches the gateway after the revocation"
fi
account show alice | grep -q "state: revoked" || die "alice is not shown revoked"
account enable alice 2>"$TMPDIR_TEST/enable.err" && die "a revoked account was enabled again"
note "enabling a revoked account is refused: $(cat "$TMPDIR_TEST/enable.err")"

# The store keeps alice's history (`tandem account events`): her import and revocation, and what
# the gateway saw of her: her L2TP login, the hang-up, and her client's logins refused since.
history_has() { account events alice | grep -q "  $1  alice  "; }
wait_until "alice's refused L2TP login in her history in the store" 20 history_has l2tp.login_refused
account events alice >"$TMPDIR_TEST/history.txt" || die "account events failed"
head -12 "$TMPDIR_TEST/history.txt"
for kind in account.revoked account.added l2tp.login session.hung_up l2tp.login_refused; do
  grep -q "  $kind  alice  " "$TMPDIR_TEST/history.txt" || die "alice's history in the store has no $kind"
done
[ "$(grep -m1 "  account\." "$TMPDIR_TEST/history.txt" | awk '{print $2}')" = account.revoked ] ||
  die "alice's history does not show the revocation as her latest change (newest first)"
grep "  l2tp.login_refused  alice  " "$TMPDIR_TEST/history.txt" | grep -q '"reason":"account alice: disabled"' ||
  die "the refusals in alice's history do not give her account's state as the reason"
account events --json --limit 1 | python3 -c 'import json, sys; e = json.load(sys.stdin); assert len(e) == 1 and e[0]["event"] and isinstance(e[0]["detail"], dict), e' ||
  die "account events --json is not one event object with its detail"

note "5. remove alice"
account remove alice || die "account remove failed"
account list | grep -q "^alice " && die "alice is still listed after remove"
account show alice 2>/dev/null && die "show found a removed account"

note "6. the gateway's event log"
wait_until "account.removed for alice in the event log" 5 event_seen account.removed account=alice
[ $((8#$(stat -c %a "$EVENTS") & 8#027)) = 0 ] ||
  die "others (or the group) may write or read the event log: mode $(stat -c %a "$EVENTS")"
python3 - "$EVENTS" "$GW_IF" <<'PY' || die "the event log holds a line that is not a whole event"
import json, sys
kinds = {}
for n, line in enumerate(open(sys.argv[1]), 1):
    e = json.loads(line)
    for field in ("time", "node", "event"):
        if field not in e:
            sys.exit(f"line {n} has no {field}: {line}")
    if e["node"] != sys.argv[2]:
        sys.exit(f"line {n} names node {e['node']}")
    kinds[e["event"]] = kinds.get(e["event"], 0) + 1
print("--- events:", ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
PY
for check in "wireguard.handshake peer=alice role=responder" "l2tp.login user=alice" \
  "account.added account=carol" "account.keys_changed account=carol" \
  "wireguard.key_switched peer=carol" "account.revoked account=alice" \
  "session.hung_up account=alice protocol=L2TP/IPsec" "account.added account=erin"; do
  # shellcheck disable=SC2086  # the kind and its fields, word by word
  event_seen $check || die "no event in the log: $check"
done
# Her client dials L2TP/IPsec again after the hang-up, and is refused with the reason.
event_seen l2tp.login_refused user=alice "reason=account alice: disabled" ||
  die "no refusal of alice's login, with its reason, in the event log"
! grep -q "correct horse\|quoted" "$EVENTS" || die "a password is in the event log"
note "7. tandem status through the daemons' admin sockets"
GW_ADMIN=$(admin_socket "$TMPDIR_TEST/gws.toml")
CL_ADMIN=$(admin_socket "$TMPDIR_TEST/cl.toml")
[ "$(stat -c '%a %G' "$GW_ADMIN")" = "660 nogroup" ] ||
  die "the gateway's admin socket is $(stat -c '%a %G' "$GW_ADMIN"), not 660 nogroup"
[ "$(stat -c '%a %U' "$CL_ADMIN")" = "600 root" ] ||
  die "the client's admin socket (no [admin] group) is $(stat -c '%a %U' "$CL_ADMIN"), not 600 root"
"$TANDEM_BIN" status >"$TMPDIR_TEST/status.txt" || die "tandem status failed"
grep -q "account carol: 10.86.0.10" "$TMPDIR_TEST/status.txt" ||
  die "tandem status does not show the gateway's account carol: $(cat "$TMPDIR_TEST/status.txt")"
grep -q "^interface: $CL_IF" "$TMPDIR_TEST/status.txt" || die "tandem status does not show $CL_IF"
grep -qE "^    wireguard: 192\.168\.88\.2:[0-9]+, handshake .* ago" "$TMPDIR_TEST/status.txt" ||
  die "tandem status does not show carol's WireGuard session: $(cat "$TMPDIR_TEST/status.txt")"
"$TANDEM_BIN" status --json | python3 -c '
import json, sys
docs, gw = json.load(sys.stdin), sys.argv[1]
kinds = sorted(d.get("kind", "wireguard") for d in docs if gw in (d.get("interface"), d.get("name")))
if kinds != ["hybrid", "l2tp", "wireguard"]:
    sys.exit(f"the gateway {gw} shows as {kinds}, not its hybrid document with its paths")
' "$GW_IF" || die "tandem status --json does not show the gateway whole"
# As nobody: in the admin group, status works; outside it, it is refused and says why.
chmod 711 "$TMPDIR_TEST"
install -m 755 "$TANDEM_BIN" "$TMPDIR_TEST/tandem"
as_nobody() {  # GROUP ARGS...: the tandem command as uid 65534 with only GROUP
  local gid=$1
  shift
  setpriv --reuid=65534 --regid="$gid" --clear-groups \
    env TANDEM_RUN_DIR="$TANDEM_RUN_DIR" "$TMPDIR_TEST/tandem" "$@"
}
as_nobody 65534 status "$GW_IF" >"$TMPDIR_TEST/nobody.txt" 2>&1 ||
  die "nobody in nogroup cannot use the gateway's admin socket: $(cat "$TMPDIR_TEST/nobody.txt")"
grep -q "account carol" "$TMPDIR_TEST/nobody.txt" || die "nobody's status lacks the accounts"
as_nobody 65534 status "$CL_IF" >"$TMPDIR_TEST/refused.txt" 2>&1 &&
  die "nobody used the client's root-only admin socket"
grep -q "Permission denied.*run as root or as a member" "$TMPDIR_TEST/refused.txt" ||
  die "the refusal does not say who may: $(cat "$TMPDIR_TEST/refused.txt")"
note "nobody: gateway status allowed (group nogroup), client's refused: $(head -1 "$TMPDIR_TEST/refused.txt")"
# tandem reload goes through the admin socket too: nobody in nogroup may reload the gateway, and
# is refused for the client, with both ways of reaching it named.
as_nobody 65534 reload "$TMPDIR_TEST/gws.toml" >"$TMPDIR_TEST/nobody-reload.txt" 2>&1 ||
  die "nobody in nogroup cannot reload the gateway: $(cat "$TMPDIR_TEST/nobody-reload.txt")"
grep -q "^tandem: gws reloaded: " "$TMPDIR_TEST/nobody-reload.txt" ||
  die "the reload did not report its outcome: $(cat "$TMPDIR_TEST/nobody-reload.txt")"
as_nobody 65534 reload "$TMPDIR_TEST/cl.toml" >"$TMPDIR_TEST/refused-reload.txt" 2>&1 &&
  die "nobody reloaded the client through its root-only admin socket"
grep -q "Permission denied" "$TMPDIR_TEST/refused-reload.txt" &&
  grep -q "run tandem reload as root" "$TMPDIR_TEST/refused-reload.txt" ||
  die "the refused reload does not say why: $(cat "$TMPDIR_TEST/refused-reload.txt")"
note "nobody: $(cat "$TMPDIR_TEST/nobody-reload.txt"); the client's refused"

kill -0 "$GW_PID" || die "the gateway died"
stop_pid "$CL_PID" 30 "alice's client"
# And tandem down: nobody in nogroup stops the gateway through its admin socket, no signal sent.
as_nobody 65534 down "$TMPDIR_TEST/gws.toml" >"$TMPDIR_TEST/nobody-down.txt" 2>&1 ||
  die "nobody in nogroup cannot stop the gateway: $(cat "$TMPDIR_TEST/nobody-down.txt")"
grep -q "asked on its admin socket" "$TMPDIR_TEST/nobody-down.txt" &&
  grep -q "gws stopped (PID $GW_PID exited" "$TMPDIR_TEST/nobody-down.txt" ||
  die "tandem down did not stop the gateway through its socket: $(cat "$TMPDIR_TEST/nobody-down.txt")"
! kill -0 "$GW_PID" 2>/dev/null || die "the gateway still runs after tandem down"
grep -q "stop asked for on the admin socket by uid 65534" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say who stopped it"
note "nobody: $(tail -1 "$TMPDIR_TEST/nobody-down.txt")"
echo "PASS: accounts in the store, changed live (import, add, rotate, revoke, remove)"
