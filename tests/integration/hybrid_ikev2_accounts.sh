#!/bin/bash
# A hybrid gateway whose accounts log in over WireGuard (alice, a plain WireGuard node) and over
# IKEv2 (carol, a road warrior asking for her IPv4 and IPv6 addresses with a configuration
# payload), each in its own namespace:
#
#   hybrid_ikev2_accounts.sh tandem      carol is a plain Tandem [ipsec] node
#   hybrid_ikev2_accounts.sh strongswan  carol is strongSwan's charon (vips = 0.0.0.0 and ::, an
#                                        rfc822 identity)
#
#   alice 192.168.88.2 -- .88.1 [gateway] .89.1 -- 192.168.89.2 carol
#   inner: gateway 10.88.0.1, alice 10.88.0.2 (WireGuard), carol 10.88.0.3 and fd88::3 (IKEv2 CP:
#   the account's; INTERNAL_IP6_ADDRESS for IPv6)
#
# First carol tries a wrong pre-shared key: refused, with the gateway's log naming her account
# and the cause. Then with the right one she gets exactly her account's addresses, IPv4 and IPv6,
# carol and alice reach each other through the gateway, carol and the gateway over IPv6 too, and the gateway's status shows carol's path as ipsec and
# alice's as wireguard. A reload that adds an account keeps carol's session; one that changes her
# key ends it at once (her IKE SA deleted, her old key refused), and with the key back she logs in
# again. Then carol sends from alice's address and from one nobody has: no SA of
# hers carries those sources, so nothing arrives, and the drops are counted (Tandem only: charon's
# userspace ESP has no policy for those sources either). When carol hangs up, the gateway detaches
# her path. Last, the gateway starts again with its accounts in a state store, carol logs in, and
# `tandem account revoke carol` deletes her IKE SA within a second and refuses her from then on.
# The gateway runs a [dns] forwarder: charon's resolve plugin (writing to a file of the test's)
# installs the gateway's inner address as the nameserver its configuration payload named.
# The gateway's metrics count each refusal (ikev2 wrong_key, then unknown_identity).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
CLIENT=${1:-tandem}
case "$CLIENT" in
  tandem) ;;
  strongswan) source "$(dirname "$0")/../interop/strongswan_lib.sh" ;;
  *) die "usage: $0 tandem|strongswan" ;;
esac
CAROL_PSK="carol's pre-shared key, long enough"

CA="c$TAG"
CA_IF="ic$TAG"
gateway_with_alice "$CA"
SOCKETS+=("$STATUS_DIR/$GW_IF.ipsec" "$STATUS_DIR/$CA_IF.ipsec")
printf '%s\n' "$CAROL_PSK" >"$TMPDIR_TEST/carol.ike"

gateway_interface >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[metrics]
listen = "127.0.0.1:9586"

[ipsec]
local_address = "192.168.89.1"

# Road warriors are told the forwarder on 10.88.0.1 (INTERNAL_IP4_DNS); nothing is asked of the
# upstream here.
[dns]
[[dns.upstream]]
name = "corp"
through = "underlay"
servers = ["192.168.89.53"]

[[dns.route]]
domains = ["corp.example"]
upstream = "corp"

[[account]]
name = "alice"
public_key = "$AL_PUB"
address = "10.88.0.2"

[[account]]
name = "carol"
ike_id = "carol@example.org"
ike_psk_file = "carol.ike"
address = "10.88.0.3"
address6 = "fd88::3"
TOML

alice_config "$TMPDIR_TEST/alice.toml" "$AL_IF"

# carol_config FILE PSK: a road warrior asking the gateway for an address.
carol_config() {
  cat >"$1" <<TOML
[ipsec]
interface = "$CA_IF"
ike_version = 2
local_address = "192.168.89.2"
local_id = "carol@example.org"

[[ipsec.connection]]
name = "gateway"
remote_address = "192.168.89.1"
psk = "$2"
request_address = true
remote_subnets = ["10.88.0.0/24", "fd88::/64"]
TOML
}
# charon_config FILE PSK: the same road warrior for charon.
charon_config() {
  strongswan_road_warrior_conf "$1" "$2" 192.168.89.2 192.168.89.1 "10.88.0.0/24, fd88::/64" "0.0.0.0, ::"
}
WRONG_PSK="not carol's key, but long enough"
if [ "$CLIENT" = tandem ]; then
  carol_config "$TMPDIR_TEST/carol.toml" "$CAROL_PSK"
  carol_config "$TMPDIR_TEST/wrong.toml" "$WRONG_PSK"
