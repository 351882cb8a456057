#!/bin/bash
# A password-guessing flood against an L2TP gateway whose logins a real FreeRADIUS checks: a
# client in one namespace dials 250 sessions at once as alice with a wrong password, each dialling
# again after its refusal, until 1,000 logins have been tried; meanwhile bob logs in from
# another address. Shown, with the numbers printed:
#   - the guesses that reached FreeRADIUS (its log's rejects, and the gateway's wrong_password
#     count: the same number) stay at the lockout's limit: the throttle, and one login per user
#     name with the backend at a time, hold the rest back before RADIUS is asked;
#   - the rest are refused as throttled;
#   - bob's login, during the flood, is accepted at once (the time is printed).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/../interop/freeradius_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

GW="g$TAG"
MA="m$TAG"
BO="b$TAG"
make_ns "$GW"
make_ns "$MA"
make_ns "$BO"
link_ns "$GW" "$MA" 79
link_ns "$GW" "$BO" 80
GW_IF="lg$TAG"
SECRET="radius-shared-secret-$TAG"
AUTH_PORT=1812
ACCT_PORT=1813
RADDB="$TMPDIR_TEST/raddb"
SESSIONS=250
ATTEMPTS=1000
USER_LOCKOUT=10

write_raddb "$RADDB"
cat >"$RADDB/users" <<'EOF'
alice Cleartext-Password := "correct horse"

bob Cleartext-Password := "battery staple"
EOF

logs() {
  echo "--- gateway log" >&2
  tail -30 "$TMPDIR_TEST/gw.log" >&2
  for f in mallory bob; do
    [ -f "$TMPDIR_TEST/$f.log" ] && { echo "--- $f log" >&2; tail -8 "$TMPDIR_TEST/$f.log" >&2; }
  done
  echo "--- FreeRADIUS log" >&2
  tail -10 "$RADDB/log/radius.log" >&2 2>/dev/null || true
}
ON_FAILURE=logs

freeradius_start "$GW" "$RADDB"

cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "$GW_IF"
auth = ["pap"]
address = "10.79.0.1/24"
pool = "10.79.0.10-10.79.0.250"

[radius]
[[radius.server]]
address = "127.0.0.1:$AUTH_PORT"
secret = "$SECRET"

[login_throttle]
free_failures = 3
delay = 1
max_delay = 60
user_lockout_after = $USER_LOCKOUT
source_lockout_after = 30
lockout = 600
TOML
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID

# client_config FILE SERVER USER PASSWORD SESSIONS
client_config() {
  {
    printf '[l2tp]\nmode = "lac"\nallow_unencrypted = true\ninterface = "lc%s"\n' "$TAG"
    printf 'server = "%s"\nroutes = ["10.79.0.0/24"]\nauth = ["pap"]\n' "$2"
    for _ in $(seq "$5"); do printf '\n[[l2tp.session]]\nuser = "%s"\npassword = "%s"\n' "$3" "$4"; done
  } >"$1"
}
client_config "$TMPDIR_TEST/mallory.toml" 192.168.79.1 alice guess "$SESSIONS"
client_config "$TMPDIR_TEST/bob.toml" 192.168.80.1 bob "battery staple" 1

# failures EXPR: EXPR over the gateway's refusals f[reason] (PAP).
failures() {
  ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json 2>/dev/null | python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
f = {x["reason"]: x["count"] for x in d["login_failures"] if x["method"] == "PAP"}
print(eval(sys.argv[1]))' "$1" 2>/dev/null || echo 0
}
attempts() { failures 'f.get("wrong_password", 0) + f.get("throttled", 0)'; }
rejects_at_radius() { grep -c 'Login incorrect.*\[alice\]' "$RADDB/log/radius.log" || true; }

note "mallory dials $SESSIONS sessions as alice with a wrong password from 192.168.79.2"
t0=$(date +%s)
ip netns exec "$MA" "$TANDEM_BIN" up -c "$TMPDIR_TEST/mallory.toml" >"$TMPDIR_TEST/mallory.log" 2>&1 &
MA_PID=$!
PIDS+=("$MA_PID")
at_least() { [ "$(attempts)" -ge "$1" ]; }
WAIT_WATCH_PID=$MA_PID WAIT_WATCH_LOG="$TMPDIR_TEST/mallory.log" \
  wait_until "$((ATTEMPTS / 4)) of mallory's logins tried" 120 at_least $((ATTEMPTS / 4))

note "bob logs in from 192.168.80.2 during the flood"
ip netns exec "$BO" "$TANDEM_BIN" up -c "$TMPDIR_TEST/bob.toml" >"$TMPDIR_TEST/bob.log" 2>&1 &
BO_PID=$!
PIDS+=("$BO_PID")
b0=$(date +%s%N)
bob_up() { ip -n "$BO" -4 -o addr show dev "lc$TAG" 2>/dev/null | grep -q "inet 10.79.0."; }
WAIT_WATCH_PID=$BO_PID WAIT_WATCH_LOG="$TMPDIR_TEST/bob.log" wait_until "bob's session up" 60 bob_up
bob_ms=$((($(date +%s%N) - b0) / 1000000))
during=$(attempts)
ping_ok "$BO" 10.79.0.1

WAIT_WATCH_PID=$MA_PID WAIT_WATCH_LOG="$TMPDIR_TEST/mallory.log" \
  wait_until "$ATTEMPTS of mallory's logins tried" 180 at_least "$ATTEMPTS"
elapsed=$(($(date +%s) - t0))
stop_pid "$MA_PID" 30 "mallory's client"

tried=$(attempts)
wrong=$(failures 'f.get("wrong_password", 0)')
throttled=$(failures 'f.get("throttled", 0)')
radius=$(rejects_at_radius)
note "mallory: $tried logins in ${elapsed} s; $radius reached FreeRADIUS (the gateway counts $wrong wrong passwords), $throttled refused before it"
note "bob: logged in ${bob_ms} ms after dialling, with $during of mallory's logins tried by then"
[ "$radius" = "$wrong" ] || die "FreeRADIUS rejected $radius of alice's logins, the gateway counts $wrong"
[ "$radius" -ge 1 ] && [ "$radius" -le "$USER_LOCKOUT" ] ||
  die "$radius guesses reached FreeRADIUS: the lockout after $USER_LOCKOUT did not hold them back"
[ "$((wrong + throttled))" -ge "$ATTEMPTS" ] || die "only $((wrong + throttled)) logins counted"
# Delays doubling from 1 s (and the lockout, should a guess get that far) did the holding back.
grep -q "logins: user alice must wait [0-9]* s after [0-9]* failed logins" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say alice must wait"
grep -q "logins: 'bob' accepted: accepted by RADIUS server" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say FreeRADIUS accepted bob"

stop_pid "$BO_PID" 30 "bob's client"
stop_pid "$GW_PID" 30 "the gateway"
stop_pid "$FREERADIUS_PID" 30 "FreeRADIUS"
echo "PASS: $tried guesses, $radius of them at FreeRADIUS; bob in after ${bob_ms} ms"
