#!/bin/bash
# L2TP logins checked against a real OpenLDAP directory (slapd, started here with a throwaway
# database in the gateway's namespace): a PAP login is a bind as the user, then a group rule.
#   ldap_login.sh starttls-search: ldap:// upgraded with StartTLS (the test CA), the user found
#     by a search (uid={user}), membership from the user's memberOf (slapd's memberof overlay).
#   ldap_login.sh ldaps-template: ldaps://, the user's DN from a template, membership from the
#     group's member attribute; then the same gateway with a CA that did not sign the directory's
#     certificate, which must refuse to log anyone in.
# In both: alice (in cn=vpn) logs in and her session carries traffic; bob (right password, not
# in cn=vpn) is refused; alice's wrong password is refused; "al*" with alice's password is
# refused, because the name is escaped in the filter (or DN) rather than matching alice.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/slapd_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
MODE=${1:?usage: ldap_login.sh starttls-search|ldaps-template}

GW="g$TAG"
CL="c$TAG"
make_ns "$GW"
make_ns "$CL"
link_ns "$GW" "$CL" 76
GW_IF="lg$TAG"
CL_IF="lc$TAG"
LDAP_PORT=3389
LDAPS_PORT=6636
PEOPLE="ou=people,$SLAPD_SUFFIX"
VPN="cn=vpn,ou=groups,$SLAPD_SUFFIX"

logs() {
  echo "--- gateway log" >&2
  tail -30 "$TMPDIR_TEST/gw.log" >&2
  [ -f "$TMPDIR_TEST/client.log" ] && { echo "--- client log" >&2; tail -10 "$TMPDIR_TEST/client.log" >&2; }
  [ -f "$SLAPD_DIR/slapd.log" ] && { echo "--- slapd log" >&2; tail -20 "$SLAPD_DIR/slapd.log" >&2; }
}
ON_FAILURE=logs

slapd_start "$GW" "$LDAP_PORT" "$LDAPS_PORT"
slapd_add_user alice "correct horse"
slapd_add_user alx "correct horse"
slapd_add_user bob "battery staple"
slapd_add_group vpn alice
slapd_add_group staff alice bob
note "slapd up in $GW: alice (in cn=vpn), bob (not), alx (decoy for a wildcard)"

# gateway_config CA: the gateway with [ldap] for this mode, trusting CA.
gateway_config() {
  local ldap
  case $MODE in
    starttls-search)
      ldap="uri = \"ldap://127.0.0.1:$LDAP_PORT\"
start_tls = true
base = \"$PEOPLE\"
require_group = \"$VPN\"" ;;
    ldaps-template)
      ldap="uri = \"ldaps://127.0.0.1:$LDAPS_PORT\"
user_dn = \"uid={user},$PEOPLE\"
require_group = \"$VPN\"
group_membership = \"member\"" ;;
    *) die "unknown mode $MODE" ;;
  esac
  cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "$GW_IF"
address = "10.76.0.1/24"
pool = "10.76.0.10-10.76.0.50"

[ldap]
$ldap
ca_file = "$1"
timeout = 5

# Each refusal here is one attempt; the throttle has its own test.
[login_throttle]
enabled = false
TOML
}

# login USER PASSWORD: dials once from the client namespace; LOGIN is "up" or the client's reason.
login() {
  cat >"$TMPDIR_TEST/client.toml" <<TOML
[l2tp]
mode = "lac"
allow_unencrypted = true
interface = "$CL_IF"
server = "192.168.76.1"
routes = ["10.76.0.0/24"]

[[l2tp.session]]
user = "$1"
password = "$2"
TOML
  ip netns exec "$CL" "$TANDEM_BIN" up -c "$TMPDIR_TEST/client.toml" >"$TMPDIR_TEST/client.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  outcome() {
    ip -n "$CL" -4 -o addr show dev "$CL_IF" 2>/dev/null | grep -q "inet 10.76.0." ||
      grep -q "refused our PAP credentials" "$TMPDIR_TEST/client.log"
  }
  WAIT_WATCH_PID=$pid WAIT_WATCH_LOG="$TMPDIR_TEST/client.log" \
    wait_until "an answer to $1's login" 40 outcome
  if ip -n "$CL" -4 -o addr show dev "$CL_IF" 2>/dev/null | grep -q "inet 10.76.0."; then
    LOGIN=up
    ping_ok "$CL" 10.76.0.1
  else
    LOGIN=$(grep -m1 -o "refused our PAP credentials.*" "$TMPDIR_TEST/client.log")
  fi
  stop_pid "$pid" 30 "the client"
  note "$1: $LOGIN"
}

