#!/bin/bash
# L2TP logins checked by a real FreeRADIUS (Debian's freeradius, started here in the gateway's
# namespace with a throwaway configuration that requires Message-Authenticator from us), and
# the sessions accounted there. The gateway's first [[radius.server]] is dead (nothing listens
# on its port), so every login also shows the failover to the second.
#   - alice (MS-CHAPv2) is accepted and gets her Framed-IP-Address; her session carries traffic;
#     her wrong password is refused;
#   - bob (CHAP-MD5, then PAP) is accepted with an address from the pool; his wrong PAP password
#     is refused;
#   - accounting: alice's Start with her address and Class, an Interim-Update, and a Stop whose
#     octets and packets are what the gateway's status counted, with User-Request as the cause;
#   - carol's Session-Timeout of 6 s ends her session, Stop saying Session-Timeout;
#   - dave's Idle-Timeout of 4 s: pings every 0.5 s for 9 s keep his session up; once they stop
#     it is hung up, Stop saying Idle-Timeout;
#   - no password reaches the gateway's log;
#   - RadSec (RFC 6614): the gateway again, with FreeRADIUS's TLS listener as its only server
#     (our client certificate, its certificate checked against the test CA): alice logs in over
#     it; with a CA that did not sign FreeRADIUS's certificate she is refused and the log says
#     the certificate was refused.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/../interop/freeradius_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

GW="g$TAG"
CL="c$TAG"
make_ns "$GW"
make_ns "$CL"
link_ns "$GW" "$CL" 78
GW_IF="lg$TAG"
CL_IF="lc$TAG"
SECRET="radius-shared-secret-$TAG"
AUTH_PORT=1812
ACCT_PORT=1813
RADSEC_PORT=2083
RADDB="$TMPDIR_TEST/raddb"
DETAIL="$RADDB/radacct/detail"

write_raddb "$RADDB"
cat >"$RADDB/users" <<'EOF'
alice Cleartext-Password := "wonderland"
    Framed-IP-Address = 10.78.0.77,
    Class = "gold"

bob Cleartext-Password := "battery staple"

carol Cleartext-Password := "short visit"
    Session-Timeout = 6

dave Cleartext-Password := "quiet type"
    Idle-Timeout = 4
EOF

logs() {
  echo "--- gateway log" >&2
  tail -40 "$TMPDIR_TEST/gw.log" >&2
  [ -f "$TMPDIR_TEST/client.log" ] && { echo "--- client log" >&2; tail -10 "$TMPDIR_TEST/client.log" >&2; }
  echo "--- FreeRADIUS log" >&2
  tail -20 "$RADDB/log/radius.log" >&2 2>/dev/null || true
}
ON_FAILURE=logs

freeradius_start "$GW" "$RADDB"

cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "$GW_IF"
auth = ["mschapv2", "chap-md5", "pap"]
address = "10.78.0.1/24"
pool = "10.78.0.10-10.78.0.50"

[radius]
interim_interval = 10

# Nothing listens here: the first login waits 1 s for it, then the next server answers, and it
# is held down for the logins after.
[[radius.server]]
name = "dead"
address = "127.0.0.1:9"
secret = "$SECRET"
timeout = 1
retries = 0

[[radius.server]]
name = "freeradius"
address = "127.0.0.1:$AUTH_PORT"
secret = "$SECRET"

[login_throttle]
enabled = false
TOML
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
grep -q "logins: checked by RADIUS (dead, freeradius)" "$TMPDIR_TEST/gw.log" ||
  die "the gateway does not say RADIUS checks its logins"

# dial USER PASSWORD METHOD: starts a client in $CL; sets CLIENT_PID.
dial() {
  cat >"$TMPDIR_TEST/client.toml" <<TOML
[l2tp]
mode = "lac"
allow_unencrypted = true
interface = "$CL_IF"
server = "192.168.78.1"
routes = ["10.78.0.0/24"]
auth = ["$3"]

[[l2tp.session]]
user = "$1"
password = "$2"
TOML
  ip netns exec "$CL" "$TANDEM_BIN" up -c "$TMPDIR_TEST/client.toml" >"$TMPDIR_TEST/client.log" 2>&1 &
  CLIENT_PID=$!
  PIDS+=("$CLIENT_PID")
}
client_address() { ip -n "$CL" -4 -o addr show dev "$CL_IF" 2>/dev/null | awk '{print $4}' | cut -d/ -f1; }
answered() { [ -n "$(client_address)" ] || grep -q "refused our" "$TMPDIR_TEST/client.log"; }

