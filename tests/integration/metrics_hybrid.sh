#!/bin/bash
# The metrics of a hybrid client and its gateway (hybrid_lib.sh's fallback pair across a router
# namespace), both with [metrics] on loopback. The client's scrape shows WireGuard as the active
# path, its probed path MTU as its status shows it, and its L2TP/IPsec session up; the gateway's
# shows alice on WireGuard. With WireGuard cut in the router, the client's failovers go from 0 to
# 1, the active path moves to L2TP/IPsec (the gateway's for alice too) and the time on the
# fallback grows; with the cut lifted, a failback is counted. Last, the client comes back with an
# unknown WireGuard key and a wrong PPP password: the gateway's tandem_auth_failures_total counts
# both (wireguard/unknown_key, ppp_*/wrong_password). Every scrape passes `promtool check metrics`.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v promtool >/dev/null || die "promtool missing (Debian package prometheus; scripts/install-deps.sh)"
PSK="a pre-shared key of some length"
PORT=9586

fallback_pair "$PSK"
for f in gw cl; do printf '\n[metrics]\nlisten = "127.0.0.1:%s"\n' "$PORT" >>"$TMPDIR_TEST/$f.toml"; done

logs() {
  echo "--- gateway log" >&2; tail -40 "$TMPDIR_TEST/gw.log" >&2
  echo "--- client log" >&2; tail -40 "$TMPDIR_TEST/cl.log" >&2
}
ON_FAILURE=logs
start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
CL_PID=$TANDEM_PID
wait_listen "$CL" tcp "$PORT" 30 "the client's metrics endpoint"
wait_listen "$GW" tcp "$PORT" 30 "the gateway's metrics endpoint"

client() { hybrid_field "$CL" "$CL_IF" "$1"; }
probed() { client 'd["paths"][0]["mtu_probe"].get("probed")'; }
probed_known() { [ "$(probed)" != None ]; }
WAIT_WATCH_PID=$CL_PID wait_until "both of the client's paths healthy" 60 hybrid_both_healthy "$CL" "$CL_IF"
WAIT_WATCH_PID=$CL_PID wait_until "traffic on WireGuard" 30 hybrid_active_is "$CL" "$CL_IF" wireguard
WAIT_WATCH_PID=$CL_PID wait_until "the WireGuard path's MTU probed" 60 probed_known
ping_ok "$CL" 10.86.0.1

# scrape NS NAME: the metrics into $TMPDIR_TEST/NAME.txt, checked by promtool.
scrape() {
  ip netns exec "$1" curl -sS --fail --max-time 10 "http://127.0.0.1:$PORT/metrics" \
    >"$TMPDIR_TEST/$2.txt" || die "scraping $2 failed"
  promtool check metrics <"$TMPDIR_TEST/$2.txt" >"$TMPDIR_TEST/$2.promtool" 2>&1 ||
    { cat "$TMPDIR_TEST/$2.promtool" >&2; die "promtool check metrics refused $2"; }
}
# value NAME SERIES: the value of one series (name and labels exactly as written), or die.
value() {
  local v
  v=$(awk -v s="$2" 'substr($0, 1, length(s) + 1) == s " " { print $NF; exit }' "$TMPDIR_TEST/$1.txt")
  [ -n "$v" ] || { grep -F "${2%%\{*}" "$TMPDIR_TEST/$1.txt" >&2 || true; die "$1: no series $2"; }
  echo "$v"
}
expect() {  # NAME SERIES VALUE
  local v
  v=$(value "$1" "$2")
  [ "$v" = "$3" ] || die "$1: $2 is $v, not $3"
  note "$1: $2 $v"
}

C="interface=\"$CL_IF\""
scrape "$CL" client
expect client "tandem_hybrid_active_path{$C,path=\"wireguard\"}" 1
expect client "tandem_hybrid_active_path{$C,path=\"l2tp-ipsec\"}" 0
expect client "tandem_hybrid_failovers_total{$C}" 0
expect client "tandem_path_mtu_bytes{$C,path=\"wireguard\",peer=\"\",kind=\"probed\"}" "$(probed)"
grep -q "^tandem_ppp_session_up{$C,user=\"alice\",peer=\"192.168.87.2[^\"]*\"} 1$" "$TMPDIR_TEST/client.txt" ||
  die "client: alice's PPP session is not up: $(grep tandem_ppp_session_up "$TMPDIR_TEST/client.txt")"
expect client "tandem_ike_sas{$C,state=\"established\"}" 1
expect client "tandem_esp_sas{$C}" 1
sent=$(value client "tandem_mtu_probes_sent_total{$C,path=\"wireguard\",peer=\"\"}")
[ "$sent" -gt 0 ] || die "no path MTU probes counted as sent"
changes=$(value client "tandem_mtu_probe_changes_total{$C,path=\"wireguard\",peer=\"\"}")
[ "$changes" -ge 1 ] || die "the probed MTU's first setting is not counted as a change"
note "path MTU probes sent: $sent; changes of the probed MTU: $changes"
scrape "$GW" gateway
G="interface=\"$GW_IF\""
expect gateway "tandem_hybrid_active_path{$G,account=\"alice\",path=\"wireguard\"}" 1
expect gateway "tandem_account_up{$G,account=\"alice\"}" 1