# expect_refused USER PASSWORD CLIENT_TEXT GATEWAY_LOG_TEXT
expect_refused() {
  login "$1" "$2"
  [ "$LOGIN" != up ] || die "$1 logged in with '$2'"
  [[ $LOGIN == *"$3"* ]] || die "$1's client was told '$LOGIN', not '$3'"
  grep -qF -- "$4" "$TMPDIR_TEST/gw.log" || die "the gateway's log does not say: $4"
  note "gateway: $(grep -m1 -F -- "$4" "$TMPDIR_TEST/gw.log" | sed 's/.*\] //')"
}

gateway_config "$SLAPD_CA"
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
grep -q "logins: checked by the directory at" "$TMPDIR_TEST/gw.log" ||
  die "the gateway does not say the directory checks its logins"

login alice "correct horse"
[ "$LOGIN" = up ] || die "alice was refused: $LOGIN"
grep -q "logins: 'alice' accepted: bound as uid=alice,$PEOPLE, a member of $VPN" \
  "$TMPDIR_TEST/gw.log" || die "the gateway's log does not say how alice was accepted"

expect_refused bob "battery staple" "not allowed to log in here" \
  "uid=bob,$PEOPLE is not a member of $VPN"
expect_refused alice "wrong horse" "wrong user name or password" \
  "the directory refused the password of uid=alice,$PEOPLE"
if [ "$MODE" = starttls-search ]; then
  expect_refused 'al*' "correct horse" "wrong user name or password" \
    "no entry under $PEOPLE matches (uid=al\\2a)"
  # The directory saw the connection upgraded before any bind.
  grep -q "STARTTLS" "$SLAPD_DIR/slapd.log" || die "slapd's log shows no STARTTLS"
else
  expect_refused 'al*' "correct horse" "wrong user name or password" \
    "the directory refused the password of uid=al*,$PEOPLE"
  grep -q "TLS established" "$SLAPD_DIR/slapd.log" ||
    grep -q "conn=.*fd=.* ACCEPT from IP=127.0.0.1.*(IP=127.0.0.1:$LDAPS_PORT)" "$SLAPD_DIR/slapd.log" ||
    die "slapd's log shows no connection to its ldaps port"
fi
! grep -q "correct horse\|battery staple\|wrong horse" "$TMPDIR_TEST/gw.log" ||
  die "a password is in the gateway's log"

failures=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json | python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
f = {(x["method"], x["reason"]): x["count"] for x in d["login_failures"]}
print(f.get(("PAP", "not_in_group"), 0), f.get(("PAP", "wrong_password"), 0),
      f.get(("PAP", "unknown_user"), 0))')
note "refusals in status (not_in_group wrong_password unknown_user): $failures"
if [ "$MODE" = starttls-search ]; then
  [ "$failures" = "1 1 1" ] || die "status counts $failures, not 1 1 1"
else
  # With a DN template, al* is a DN of no entry: the bind fails as a wrong password would.
  [ "$failures" = "1 2 0" ] || die "status counts $failures, not 1 2 0"
fi

if [ "$MODE" = ldaps-template ]; then
  note "the same gateway trusting a CA that did not sign the directory's certificate"
  stop_pid "$GW_PID" 30 "the gateway"
  gateway_config "$SLAPD_OTHER_CA"
  start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
  GW_PID=$TANDEM_PID
  expect_refused alice "correct horse" "the directory could not check the login" \
    "logins: 'alice' could not be checked: bind as uid=alice,$PEOPLE at ldaps://127.0.0.1:$LDAPS_PORT: Can't contact LDAP server; if the server is up, check that its TLS certificate chains to ca_file $SLAPD_OTHER_CA and names the host in the URI"
fi

stop_pid "$GW_PID" 30 "the gateway"
echo "PASS: LDAP logins ($MODE): alice in, bob out by group, wrong password and wildcard refused"