# login USER PASSWORD METHOD: LOGIN is the client's address, or "refused".
login() {
  dial "$@"
  local t0
  t0=$(date +%s%N)
  WAIT_WATCH_PID=$CLIENT_PID WAIT_WATCH_LOG="$TMPDIR_TEST/client.log" \
    wait_until "an answer to $1's $3 login" 60 answered
  LOGIN=$(client_address)
  [ -n "$LOGIN" ] || LOGIN=refused
  note "$1 ($3): $LOGIN after $((($(date +%s%N) - t0) / 1000000)) ms"
}

login alice wonderland mschapv2
[ "$LOGIN" = 10.78.0.77 ] || die "alice has $LOGIN, not her Framed-IP-Address 10.78.0.77"
grep -q "logins: 'alice' accepted: accepted by RADIUS server freeradius" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say FreeRADIUS accepted alice"
grep -q "RADIUS server dead is not answering" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say the dead server failed"
ip netns exec "$CL" ping -c 5 -i 0.2 -W 2 10.78.0.1 >"$TMPDIR_TEST/ping.log" 2>&1 ||
  { cat "$TMPDIR_TEST/ping.log" >&2; die "no traffic through alice's session"; }

# record TYPE USER: the last detail record of that Acct-Status-Type for that user.
record() {
  awk -v RS= -v type="$1" -v user="$2" \
    'index($0, "Acct-Status-Type = " type) && index($0, "User-Name = \"" user "\"") { r = $0 } END { print r }' \
    "$DETAIL" 2>/dev/null
}
has_record() { [ -n "$(record "$1" "$2")" ]; }
WAIT_WATCH_PID=$GW_PID wait_until "alice's Accounting Start in the detail file" 30 has_record Start alice
start=$(record Start alice)
for line in 'Framed-IP-Address = 10.78.0.77' 'Class = 0x676f6c64' 'Calling-Station-Id = "192.168.78.2"'; do
  grep -qF -- "$line" <<<"$start" || { echo "$start" >&2; die "alice's Start lacks '$line'"; }
done
session_id=$(grep -o 'Acct-Session-Id = "[^"]*"' <<<"$start")
WAIT_WATCH_PID=$GW_PID wait_until "alice's Interim-Update" 40 has_record Interim-Update alice
grep -qF -- "$session_id" <<<"$(record Interim-Update alice)" ||
  die "the Interim-Update is not of alice's session ($session_id)"
note "alice: Start ($session_id, Framed-IP-Address, Class gold) and Interim-Update in the detail file"

# Her counts at the gateway, then her Stop: the same numbers.
counts=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json | python3 -c 'import json, sys
s = [x for x in json.load(sys.stdin)[0]["sessions"] if x["user"] == "alice"][0]
print(s["rx_bytes"], s["rx_packets"], s["tx_bytes"], s["tx_packets"])')
read -r rx_bytes rx_packets tx_bytes tx_packets <<<"$counts"
stop_pid "$CLIENT_PID" 30 "alice's client"
WAIT_WATCH_PID=$GW_PID wait_until "alice's Accounting Stop" 30 has_record Stop alice
stop=$(record Stop alice)
for line in "$session_id" "Acct-Input-Octets = $rx_bytes" "Acct-Input-Packets = $rx_packets" \
  "Acct-Output-Octets = $tx_bytes" "Acct-Output-Packets = $tx_packets" \
  'Acct-Terminate-Cause = User-Request' 'Class = 0x676f6c64'; do
  grep -qF -- "$line" <<<"$stop" || { echo "$stop" >&2; die "alice's Stop lacks '$line'"; }
done
[ "$rx_bytes" -gt 0 ] && [ "$tx_bytes" -gt 0 ] || die "alice's session counted no traffic"
note "alice: Stop with in $rx_bytes bytes / $rx_packets packets, out $tx_bytes / $tx_packets, as status counted"

login alice not-the-password mschapv2
[ "$LOGIN" = refused ] || die "alice's wrong password was accepted"
grep -q "login refused: user 'alice' (MS-CHAPv2) from 192.168.78.2: rejected by RADIUS server freeradius" \
  "$TMPDIR_TEST/gw.log" || die "the gateway's log does not say FreeRADIUS rejected alice"
stop_pid "$CLIENT_PID" 30 "the client"

for method in chap-md5 pap; do
  login bob "battery staple" "$method"
  [[ $LOGIN == 10.78.0.* ]] && [ "$LOGIN" != 10.78.0.77 ] || die "bob ($method) has $LOGIN"
  stop_pid "$CLIENT_PID" 30 "bob's client"
done
login bob "wrong staple" pap
[ "$LOGIN" = refused ] || die "bob's wrong PAP password was accepted"
stop_pid "$CLIENT_PID" 30 "the client"

