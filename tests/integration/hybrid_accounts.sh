#!/bin/bash
# A hybrid gateway with two accounts, one connecting over WireGuard (alice, a plain WireGuard
# node, with a pre-shared key) and one over L2TP/IPsec (bob, a plain L2TP/IPsec client), each in its own namespace:
#
#   alice 192.168.88.2 -- .88.1 [gateway] .89.1 -- 192.168.89.2 bob
#   inner: gateway 10.88.0.1, alice 10.88.0.2 (WireGuard), bob 10.88.0.3 (IPCP: the account's)
#
# Both reach the gateway and each other through it. Then each tries to send from the other's
# address: WireGuard's cryptokey routing and the PPP session's source check drop those packets,
# and the gateway's status counts them; nothing spoofed reaches the other side. Last, reloads:
# an account added live (in front of the others, so every account's id moves) while alice and bob
# keep their paths and sessions; removing bob under his live session, or moving alice's address,
# refused with nothing changed; the original file again by SIGHUP, which removes the account.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
PSK="a pre-shared key of some length"

BO="b$TAG"
BO_IF="lb$TAG"
gateway_with_alice "$BO"
SOCKETS+=("$STATUS_DIR/$GW_IF.l2tp" "$STATUS_DIR/$BO_IF.l2tp")
AL_PSK=$("$TANDEM_BIN" genpsk)  # alice's handshake only succeeds if the gateway applies it

gateway_interface >"$TMPDIR_TEST/gw.toml"
cat >>"$TMPDIR_TEST/gw.toml" <<TOML
[l2tp]
mode = "lns"
host_name = "gateway"

[l2tp.ipsec]
psk = "$PSK"

[[account]]
name = "alice"
public_key = "$AL_PUB"
preshared_key = "$AL_PSK"
address = "10.88.0.2"

[[account]]
name = "bob"
password = "bob's password"
address = "10.88.0.3"
TOML

alice_config "$TMPDIR_TEST/alice.toml" "$AL_IF" "preshared_key = \"$AL_PSK\""

bob_config "$TMPDIR_TEST/bob.toml" "$BO_IF" "$PSK"

logs() {
  for n in gw alice bob; do echo "--- $n log" >&2; tail -30 "$TMPDIR_TEST/$n.log" >&2; done
}
ON_FAILURE=logs

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
start_tandem_up "$AL" "$TMPDIR_TEST/alice.toml" "$TMPDIR_TEST/alice.log" "/var/run/wireguard/$AL_IF.sock"
start_tandem_up "$BO" "$TMPDIR_TEST/bob.toml" "$TMPDIR_TEST/bob.log"
BO_PID=$TANDEM_PID

gw_status() { hybrid_field "$GW" "$GW_IF" "$1"; }
bob_address() { ip -n "$BO" -4 -o addr show dev "$BO_IF" | awk '{print $4}' | cut -d/ -f1 | head -1; }
bob_has_address() { [ "$(bob_address)" = 10.88.0.3 ]; }

WAIT_WATCH_PID=$BO_PID wait_until "bob's L2TP/IPsec session up with the account's address 10.88.0.3" 60 bob_has_address
note "bob got $(bob_address) from IPCP (his account's address)"

ping_ok "$AL" 10.88.0.1
ping_ok "$BO" 10.88.0.1
ping_ok "$AL" 10.88.0.3
ping_ok "$BO" 10.88.0.2
note "gateway: $(gw_status '[(a["name"], a.get("return_path")) for a in d["accounts"]]')"
[ "$(gw_status '[a.get("return_path") for a in d["accounts"] if a["name"]=="alice"][0]')" = wireguard ] ||
  die "alice's traffic does not return on WireGuard"
[ "$(gw_status '[a.get("return_path") for a in d["accounts"] if a["name"]=="bob"][0]')" = l2tp-ipsec ] ||
  die "bob's traffic does not return on L2TP/IPsec"

# Spoofing: each sends from the other's address. Capture on the receiving side proves nothing
# arrives; the gateway counts the drops.
wg_before=$(gw_status 'd["spoofed"]["wireguard"]')
l2tp_before=$(gw_status 'd["spoofed"]["l2tp"]')
ip -n "$AL" addr add 10.88.0.3/32 dev "$AL_IF"
ip -n "$BO" addr add 10.88.0.2/32 dev "$BO_IF"
# Sent from the borrowed address to the gateway; no reply can come (and must not).
ip netns exec "$AL" ping -c 5 -i 0.2 -W 1 -I 10.88.0.3 10.88.0.1 >/dev/null 2>&1 &&
  die "alice, sending as bob over WireGuard, got answers"
ip netns exec "$BO" ping -c 5 -i 0.2 -W 1 -I 10.88.0.2 10.88.0.1 >/dev/null 2>&1 &&
  die "bob, sending as alice over L2TP/IPsec, got answers"
