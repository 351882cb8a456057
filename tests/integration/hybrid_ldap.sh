#!/bin/bash
# A hybrid gateway whose accounts log in over L2TP/IPsec through a real OpenLDAP directory
# (slapd, started here with a throwaway database in the gateway's namespace), with a group rule
# per account class ([[ldap.class]]) and [ldap] require_group for the accounts without one:
#   - alice (class staff, in cn=vpn-staff) logs in with her directory password, gets her
#     account's address 10.88.0.2 and carries traffic through the tunnel;
#   - bob (class contractors) is in cn=vpn-staff but not cn=vpn-contractors: refused as
#     not_in_group, the gateway's log naming his account, his class and the group;
#   - carol (no class) logs in by the default require_group cn=vpn;
#   - dave's account (class staff) is disabled: the directory accepts him, the gateway refuses;
#   - the status document shows each account's class and counts bob's refusal as not_in_group.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/slapd_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
PSK="a pre-shared key of some length"
LDAP_PORT=3389
PEOPLE="ou=people,$SLAPD_SUFFIX"
GROUPS_DN="ou=groups,$SLAPD_SUFFIX"

CL="b$TAG"
CL_IF="lb$TAG"
gateway_with_alice "$CL"
SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$CL_IF.l2tp")

logs() {
  for n in gw client; do
    [ -f "$TMPDIR_TEST/$n.log" ] && { echo "--- $n log" >&2; tail -25 "$TMPDIR_TEST/$n.log" >&2; }
  done
  [ -f "${SLAPD_DIR:-/nonexistent}/slapd.log" ] && { echo "--- slapd log" >&2; tail -20 "$SLAPD_DIR/slapd.log" >&2; }
  return 0
}
ON_FAILURE=logs

slapd_start "$GW" "$LDAP_PORT"
for user in alice bob carol dave erin; do slapd_add_user "$user" "$user's directory password"; done
slapd_add_group vpn-staff alice bob dave
slapd_add_group vpn-contractors erin
slapd_add_group vpn carol
note "slapd up in $GW: vpn-staff (alice, bob, dave), vpn-contractors (erin), vpn (carol)"

{ gateway_interface; gateway_l2tp "$PSK"; } >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[ldap]
uri = "ldap://127.0.0.1:$LDAP_PORT"
start_tls = true
ca_file = "$SLAPD_CA"
base = "$PEOPLE"
require_group = "cn=vpn,$GROUPS_DN"
timeout = 5

[[ldap.class]]
name = "staff"
require_group = "cn=vpn-staff,$GROUPS_DN"

[[ldap.class]]
name = "contractors"
require_group = "cn=vpn-contractors,$GROUPS_DN"

# Each refusal here is one attempt; the throttle has its own test.
[login_throttle]
enabled = false

[[account]]
name = "alice"
address = "10.88.0.2"
class = "staff"

[[account]]
name = "bob"
address = "10.88.0.3"
class = "contractors"

[[account]]
name = "carol"
address = "10.88.0.4"

[[account]]
name = "dave"
address = "10.88.0.5"
class = "staff"
disabled = true
TOML
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
grep -q "logins: checked by the directory at" "$TMPDIR_TEST/gw.log" ||
  die "the gateway does not say the directory checks its logins"

# login USER: dials once from $CL with USER's directory password (login_once).
login() { login_once "$CL" "$CL_IF" "$1" "$1's directory password" "$PSK"; }

login alice
[ "$LOGIN" = 10.88.0.2 ] || die "alice has $LOGIN, not her account's 10.88.0.2"
expect_log "logins: 'alice' accepted: bound as uid=alice,$PEOPLE, a member of cn=vpn-staff,$GROUPS_DN (account alice, class staff: its [[ldap.class]])"

login bob
[ "$LOGIN" = refused ] || die "bob, not in cn=vpn-contractors, logged in with $LOGIN"
grep -q "refused our PAP credentials.*not allowed to log in here" "$TMPDIR_TEST/client.log" ||
  die "bob's client was not told he may not log in here: $(grep -m1 "refused our" "$TMPDIR_TEST/client.log")"
expect_log "login refused: user 'bob' (PAP) from 192.168.89.2: uid=bob,$PEOPLE is not a member of cn=vpn-contractors,$GROUPS_DN (by memberOf; account bob, class contractors: its [[ldap.class]])"

login carol
[ "$LOGIN" = 10.88.0.4 ] || die "carol has $LOGIN, not her account's 10.88.0.4"
expect_log "logins: 'carol' accepted: bound as uid=carol,$PEOPLE, a member of cn=vpn,$GROUPS_DN (account carol, no class: [ldap] require_group)"

login dave
[ "$LOGIN" = refused ] || die "dave's disabled account logged in"
expect_log "login refused: user 'dave' (PAP) from 192.168.89.2: bound as uid=dave,$PEOPLE, a member of cn=vpn-staff,$GROUPS_DN (account dave, class staff: its [[ldap.class]]), but account dave: disabled"

! grep -q "directory password" "$TMPDIR_TEST/gw.log" || die "a password is in the gateway's log"

classes=$(hybrid_field "$GW" "$GW_IF" "' '.join(a['name'] + '=' + a.get('class', '-') for a in d['accounts'])")
note "classes in the gateway's status: $classes"
[ "$classes" = "alice=staff bob=contractors carol=- dave=staff" ] ||
  die "the status shows the classes as $classes"
# The L2TP path's own document counts the refusals by reason.
failures=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json | python3 -c 'import json, sys
f = {}
for doc in json.load(sys.stdin):
    for x in doc.get("login_failures", []):
        f[(x["method"], x["reason"])] = f.get((x["method"], x["reason"]), 0) + x["count"]
print(f.get(("PAP", "not_in_group"), 0), f.get(("PAP", "account_refused"), 0))')
note "refusals in status (not_in_group account_refused): $failures"
[ "$failures" = "1 1" ] || die "status counts $failures, not 1 1"

stop_pid "$GW_PID" 30 "the gateway"
stop_pid "$SLAPD_PID" 30 "slapd"
echo "PASS: a hybrid gateway's LDAP logins by account class: alice (staff) in with her address, bob (contractors) out by his class's group, carol in by require_group, dave (disabled) refused"
