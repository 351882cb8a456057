#!/bin/bash
# IKEv2 logins through the login throttle ([login_throttle]): strongSwan's charon as carol, a
# road warrior of a hybrid gateway, guesses her pre-shared key.
#   - two wrong keys are refused as wrong keys (the gateway checks them) and begin a delay: the
#     log says so and a login.delayed event names her identity;
#   - carol's right key, tried at once, is refused unchecked as throttled (the metrics count it
#     as throttled, not as a wrong key, and charon hears AUTHENTICATION_FAILED);
#   - once the delay is over the right key logs her in with her account's address.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/../interop/strongswan_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
CAROL_PSK="carol's IKE key, long enough"
DELAY=10

CA="c$TAG"
gateway_with_alice "$CA"
SOCKETS+=("$STATUS_DIR/$GW_IF.ipsec")
printf '%s\n' "$CAROL_PSK" >"$TMPDIR_TEST/carol.ike"
EVENTS="$TMPDIR_TEST/events.jsonl"

gateway_interface >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[metrics]
listen = "127.0.0.1:9586"

[events]
file = "$EVENTS"

[ipsec]
local_address = "192.168.89.1"

[login_throttle]
free_failures = 1
delay = $DELAY
max_delay = $DELAY

[[account]]
name = "alice"
public_key = "$AL_PUB"
address = "10.88.0.2"

[[account]]
name = "carol"
ike_id = "carol@example.org"
ike_psk_file = "carol.ike"
address = "10.88.0.3"
TOML
strongswan_road_warrior_conf "$TMPDIR_TEST/wrong.conf" "not carol's key, a guess" 192.168.89.2 192.168.89.1 "10.88.0.0/24" "0.0.0.0"
strongswan_road_warrior_conf "$TMPDIR_TEST/carol.conf" "$CAROL_PSK" 192.168.89.2 192.168.89.1 "10.88.0.0/24" "0.0.0.0"

logs() {
  echo "--- gateway log" >&2
  tail -30 "$TMPDIR_TEST/gw.log" >&2
  [ -n "${STRONGSWAN_LOG[carol]:-}" ] && { echo "--- charon log" >&2; tail -20 "${STRONGSWAN_LOG[carol]}" >&2; }
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
wait_listen "$GW" tcp 9586 30 "the gateway's metrics"
STRONGSWAN_CHARON_EXTRA="install_virtual_ip = yes"
strongswan_start "$CA" carol

# failures REASON: the gateway's count of refused IKEv2 logins for that reason (0 when none).
failures() {
  ip netns exec "$GW" curl -sS --fail --max-time 10 http://127.0.0.1:9586/metrics |
    awk -v l="protocol=\"ikev2\",reason=\"$1\"}" \
      'index($0, "tandem_auth_failures_total{") == 1 && index($0, l) { n = $NF } END { print n + 0 }'
}
# attempt CONF: one login with that swanctl.conf; true when charon's SA came up.
attempt() {
  strongswan_load carol "$1" >/dev/null
  strongswan_swanctl carol --initiate --child net --timeout 20 >"$TMPDIR_TEST/initiate.log" 2>&1
}
carol_address() { ip -n "$CA" -4 -o addr show | awk '$4 ~ /^10\.88\./ {print $4}' | cut -d/ -f1 | head -1; }

for n in 1 2; do
  ! attempt "$TMPDIR_TEST/wrong.conf" || die "charon logged in with a wrong key"
  [ "$(failures wrong_key)" = "$n" ] || die "the gateway counts $(failures wrong_key) wrong keys, not $n"
done
second_failure=$(date +%s)
wait_log "$TMPDIR_TEST/gw.log" "logins: user email:carol@example.org must wait $DELAY s after 2 failed logins" 10
note "gateway: $(grep -m1 'must wait' "$TMPDIR_TEST/gw.log" | sed 's/.*\] //')"
event_seen login.delayed scope=user key=email:carol@example.org failures=2 ||
  die "no login.delayed event for carol's identity"

# The right key at once: refused before the gateway looks at it.
attempt "$TMPDIR_TEST/carol.conf" && die "carol's right key got through during the delay"
took=$(($(date +%s) - second_failure))
[ "$took" -lt "$DELAY" ] || die "the right key was tried ${took} s after the second failure, not within the ${DELAY} s delay"
[ "$(grep -c "received AUTHENTICATION_FAILED" "${STRONGSWAN_LOG[carol]}")" = 3 ] ||
  die "charon was not told AUTHENTICATION_FAILED for each of its three refused attempts"
[ "$(failures throttled)" = 1 ] || die "the gateway counts $(failures throttled) throttled logins, not 1"
[ "$(failures wrong_key)" = 2 ] || die "the right key was checked during the delay (wrong_key $(failures wrong_key))"
grep -q "IKE_AUTH from email:carol@example.org at 192.168.89.2:4500 refused: throttled: " "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not say carol was throttled"
note "gateway: $(grep -m1 'refused: throttled' "$TMPDIR_TEST/gw.log" | sed 's/.*\] //')"
[ -z "$(carol_address)" ] || die "carol got an address while throttled"

# After the delay the right key is checked and accepted.
sleep $((DELAY - took + 1))
attempt "$TMPDIR_TEST/carol.conf" || { cat "$TMPDIR_TEST/initiate.log" >&2; die "carol's right key was refused after the delay"; }
wait_until "carol's account address 10.88.0.3 on her side" 30 test "$(carol_address)" = 10.88.0.3
ping_ok "$CA" 10.88.0.1
note "carol in with 10.88.0.3 after the delay; refusals: wrong_key $(failures wrong_key), throttled $(failures throttled)"

stop_pid "${STRONGSWAN_PID[carol]}" 30 "charon"
stop_pid "$GW_PID" 30 "the gateway"
echo "PASS: IKEv2 logins throttled: two wrong keys, then the right one refused unchecked during the delay, and accepted after it"
