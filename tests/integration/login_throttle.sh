#!/bin/bash
# Login throttling on an L2TP gateway ([login_throttle]): a client in one namespace guesses
# alice's password over and over (three sessions, each dialling again after its refusal), while
# bob logs in from another namespace.
#   - the guesses are delayed, then alice is locked out: login.delayed and login.locked_out in the
#     event log, the gateway's log saying why;
#   - from then on no guess reaches the credential check: the count of wrong passwords stays at
#     the lockout's limit while the refusals counted as throttled grow (status and metrics);
#   - bob, on another account from another address, logs in during the flood and his session
#     carries traffic;
#   - alice's right password is refused too while she is locked out, and her client is told why.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v curl >/dev/null || die "curl is missing (scripts/install-deps.sh installs it)"

GW="g$TAG"
MA="m$TAG"
BO="b$TAG"
make_ns "$GW"
make_ns "$MA"
make_ns "$BO"
link_ns "$GW" "$MA" 73
link_ns "$GW" "$BO" 74
GW_IF="lg$TAG"
PORT=9586
EVENTS="$TMPDIR_TEST/events.jsonl"
LOCKOUT_AFTER=4

cat >"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
allow_unencrypted = true
interface = "$GW_IF"
host_name = "gateway"
auth = ["mschapv2"]
address = "10.73.0.1/24"
pool = "10.73.0.10-10.73.0.50"

[[l2tp.user]]
name = "alice"
password = "correct horse"

[[l2tp.user]]
name = "bob"
password = "battery staple"

[login_throttle]
free_failures = 1
delay = 1
max_delay = 2
user_lockout_after = $LOCKOUT_AFTER
source_lockout_after = 0
lockout = 600

[events]
file = "$EVENTS"

[metrics]
listen = "127.0.0.1:$PORT"
TOML

# client_config FILE IF SERVER USER PASSWORD SESSIONS
client_config() {
  {
    printf '[l2tp]\nmode = "lac"\nallow_unencrypted = true\ninterface = "%s"\n' "$2"
    printf 'host_name = "client"\nserver = "%s"\nroutes = ["10.73.0.0/24"]\n' "$3"
    for _ in $(seq "$6"); do printf '\n[[l2tp.session]]\nuser = "%s"\npassword = "%s"\n' "$4" "$5"; done
  } >"$1"
}
client_config "$TMPDIR_TEST/mallory.toml" "lm$TAG" 192.168.73.1 alice "guess" 3
client_config "$TMPDIR_TEST/bob.toml" "lb$TAG" 192.168.74.1 bob "battery staple" 1
client_config "$TMPDIR_TEST/alice.toml" "la$TAG" 192.168.74.1 alice "correct horse" 1