# hung_up_by USER CAUSE: the gateway hangs USER's session up for CAUSE (Session-Timeout or
# Idle-Timeout): their Stop in the detail file says so, and so does the gateway's log.
hung_up_by() {
  WAIT_WATCH_PID=$GW_PID wait_until "$1's Stop after $2" 30 has_record Stop "$1"
  grep -qF "Acct-Terminate-Cause = $2" <<<"$(record Stop "$1")" ||
    { record Stop "$1" >&2; die "$1's Stop does not say $2"; }
  grep -q "logins: hanging up the session of .*: $2 reached" "$TMPDIR_TEST/gw.log" ||
    die "the gateway's log does not say why $1's session ended"
}

login carol "short visit" pap
[ "$LOGIN" != refused ] || die "carol was refused"
hung_up_by carol Session-Timeout
note "carol: hung up by her Session-Timeout; Stop says Session-Timeout"
stop_pid "$CLIENT_PID" 30 "carol's client"

login dave "quiet type" pap
[ "$LOGIN" != refused ] || die "dave was refused"
# Busy for more than twice his Idle-Timeout: every ping answered, no Stop.
ip netns exec "$CL" ping -c 18 -i 0.5 -W 2 10.78.0.1 >"$TMPDIR_TEST/ping.log" 2>&1 ||
  { cat "$TMPDIR_TEST/ping.log" >&2; die "dave's session did not carry 9 s of pings"; }
! has_record Stop dave || { record Stop dave >&2; die "dave was hung up while busy"; }
idle_from=$(date +%s)
hung_up_by dave Idle-Timeout
idle_for=$(($(date +%s) - idle_from))
note "dave: up through 9 s of pings, hung up about ${idle_for} s after they stopped; Stop says Idle-Timeout"
stop_pid "$CLIENT_PID" 30 "dave's client"

failures=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json | python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
print(sorted((x["method"], x["reason"], x["count"]) for x in d["login_failures"]))')
note "refusals in status: $failures"
[ "$failures" = "[('MS-CHAPv2', 'wrong_password', 1), ('PAP', 'wrong_password', 1)]" ] ||
  die "status counts refusals $failures"
! grep -q "wonderland\|battery staple\|wrong staple\|short visit\|not-the-password" "$TMPDIR_TEST/gw.log" ||
  die "a password is in the gateway's log"

stop_pid "$GW_PID" 30 "the gateway"

# radsec_gateway CA: the gateway with FreeRADIUS's RadSec listener as its only server.
radsec_gateway() {
  sed -n '1,/^\[radius\]/p' "$TMPDIR_TEST/gw.toml" >"$TMPDIR_TEST/radsec.toml"
  cat >>"$TMPDIR_TEST/radsec.toml" <<TOML
[[radius.server]]
name = "radsec"
address = "127.0.0.1:$RADSEC_PORT"
transport = "tls"
ca_file = "$1"
certificate = "$RADDB/tls/client.pem"
private_key = "$RADDB/tls/client.key"

[login_throttle]
enabled = false
TOML
  start_tandem_up "$GW" "$TMPDIR_TEST/radsec.toml" "$TMPDIR_TEST/gw.log"
  GW_PID=$TANDEM_PID
}
wait_listen "$GW" tcp "$RADSEC_PORT" 30 "FreeRADIUS's RadSec listener"
radsec_gateway "$RADDB/tls/ca.pem"
login alice wonderland mschapv2
[ "$LOGIN" = 10.78.0.77 ] || die "alice has $LOGIN over RadSec"
grep -q "Login OK: \[alice\] (from client radsec-loopback" "$RADDB/log/radius.log" ||
  die "FreeRADIUS's log does not show alice's login from its RadSec client"
note "RadSec: alice in over TLS ($(grep -m1 -o 'Login OK: \[alice\] (from client radsec-loopback[^)]*)' "$RADDB/log/radius.log"))"
stop_pid "$CLIENT_PID" 30 "alice's client"
stop_pid "$GW_PID" 30 "the gateway"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Unrelated CA" \
  -keyout "$TMPDIR_TEST/other-ca.key" -out "$TMPDIR_TEST/other-ca.pem" 2>/dev/null
radsec_gateway "$TMPDIR_TEST/other-ca.pem"
login alice wonderland mschapv2
[ "$LOGIN" = refused ] || die "alice logged in through a RadSec server whose certificate we cannot trust"
grep -q "RadSec with radsec: TLS handshake with 127.0.0.1:$RADSEC_PORT: its certificate was refused" \
  "$TMPDIR_TEST/gw.log" || die "the gateway's log does not say the server's certificate was refused"
note "RadSec with an unrelated CA: $(grep -m1 -o 'RadSec with radsec: .*' "$TMPDIR_TEST/gw.log")"
stop_pid "$CLIENT_PID" 30 "the client"
stop_pid "$GW_PID" 30 "the gateway"
stop_pid "$FREERADIUS_PID" 30 "FreeRADIUS"
echo "PASS: RADIUS logins with MS-CHAPv2, CHAP and PAP, failover, Framed-IP-Address, accounting, Session-Timeout, Idle-Timeout, RadSec"
