#!/bin/bash
# A hybrid gateway whose accounts log in over L2TP/IPsec through RADIUS (a real FreeRADIUS in the
# gateway's namespace): the account of the user's name must exist, gives the session its
# address, and its state in Tandem wins over an Access-Accept.
#   - bob (an account with no password of its own) logs in with MS-CHAPv2 checked by FreeRADIUS,
#     gets his account's address 10.88.0.3 and reaches the gateway;
#   - dave's account is disabled: FreeRADIUS accepts him, the gateway refuses him and says why;
#   - carol's Access-Accept carries a Framed-IP-Address, but her account's address is fixed:
#     refused, and the log says so;
#   - grace's Framed-IP-Address is bob's account's address: refused and logged;
#   - erin has no account: refused without asking FreeRADIUS;
#   - alice's account has a WireGuard key and a leased address (10.88.0.100); her Access-Accept
#     gives 10.88.0.2, which her L2TP/IPsec session gets and which then becomes her account's
#     address on WireGuard too: the gateway's peer for her key allows 10.88.0.2, and her
#     WireGuard node at 10.88.0.2 reaches the gateway.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/../interop/freeradius_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
PSK="a pre-shared key of some length"
SECRET="radius-shared-secret-$TAG"
AUTH_PORT=1812
ACCT_PORT=1813

BO="b$TAG"
BO_IF="lb$TAG"
gateway_with_alice "$BO"
SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$BO_IF.l2tp")
RADDB="$TMPDIR_TEST/raddb"

write_raddb "$RADDB"
cat >"$RADDB/users" <<'EOF'
bob Cleartext-Password := "bob's password"

dave Cleartext-Password := "dave's password"

carol Cleartext-Password := "carol's password"
    Framed-IP-Address = 10.88.0.99

grace Cleartext-Password := "grace's password"
    Framed-IP-Address = 10.88.0.3

alice Cleartext-Password := "alice's password"
    Framed-IP-Address = 10.88.0.2

erin Cleartext-Password := "erin's password"
EOF

logs() {
  for n in gw client; do
    [ -f "$TMPDIR_TEST/$n.log" ] && { echo "--- $n log" >&2; tail -25 "$TMPDIR_TEST/$n.log" >&2; }
  done
  echo "--- FreeRADIUS log" >&2
  tail -10 "$RADDB/log/radius.log" >&2 2>/dev/null || true
}
ON_FAILURE=logs

freeradius_start "$GW" "$RADDB"

{ gateway_interface; gateway_l2tp "$PSK"; } >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[radius]
[[radius.server]]
address = "127.0.0.1:$AUTH_PORT"
secret = "$SECRET"

[login_throttle]
enabled = false

[accounts]
pool = "10.88.0.100-10.88.0.150"

[[account]]
name = "alice"
public_key = "$AL_PUB"

[[account]]
name = "bob"
address = "10.88.0.3"

[[account]]
name = "dave"
address = "10.88.0.4"
disabled = true

[[account]]
name = "carol"
address = "10.88.0.5"

[[account]]
name = "grace"
TOML
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID

# login USER: dials once from $BO with the password FreeRADIUS has for USER (login_once).
login() { login_once "$BO" "$BO_IF" "$1" "$1's password" "$PSK"; }

login bob
[ "$LOGIN" = 10.88.0.3 ] || die "bob has $LOGIN, not his account's 10.88.0.3"
expect_log "logins: 'bob' accepted: accepted by RADIUS server 127.0.0.1:$AUTH_PORT"

login dave
[ "$LOGIN" = refused ] || die "dave's disabled account logged in"
expect_log "login refused: user 'dave' (MS-CHAPv2) from 192.168.89.2: accepted by RADIUS server 127.0.0.1:$AUTH_PORT, but account dave: disabled"
grep -q "Login OK: \[dave\]" "$RADDB/log/radius.log" || die "FreeRADIUS did not accept dave"

login carol
[ "$LOGIN" = refused ] || die "carol logged in with a Framed-IP-Address that is not her account's"
expect_log "its address 10.88.0.99 was refused: account carol's address is fixed at 10.88.0.5"

login grace
[ "$LOGIN" = refused ] || die "grace logged in with bob's address as her Framed-IP-Address"
expect_log "its address 10.88.0.3 was refused: 10.88.0.3 is account bob's address"

login erin
[ "$LOGIN" = refused ] || die "erin, who has no account, logged in"
expect_log "login refused: user 'erin' (MS-CHAPv2) from 192.168.89.2: no account has this user"
! grep -q "\[erin\]" "$RADDB/log/radius.log" || die "FreeRADIUS was asked about erin, who has no account"

# alice: her leased address first; her Framed-IP-Address after her L2TP/IPsec login, on every
# protocol.
alice_address() {
  hybrid_field "$GW" "$GW_IF" "[a.get('ipv4') for a in d['accounts'] if a['name'] == 'alice'][0]"
}
alice_allowed() {
  ip netns exec "$GW" wg show "$GW_IF" allowed-ips | awk -v k="$AL_PUB" '$1 == k { print $2 }'
}
[ "$(alice_address)" = 10.88.0.100 ] || die "alice's leased address is $(alice_address), not 10.88.0.100"
[ "$(alice_allowed)" = 10.88.0.100/32 ] || die "alice's key allows $(alice_allowed), not 10.88.0.100/32"
login alice
[ "$LOGIN" = 10.88.0.2 ] || die "alice has $LOGIN, not her Framed-IP-Address 10.88.0.2"
expect_log "account alice: its IPv4 address is now 10.88.0.2 (was 10.88.0.100)"
[ "$(alice_address)" = 10.88.0.2 ] || die "alice's account has $(alice_address), not 10.88.0.2"
[ "$(alice_allowed)" = 10.88.0.2/32 ] ||
  die "alice's WireGuard key allows $(alice_allowed), not her Framed-IP-Address 10.88.0.2/32"
note "alice's account address and WireGuard allowed IPs: 10.88.0.2"
alice_config "$TMPDIR_TEST/alice.toml" "$AL_IF"
start_tandem_up "$AL" "$TMPDIR_TEST/alice.toml" "$TMPDIR_TEST/alice.log" "/var/run/wireguard/$AL_IF.sock"
ping_ok "$AL" 10.88.0.1
stop_pid "$TANDEM_PID" 30 "alice's WireGuard node"

stop_pid "$GW_PID" 30 "the gateway"
stop_pid "$FREERADIUS_PID" 30 "FreeRADIUS"
echo "PASS: a hybrid gateway's accounts through RADIUS: bob in with his account's address; dave (disabled), carol (fixed address), grace (bob's address), erin (no account) refused; alice's Framed-IP-Address became her account's address on L2TP/IPsec and WireGuard"