note "cutting WireGuard (UDP 51820) in the router"
ip netns exec "$RT" nft add rule ip cut$TAG block udp dport 51820 drop
ip netns exec "$RT" nft add rule ip cut$TAG block udp sport 51820 drop
WAIT_WATCH_PID=$CL_PID wait_until "traffic on L2TP/IPsec" 15 hybrid_active_is "$CL" "$CL_IF" l2tp-ipsec
sleep 2
scrape "$CL" client-fallback
expect client-fallback "tandem_hybrid_active_path{$C,path=\"wireguard\"}" 0
expect client-fallback "tandem_hybrid_active_path{$C,path=\"l2tp-ipsec\"}" 1
expect client-fallback "tandem_hybrid_failovers_total{$C}" 1
expect client-fallback "tandem_hybrid_path_healthy{$C,path=\"wireguard\"}" 0
on_fallback=$(value client-fallback "tandem_hybrid_secondary_active_seconds_total{$C}")
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= 1.5 else 1)" "$on_fallback" ||
  die "only $on_fallback s counted on the fallback after 2 s there"
note "seconds on the fallback: $on_fallback"
gateway_path_is() {
  [ "$(hybrid_field "$GW" "$GW_IF" '[a.get("return_path","-") for a in d["accounts"] if a["name"]=="alice"][0]')" = "$1" ]
}
# The gateway answers on the path alice's latest packet came by: some traffic on the fallback.
ping_ok "$CL" 10.86.0.1
wait_until "the gateway sending alice's traffic on L2TP/IPsec" 15 gateway_path_is l2tp-ipsec
scrape "$GW" gateway-fallback
expect gateway-fallback "tandem_hybrid_active_path{$G,account=\"alice\",path=\"l2tp-ipsec\"}" 1
expect gateway-fallback "tandem_hybrid_active_path{$G,account=\"alice\",path=\"wireguard\"}" 0
# alice's PPP session at the gateway, in the scrape and then in status: bytes both ways, and
# never more in the earlier scrape than in the later status.
ppp_bytes() {  # DIRECTION: alice's PPP session's bytes in the gateway-fallback scrape
  awk -v s="tandem_ppp_$1_bytes_total{$G,user=\"alice\"," 'index($0, s) == 1 { print $NF }' \
    "$TMPDIR_TEST/gateway-fallback.txt"
}
m_in=$(ppp_bytes received)
m_out=$(ppp_bytes sent)
[ "${m_in:-0}" -gt 0 ] && [ "${m_out:-0}" -gt 0 ] ||
  die "the gateway's metrics show no bytes on alice's PPP session (in ${m_in:-none}, out ${m_out:-none})"
read -r s_in s_out < <(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" --json | python3 -c '
import json, sys
s = [s for d in json.load(sys.stdin) if d.get("kind") == "l2tp" for s in d["sessions"]
     if s["user"] == "alice"]
print(s[0]["rx_bytes"], s[0]["tx_bytes"])')
[ "$s_in" -ge "$m_in" ] && [ "$s_out" -ge "$m_out" ] ||
  die "status counts fewer bytes on alice's PPP session ($s_in in, $s_out out) than the scrape before it ($m_in, $m_out)"
note "alice's PPP session at the gateway: metrics $m_in in, $m_out out; status after it $s_in, $s_out"

note "lifting the cut"
ip netns exec "$RT" nft flush chain ip cut$TAG block
WAIT_WATCH_PID=$CL_PID wait_until "traffic back on WireGuard" 40 hybrid_active_is "$CL" "$CL_IF" wireguard
scrape "$CL" client-back
expect client-back "tandem_hybrid_active_path{$C,path=\"wireguard\"}" 1
expect client-back "tandem_hybrid_failovers_total{$C}" 1
expect client-back "tandem_hybrid_failbacks_total{$C}" 1

# Refused logins: the client comes back with a WireGuard key the gateway does not know and a wrong
# PPP password; the gateway counts both by protocol and reason (never with the secret).
refused() { value gateway-refused "tandem_auth_failures_total{$G,protocol=\"$1\",reason=\"$2\"}"; }
scrape "$GW" gateway-refused
unknown_before=$(refused wireguard unknown_key)
stop_pid "$CL_PID" 30 "the client"
sed -e 's/^password = "correct horse"$/password = "not the password"/' \
  -e "s|^private_key = .*|private_key = \"$("$TANDEM_BIN" genkey)\"|" "$TMPDIR_TEST/cl.toml" >"$TMPDIR_TEST/wrong.toml"
grep -q '^password = "not the password"$' "$TMPDIR_TEST/wrong.toml" || die "wrong.toml has no wrong password"
WAIT_WATCH_PID= wait_until "the client's device gone" 30 bash -c "! ip -n $CL link show dev $CL_IF"
start_tandem_up "$CL" "$TMPDIR_TEST/wrong.toml" "$TMPDIR_TEST/wrong.log"
wait_log "$TMPDIR_TEST/gw.log" "login refused: user 'alice'" 60
ppp_refused() {
  scrape "$GW" gateway-refused
  grep -Eq "^tandem_auth_failures_total\{$G,protocol=\"ppp_[a-z0-9]+\",reason=\"wrong_password\"\} [1-9]" \
    "$TMPDIR_TEST/gateway-refused.txt"
}
wait_until "the gateway counting alice's wrong password" 30 ppp_refused
unknown_key_counted() {
  scrape "$GW" gateway-refused
  [ "$(refused wireguard unknown_key)" -gt "$unknown_before" ]
}
ip netns exec "$CL" ping -c 1 -W 1 10.86.0.1 >/dev/null 2>&1 || true  # a handshake to refuse
wait_until "the gateway counting a handshake from an unknown key" 30 unknown_key_counted
note "gateway: $(grep '^tandem_auth_failures_total' "$TMPDIR_TEST/gateway-refused.txt" | grep -v ' 0$' | tr '\n' ' ')"
grep -q "not the password" "$TMPDIR_TEST/gateway-refused.txt" && die "the metrics show a password"
echo "PASS: a hybrid client's metrics show its active path, probed MTU and the failover"