else
  charon_config "$TMPDIR_TEST/carol.conf" "$CAROL_PSK"
  charon_config "$TMPDIR_TEST/wrong.conf" "$WRONG_PSK"
fi

logs() {
  for n in gw gws alice carol carol2 wrong; do
    [ -f "$TMPDIR_TEST/$n.log" ] || continue
    echo "--- $n log" >&2
    tail -30 "$TMPDIR_TEST/$n.log" >&2
  done
  if [ "$CLIENT" = strongswan ] && [ -n "${STRONGSWAN_LOG[carol]:-}" ]; then
    echo "--- charon log" >&2
    grep -v "vici client" "${STRONGSWAN_LOG[carol]}" | tail -30 >&2
  fi
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
start_tandem_up "$AL" "$TMPDIR_TEST/alice.toml" "$TMPDIR_TEST/alice.log" "/var/run/wireguard/$AL_IF.sock"

gw_status() { hybrid_field "$GW" "$GW_IF" "$1"; }
account() { gw_status "[a.get('$2') for a in d['accounts'] if a['name']=='$1'][0]"; }
# Her inner address, on whichever device her client puts it (Tandem: its own; charon: ipsec0).
carol_address() { ip -n "$CA" -4 -o addr show | awk '$4 ~ /^10\.88\./ {print $4}' | cut -d/ -f1 | head -1; }
carol_address6() { ip -n "$CA" -6 -o addr show | awk '$4 ~ /^fd88:/ {print $4}' | cut -d/ -f1 | head -1; }
carol_has_address() { [ "$(carol_address)" = 10.88.0.3 ] && [ "$(carol_address6)" = fd88::3 ]; }
# gw_refusals LABELS: the gateway's metrics count at least one refused login with those labels
# (protocol="...",reason="...").
gw_refusals() {
  GW_LABELS=$1
  wait_until "the gateway's metrics counting $1" 15 _gw_counted
  note "gateway: $(grep -F "$1" "$TMPDIR_TEST/metrics.txt" | grep '^tandem_auth_failures_total')"
}
_gw_counted() {
  ip netns exec "$GW" curl -sS --fail --max-time 10 http://127.0.0.1:9586/metrics >"$TMPDIR_TEST/metrics.txt" &&
    awk -v l="$GW_LABELS" 'index($0, "tandem_auth_failures_total{") == 1 && index($0, l "}") && $NF >= 1 { ok = 1 }
      END { exit !ok }' "$TMPDIR_TEST/metrics.txt"
}
carol_counter() {  # a counter of carol's IPsec status
  ip netns exec "$CA" "$TANDEM_BIN" status "$CA_IF" --json | python3 -c '
import json, sys
docs = json.load(sys.stdin)
docs = docs if isinstance(docs, list) else [docs]
print([d for d in docs if "ipsec" in d][0]["ipsec"]["counters"][sys.argv[1]])' "$1"
}

# A wrong key: the gateway refuses the login and says whose and why.
if [ "$CLIENT" = tandem ]; then
  start_tandem_up "$CA" "$TMPDIR_TEST/wrong.toml" "$TMPDIR_TEST/wrong.log"
  WRONG_PID=$TANDEM_PID
else
  # The resolve plugin installs the DNS servers a configuration payload names, here into a file
  # of the test's rather than the host's resolv.conf.
  : >"$TMPDIR_TEST/carol-resolv.conf"
  STRONGSWAN_PLUGINS="$STRONGSWAN_PLUGINS resolve"
  STRONGSWAN_CHARON_EXTRA="install_virtual_ip = yes
  plugins {
    resolve {
      file = $TMPDIR_TEST/carol-resolv.conf
    }
  }"
  strongswan_start "$CA" carol
  strongswan_load carol "$TMPDIR_TEST/wrong.conf"
  strongswan_swanctl carol --initiate --child net --timeout 20 >/dev/null 2>&1 &&
    die "charon logged in with a wrong key"
fi
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_log "$TMPDIR_TEST/gw.log" "authentication of peer carol failed \\(wrong pre-shared key\\?\\)" 60
note "gateway: $(grep -m1 'authentication of peer carol failed' "$TMPDIR_TEST/gw.log")"
[ -n "$(carol_address)$(carol_address6)" ] && die "carol got an address with a wrong key"
gw_refusals 'protocol="ikev2",reason="wrong_key"'
if [ "$CLIENT" = tandem ]; then
  stop_pid "$WRONG_PID" 30 "the client with the wrong key"
  WAIT_WATCH_PID= wait_until "the refused client's device gone" 30 \
    bash -c "! ip -n $CA link show dev $CA_IF"
  start_tandem_up "$CA" "$TMPDIR_TEST/carol.toml" "$TMPDIR_TEST/carol.log"
  CA_PID=$TANDEM_PID
  CA_LOG="$TMPDIR_TEST/carol.log"
else
  strongswan_load carol "$TMPDIR_TEST/carol.conf"
  strongswan_initiate carol net
  CA_PID=${STRONGSWAN_PID[carol]}
  CA_LOG=${STRONGSWAN_LOG[carol]}
fi
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$CA_LOG" \
  wait_until "carol's IKEv2 SA up with her account's addresses 10.88.0.3 and fd88::3" 60 carol_has_address
note "carol got $(carol_address) and $(carol_address6) from the configuration payload (her account's addresses)"
grep -q "IKE SA with peer carol (email:carol@example.org) up as responder" "$TMPDIR_TEST/gw.log" ||
  die "the gateway's log does not name carol's account on IKE_AUTH"
if [ "$CLIENT" = strongswan ]; then
  grep -q "^nameserver 10.88.0.1\b" "$TMPDIR_TEST/carol-resolv.conf" ||
    { cat "$TMPDIR_TEST/carol-resolv.conf" >&2; die "charon did not install the gateway's forwarder 10.88.0.1 as its DNS server"; }
  note "charon's resolve plugin: $(grep -m1 '^nameserver' "$TMPDIR_TEST/carol-resolv.conf")"
fi

ping_ok "$AL" 10.88.0.1
ping_ok "$CA" 10.88.0.1
ping_ok "$CA" 10.88.0.2
ping_ok "$AL" 10.88.0.3
# IPv6 over IKEv2: carol's Child SA carries her account's IPv6 address too.
ip netns exec "$CA" ping -6 -c 3 -i 0.2 -W 2 fd88::1 >/dev/null || die "carol cannot reach the gateway over IPv6"
ip netns exec "$GW" ping -6 -c 3 -i 0.2 -W 2 fd88::3 >/dev/null || die "the gateway cannot reach carol over IPv6"
note "IPv6 over IKEv2 between carol (fd88::3) and the gateway (fd88::1): both ways"
note "gateway: $(gw_status '[(a["name"], a["paths"], a.get("return_path")) for a in d["accounts"]]')"
[ "$(account alice return_path)" = wireguard ] || die "alice's traffic does not return on WireGuard"
[ "$(account carol return_path)" = ipsec ] || die "carol's traffic does not return on IKEv2/ESP"
[ "$(account carol paths)" = "['ipsec']" ] || die "carol's paths are not [ipsec]: $(account carol paths)"
gw_status 'd["spoofed"]["ipsec"]' >/dev/null || die "the gateway's status has no IPsec spoofed counter"

# Reloads: an account added in front of carol (every account's id moves) keeps her session;
# changing her key applies at once: the gateway deletes her IKE SA (telling her) and refuses her
# old key; with the key back she logs in again.
cp "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.toml.orig"
DAVE=$(printf '[[account]]\nname = "dave"\npublic_key = "%s"\naddress = "10.88.0.4"\n' \
  "$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)")
awk -v dave="$DAVE" '/^\[\[account\]\]$/ && !done { print dave; print ""; done = 1 } { print }' \
  "$TMPDIR_TEST/gw.toml.orig" >"$TMPDIR_TEST/gw.toml"
out=$("$TANDEM_BIN" reload gw 2>&1) || die "reloading an added account failed: $out"
note "$out"
[ "$(account carol return_path)" = ipsec ] || die "carol lost her return path in the reload"
ip netns exec "$AL" ping -c 3 -i 0.2 -W 2 10.88.0.3 >/dev/null || die "alice cannot reach carol after the reload"
refused_before=$(grep -c 'authentication of peer carol failed' "$TMPDIR_TEST/gw.log")
printf '%s\n' "another key for carol, long enough" >"$TMPDIR_TEST/carol.ike"
out=$("$TANDEM_BIN" reload gw 2>&1) || die "changing carol's IKEv2 key live failed: $out"
note "$out"
carol_detached() { [ "$(account carol paths)" = "[]" ]; }
wait_until "carol's path gone from the gateway after her key changed" 10 carol_detached
grep -q "IKE SA with peer carol closed" "$TMPDIR_TEST/gw.log" ||
  die "the gateway did not close carol's IKE SA when her key changed"
carol_lost_address() { [ -z "$(carol_address)" ]; }
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$CA_LOG" \
  wait_until "carol told her IKE SA is gone (her address removed)" 10 carol_lost_address
if [ "$CLIENT" = tandem ]; then
  # Her client dials again at once, with the old key: refused.
  WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" wait_until \
    "carol's old key refused" 30 bash -c "[ \$(grep -c 'authentication of peer carol failed' '$TMPDIR_TEST/gw.log') -gt $refused_before ]"
else
  strongswan_swanctl carol --initiate --child net --timeout 20 >/dev/null 2>&1 &&
    die "charon logged in with carol's old key after it changed"
fi
note "carol's old key refused after the change: $(grep 'authentication of peer carol failed' "$TMPDIR_TEST/gw.log" | tail -1)"
printf '%s\n' "$CAROL_PSK" >"$TMPDIR_TEST/carol.ike"
cp "$TMPDIR_TEST/gw.toml.orig" "$TMPDIR_TEST/gw.toml"
out=$("$TANDEM_BIN" reload gw 2>&1) || die "restoring carol's key failed: $out"
[ "$CLIENT" = tandem ] || strongswan_initiate carol net
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$CA_LOG" \
  wait_until "carol logged in again with her key" 60 carol_has_address
ping_ok "$CA" 10.88.0.1

if [ "$CLIENT" = tandem ]; then
  # Spoofing: carol sends as alice, and from an address no account has. Her SA carries her
  # address alone (the gateway narrowed it), so nothing leaves her; the gateway would refuse it as
  # well (ESP policy, see the IKEv2 unit tests). The gateway delivers nothing from those sources.
  no_sa_before=$(carol_counter no_sa)
  gw_spoofed_before=$(gw_status 'd["spoofed"]["ipsec"] + d["counters"]["dropped_spoofed"]')
  delivered_before=$(gw_status 'd["counters"]["delivered"]')
  ip -n "$CA" addr add 10.88.0.77/32 dev "$CA_IF"
  ip netns exec "$CA" ping -c 5 -i 0.2 -W 1 -I 10.88.0.77 10.88.0.1 >/dev/null 2>&1 &&
    die "carol, sending as 10.88.0.77, got answers from the gateway"
  ip netns exec "$CA" ping -c 3 -i 0.2 -W 1 -I 10.88.0.77 10.88.0.2 >/dev/null 2>&1 &&
    die "carol, sending as 10.88.0.77, got answers from alice"
  ip -n "$CA" addr del 10.88.0.77/32 dev "$CA_IF"
  # As alice, to the gateway (alice's address is then carol's own, so not to alice).
  ip -n "$CA" addr add 10.88.0.2/32 dev "$CA_IF"
  ip netns exec "$CA" ping -c 5 -i 0.2 -W 1 -I 10.88.0.2 10.88.0.1 >/dev/null 2>&1 &&
    die "carol, sending as alice over IKEv2, got answers from the gateway"
  ip -n "$CA" addr del 10.88.0.2/32 dev "$CA_IF"
  no_sa_after=$(carol_counter no_sa)
  gw_spoofed_after=$(gw_status 'd["spoofed"]["ipsec"] + d["counters"]["dropped_spoofed"]')
  delivered_after=$(gw_status 'd["counters"]["delivered"]')
  note "carol's packets from sources not hers, dropped: $((no_sa_after - no_sa_before)) at carol (no SA), $((gw_spoofed_after - gw_spoofed_before)) at the gateway"
  [ $((no_sa_after - no_sa_before)) -ge 13 ] || die "carol's client did not count the packets it had no SA for"
  [ "$delivered_after" = "$delivered_before" ] || die "the gateway delivered something from carol's spoofed sources"
  ping_ok "$CA" 10.88.0.2
fi
[ "$(gw_status 'd["spoofed"]["ipsec"]')" = 0 ] || die "the gateway's ESP policy dropped carol's own traffic"

# Carol hangs up: the gateway detaches her IKEv2 path, and her traffic has no path.
if [ "$CLIENT" = tandem ]; then
  stop_pid "$CA_PID" 30 "carol's client"
else
  strongswan_swanctl carol --terminate --ike tandem --timeout 20 >/dev/null
fi
wait_until "carol's path gone from the gateway" 30 carol_detached
note "after carol hung up: paths $(account carol paths)"
kill -0 "$GW_PID" || die "the gateway died"

# Revocation: the gateway's accounts move to a state store and it starts again on it; carol logs
# in, then `tandem account revoke carol`: within a second her IKE SA is deleted (she is told) and
# her traffic stops, and she cannot log in again.
STORE="$TMPDIR_TEST/accounts.db"
EVENTS="$TMPDIR_TEST/events.jsonl"
store_config "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gws.toml" "$STORE" "$EVENTS" 'pool = "10.88.0.10-10.88.0.50"'
store_account() { "$TANDEM_BIN" account "$@" -c "$TMPDIR_TEST/gws.toml"; }
out=$(store_account import-config --from "$TMPDIR_TEST/gw.toml") || die "import-config failed: $out"
stop_pid "$GW_PID" 30 "the gateway"
start_tandem_up "$GW" "$TMPDIR_TEST/gws.toml" "$TMPDIR_TEST/gws.log"
GW_PID=$TANDEM_PID
if [ "$CLIENT" = tandem ]; then
  start_tandem_up "$CA" "$TMPDIR_TEST/carol.toml" "$TMPDIR_TEST/carol2.log"
  CA_PID=$TANDEM_PID
  CA_LOG="$TMPDIR_TEST/carol2.log"
else
  strongswan_initiate carol net
fi
WAIT_WATCH_PID=$CA_PID WAIT_WATCH_LOG="$CA_LOG" \
  wait_until "carol logged in to the gateway on the store" 60 carol_has_address
ping_ok "$CA" 10.88.0.1
store_account revoke carol || die "account revoke failed"
revoked=$(now_ms)
carol_gone() {
  [ -z "$(carol_address)" ] || return 1
  [ "$CLIENT" = tandem ] || _strongswan_none_installed carol
}
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gws.log" \
  wait_until "carol's IKE SA deleted after the revocation" 10 carol_gone
note "carol's IKE SA deleted and her address gone $(($(now_ms) - revoked)) ms after tandem account revoke"
[ "$CLIENT" = tandem ] || grep -q "received DELETE for IKE_SA" "${STRONGSWAN_LOG[carol]}" ||
  die "charon was not told its IKE SA was deleted"
grep -q "account carol disabled: hanging up its IKEv2 session" "$TMPDIR_TEST/gws.log" ||
  die "the gateway's log does not say it hung up carol's IKEv2 session"
ip netns exec "$CA" ping -c 3 -i 0.3 -W 1 10.88.0.1 >/dev/null 2>&1 &&
  die "carol still reaches the gateway after the revocation"
if [ "$CLIENT" = tandem ]; then
  WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gws.log" \
    wait_log "$TMPDIR_TEST/gws.log" "IKE_AUTH from email:carol@example.org .* refused: no peer has that identity" 30
else
  strongswan_swanctl carol --initiate --child net --timeout 20 >/dev/null 2>&1 &&
    die "charon logged in again after carol's revocation"
  grep -q "IKE_AUTH from email:carol@example.org .* refused: no peer has that identity" "$TMPDIR_TEST/gws.log" ||
    die "the gateway's log does not show carol's login refused after the revocation"
fi
note "after the revocation: $(grep -m1 'refused: no peer has that identity' "$TMPDIR_TEST/gws.log")"
gw_refusals 'protocol="ikev2",reason="unknown_identity"'
[ -n "$(carol_address)" ] && die "carol got an address again after her revocation"
# The hang-up comes first; the revocation is applied (and its event written) at the gateway's
# next look at the store once the session is gone.
revocation_logged() {
  python3 - "$EVENTS" <<'PY'
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
hung_up = [e for e in events if e["event"] == "session.hung_up" and e.get("account") == "carol"]
assert hung_up and hung_up[0]["protocol"] == "IKEv2", hung_up
assert any(e["event"] == "account.revoked" and e.get("account") == "carol" for e in events)
PY
}
WAIT_WATCH_PID=$GW_PID wait_until "carol's hang-up and revocation in the event log" 10 revocation_logged
kill -0 "$GW_PID" || die "the gateway died"
note "PASS hybrid gateway with an IKEv2 road warrior ($CLIENT)"