wg_after=$(gw_status 'd["spoofed"]["wireguard"]')
l2tp_after=$(gw_status 'd["spoofed"]["l2tp"]')
note "spoofed packets dropped by the gateway: WireGuard $((wg_after - wg_before)), L2TP/IPsec $((l2tp_after - l2tp_before))"
[ $((wg_after - wg_before)) -ge 5 ] || die "the gateway did not count alice's spoofed packets"
[ $((l2tp_after - l2tp_before)) -ge 5 ] || die "the gateway did not count bob's spoofed packets"
# And the legitimate traffic still flows once the borrowed addresses are gone.
ip -n "$AL" addr del 10.88.0.3/32 dev "$AL_IF"
ip -n "$BO" addr del 10.88.0.2/32 dev "$BO_IF"
ping_ok "$AL" 10.88.0.3

# Reloads. carol is added in front of alice, so every account's id (and path ids) move: the
# live paths must follow them.
cp "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.toml.orig"
CA_PUB=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
gw_handshake_alice() {
  ip netns exec "$GW" wg show "$GW_IF" latest-handshakes | awk -v k="$AL_PUB" '$1 == k { print $2 }'
}
return_path_of() { gw_status "[a.get('return_path') for a in d['accounts'] if a['name']=='$1'][0]"; }
HS_ALICE=$(gw_handshake_alice)
CAROL=$(printf '[[account]]\nname = "carol"\npublic_key = "%s"\naddress = "10.88.0.4"\nsubnets = ["192.168.60.0/24"]\n' "$CA_PUB")
awk -v carol="$CAROL" '/^\[\[account\]\]$/ && !done { print carol; print ""; done = 1 } { print }' \
  "$TMPDIR_TEST/gw.toml.orig" >"$TMPDIR_TEST/gw.toml"
out=$("$TANDEM_BIN" reload gw 2>&1) || die "reloading an added account failed: $out"
grep -qF "gw reloaded: 1 account added (carol), 0 removed, 0 changed" <<<"$out" ||
  die "tandem reload did not report carol: $out"
note "$out"
[ "$(return_path_of alice)" = wireguard ] || die "alice lost her return path in the reload"
[ "$(return_path_of bob)" = l2tp-ipsec ] || die "bob lost his return path in the reload"
# Straight away, before alice sends anything (her keepalive is 25 s): the gateway must still
# know her path to reach her.
ip netns exec "$BO" ping -c 3 -i 0.2 -W 2 10.88.0.2 >/dev/null || die "bob cannot reach alice after the reload"
ip netns exec "$GW" wg show "$GW_IF" peers | grep -qxF "$CA_PUB" || die "carol's key is not a WireGuard peer"
ip -n "$GW" route show dev "$GW_IF" | grep -q "^192.168.60.0/24" || die "no route for carol's subnet"
[ "$(gw_handshake_alice)" = "$HS_ALICE" ] || die "alice's WireGuard session was not kept"

# Removing bob while his L2TP/IPsec session is up, or moving alice's address, changes nothing.
sed '/^name = "bob"$/,$d' "$TMPDIR_TEST/gw.toml" | sed '$d' >"$TMPDIR_TEST/gw.toml.nobob"
cp "$TMPDIR_TEST/gw.toml.nobob" "$TMPDIR_TEST/gw.toml"
if out=$("$TANDEM_BIN" reload gw 2>&1); then die "bob was removed under his live session: $out"; fi
grep -qF "[[account]] bob has a live L2TP/IPsec session; it can be removed live once the session has ended" <<<"$out" ||
  die "unexpected refusal: $out"
note "$out"
sed 's/address = "10.88.0.2"/address = "10.88.0.9"/' "$TMPDIR_TEST/gw.toml.orig" >"$TMPDIR_TEST/gw.toml"
if out=$("$TANDEM_BIN" reload gw 2>&1); then die "alice's address changed live: $out"; fi
grep -qF "[[account]] alice: its address would change (10.88.0.2" <<<"$out" || die "unexpected refusal: $out"
note "$out"
ip netns exec "$GW" wg show "$GW_IF" peers | grep -qxF "$CA_PUB" || die "a refused reload removed carol"
ping_ok "$BO" 10.88.0.2

# The original file again, by SIGHUP alone: carol goes, with her key and route.
cp "$TMPDIR_TEST/gw.toml.orig" "$TMPDIR_TEST/gw.toml"
kill -HUP "$GW_PID"
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_log "$TMPDIR_TEST/gw.log" "reload: 0 accounts added, 1 removed \\(carol\\), 0 changed" 20
! ip netns exec "$GW" wg show "$GW_IF" peers | grep -qxF "$CA_PUB" || die "carol's key is still a peer"
! ip -n "$GW" route show dev "$GW_IF" | grep -q "^192.168.60.0/24" || die "carol's route is still there"
ping_ok "$AL" 10.88.0.3
ping_ok "$BO" 10.88.0.2
kill -0 "$GW_PID" || die "the gateway died"
note "PASS hybrid gateway accounts"