logs() {
  echo "--- gateway log" >&2
  tail -40 "$TMPDIR_TEST/gw.log" >&2
  for f in mallory bob alice; do
    [ -f "$TMPDIR_TEST/$f.log" ] && { echo "--- $f log" >&2; tail -10 "$TMPDIR_TEST/$f.log" >&2; }
  done
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
wait_listen "$GW" tcp "$PORT" 30 "the gateway's metrics endpoint"

# gw_field EXPR: EXPR of the gateway's status document `d`.
gw_field() {
  ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json |
    python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
f = {(x["method"], x["reason"]): x["count"] for x in d["login_failures"]}
print(eval(sys.argv[1]))' "$1"
}

note "mallory guesses alice's password from 192.168.73.2, three sessions at a time"
ip netns exec "$MA" "$TANDEM_BIN" up -c "$TMPDIR_TEST/mallory.toml" >"$TMPDIR_TEST/mallory.log" 2>&1 &
MA_PID=$!
PIDS+=("$MA_PID")
WAIT_WATCH_PID=$GW_PID wait_until "login.locked_out for alice in the event log" 60 \
  event_seen login.locked_out scope=user key=alice failures="$LOCKOUT_AFTER"
event_seen login.delayed scope=user key=alice || die "no login.delayed before the lockout"
grep -q "logins: user alice locked out for 600 s after $LOCKOUT_AFTER failed logins" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say alice is locked out"
note "$(grep -m1 "logins: user alice locked out" "$TMPDIR_TEST/gw.log" | sed 's/.*logins: //')"

# Mallory keeps dialling; each attempt now ends at the throttle.
throttled() { gw_field 'f.get(("MS-CHAPv2", "throttled"), 0)'; }
throttled_at_least() { [ "$(throttled)" -ge "$1" ]; }
WAIT_WATCH_PID=$GW_PID wait_until "three refusals by the throttle" 60 throttled_at_least 3
grep -q "login refused: user 'alice' (MS-CHAPv2) from 192.168.73.2: user alice: locked out after $LOCKOUT_AFTER failed logins" \
  "$TMPDIR_TEST/gw.log" || die "the gateway's log does not give the lockout as the refusal's reason"

note "bob logs in from 192.168.74.2 during the flood"
ip netns exec "$BO" "$TANDEM_BIN" up -c "$TMPDIR_TEST/bob.toml" >"$TMPDIR_TEST/bob.log" 2>&1 &
BO_PID=$!
PIDS+=("$BO_PID")
bob_up() { ip -n "$BO" -4 -o addr show dev "lb$TAG" 2>/dev/null | grep -q "inet 10.73.0."; }
WAIT_WATCH_PID=$BO_PID WAIT_WATCH_LOG="$TMPDIR_TEST/bob.log" wait_until "bob's session up" 30 bob_up
ping_ok "$BO" 10.73.0.1
grep -q "user 'bob' logged in" "$TMPDIR_TEST/gw.log" || die "the gateway did not log bob's login"

note "alice's right password, from bob's address, while she is locked out"
ip netns exec "$BO" "$TANDEM_BIN" up -c "$TMPDIR_TEST/alice.toml" >"$TMPDIR_TEST/alice.log" 2>&1 &
AL_PID=$!
PIDS+=("$AL_PID")
# The gateway logged the lockout's first refusal already (mallory's); alice's client hears why.
WAIT_WATCH_PID=$AL_PID wait_log "$TMPDIR_TEST/alice.log" \
  "authenticator refused our credentials: .*M=user alice: locked out after $LOCKOUT_AFTER failed logins" 30
note "alice's client: $(grep -m1 -o "M=user alice: locked out.*" "$TMPDIR_TEST/alice.log")"
stop_pid "$AL_PID" 30 "alice's client"

# The credential check saw exactly the guesses before the lockout, never one after it.
wrong=$(gw_field 'f.get(("MS-CHAPv2", "wrong_password"), 0)')
[ "$wrong" = "$LOCKOUT_AFTER" ] ||
  die "the password was checked $wrong times, not $LOCKOUT_AFTER: the throttle let guesses through"
locked=$(gw_field 'd["login_throttle"]["users_locked_out"]')
[ "$locked" = 1 ] || die "status shows $locked names locked out, not 1"
ip netns exec "$GW" curl -sS --fail --max-time 10 "http://127.0.0.1:$PORT/metrics" \
  >"$TMPDIR_TEST/metrics.txt" || die "scraping the gateway's metrics failed"
metric() { awk -v s="$1" '$1 == s { print $2 }' "$TMPDIR_TEST/metrics.txt"; }
m_wrong=$(metric 'tandem_auth_failures_total{interface="'"$GW_IF"'",protocol="ppp_mschapv2",reason="wrong_password"}')
m_throttled=$(metric 'tandem_auth_failures_total{interface="'"$GW_IF"'",protocol="ppp_mschapv2",reason="throttled"}')
[ "$m_wrong" = "$LOCKOUT_AFTER" ] && [ "${m_throttled:-0}" -ge 3 ] || {
  grep tandem_auth_failures_total "$TMPDIR_TEST/metrics.txt" >&2
  die "the metrics do not show $LOCKOUT_AFTER wrong passwords and the throttled refusals"
}
note "credential checks: $wrong wrong passwords; refused by the throttle: $(throttled) (metrics: $m_wrong and $m_throttled)"
! grep -q "guess\|correct horse\|battery staple" "$EVENTS" || die "a password is in the event log"

stop_pid "$MA_PID" 30 "mallory's client"
stop_pid "$BO_PID" 30 "bob's client"
stop_pid "$GW_PID" 30 "the gateway"
echo "PASS: login throttling: alice locked out after $LOCKOUT_AFTER guesses, bob unaffected"
