#!/bin/bash
# Path MTU probing by a hybrid gateway of a standard WireGuard client's path: ICMP echoes to the
# account's own inner address, which the client's kernel answers on its tunnel device. The client
# is wireguard-go brought up by wg-quick from the gateway's own profile (`tandem profile --format
# wg-quick`); it speaks none of Tandem's probes.
#
#   pmtu_hybrid_gateway.sh switch   [accounts] mtu_probing = true probes every account
#   pmtu_hybrid_gateway.sh target   alice's own mtu_probe_target, taken away by a reload at the end
#
#   client 192.168.86.2 (wg-quick) -- .86.1 [router R, silent hop] .87.1 -- 192.168.87.2 gateway
#   inner: gateway 10.86.0.1, alice 10.86.0.2
#
# R drops every packet over 1400 bytes that it received from the gateway's side (one direction,
# silent_hop_lib.sh) before any traffic, and sends no ICMP: only the gateway's probing can find
# the hop. Tandem seals its probes at their exact size, so 1400 less IPv4 20, UDP 8 and WireGuard
# 32 is what must be found; the client's padded replies cross the other way at any size.
# Checked, with the figures printed:
#   - the gateway's status shows alice's search complete at that size, her WireGuard packets held
#     to it, the target her address (and the text view says so); the log and the event file have
#     the change; the metrics endpoint exports it for alice's peer;
#   - a TCP transfer from the gateway to the client (iperf3 from the gateway's side) completes,
#     moving bytes every second, and its SYN reaches the client's tunnel device with MSS probed
#     less 40;
#   - a DF ping from the gateway one byte over the probed size is answered with ICMP
#     fragmentation needed carrying it, and one of exactly that size passes;
#   - switch: the hop grown to 1500: the next search upwards (mtu_probe_interval, 10 s here) finds
#     the device MTU again, and alice's packets are held to it;
#   - target: a reload without the target stops the probing: alice's status says it is off and
#     why, and what the gateway sends her is no longer held (one byte over 1340 gets no ICMP).
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
source "$(dirname "$0")/mtu_lib.sh"
source "$(dirname "$0")/silent_hop_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
SCENARIO=${1:-switch}
case "$SCENARIO" in switch | target) ;; *) die "unknown scenario $SCENARIO" ;; esac
for tool in wireguard-go wg-quick iperf3 tshark curl; do
  command -v "$tool" >/dev/null || die "$tool is not installed (scripts/install-deps.sh installs it)"
done
HOP=1400
OVERHEAD=$((20 + 8 + 32))  # IPv4, UDP, WireGuard (header 16, tag 16)
EXPECTED=$((HOP - OVERHEAD))
CLIENT=10.86.0.2
PORT=9586
PROBE_INTERVAL=10  # s between searches upwards

GW="g$TAG"
CL="c$TAG"
RT="r$TAG"
GW_IF="hg$TAG"
WQ_IF="pq$TAG"  # the wg-quick interface: named after its file
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp" "/var/run/wireguard/$GW_IF.sock"
  "/var/run/wireguard/$WQ_IF.sock")
routed_pair "$CL" "$GW" "$RT"
# Towards the client only: what R receives from the gateway (its device on the 87 link).
silent_hop_set "$RT" "$HOP" "va${TAG}87"

fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "unused" "a pre-shared key of some length"
alice_key_from_wg "$TMPDIR_TEST"
if [ "$SCENARIO" = target ]; then
  sed -i "s|^address = \"$CLIENT\"|&\nmtu_probe_target = \"$CLIENT\"|" "$TMPDIR_TEST/gw.toml"
  grep -qx "mtu_probe_target = \"$CLIENT\"" "$TMPDIR_TEST/gw.toml" || die "alice's target not in gw.toml"
fi
cat >>"$TMPDIR_TEST/gw.toml" <<TOML

[accounts]
mtu_probing = $([ "$SCENARIO" = switch ] && echo true || echo false)
mtu_probe_interval = $PROBE_INTERVAL

[events]
file = "$TMPDIR_TEST/gw.events"

[metrics]
listen = "127.0.0.1:$PORT"
TOML

logs() {
  [ -f "$TMPDIR_TEST/gw.log" ] && { echo "=== gw.log"; tail -40 "$TMPDIR_TEST/gw.log"; }
  ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" 2>/dev/null || true
  ip netns exec "$CL" wg show 2>/dev/null || true
  echo "silent hop drops: $(silent_hop_drops "$RT")"
} >&2
ON_FAILURE=logs

mkdir -p "$TMPDIR_TEST/conf"
"$TANDEM_BIN" profile --config "$TMPDIR_TEST/gw.toml" --account alice --format wg-quick \
  --endpoint 192.168.87.2 --private-key-file "$TMPDIR_TEST/alice.key" \
  -o "$TMPDIR_TEST/conf/$WQ_IF.conf" 2>"$TMPDIR_TEST/profile.err" ||
  { cat "$TMPDIR_TEST/profile.err" >&2; die "tandem profile --format wg-quick failed"; }

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"
GW_PID=$TANDEM_PID
wg_quick_up "$CL" "$TMPDIR_TEST/conf/$WQ_IF.conf"
# The client's first packet completes the handshake and gives the gateway a session to probe in.
ping_ok "$CL" 10.86.0.1
T_START=$(date +%s%N)

alice() { hybrid_field "$GW" "$GW_IF" "[a for a in d[\"accounts\"] if a[\"name\"] == \"alice\"][0]$1"; }
search_complete() {
  [ "$(alice '["mtu_probe"]["state"]')" = complete ] && [ "$(alice '["mtu_probe"].get("probed")')" != None ]
}
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the gateway's search of alice's path MTU complete" 90 search_complete
note "the gateway's search complete $((($(date +%s%N) - T_START) / 1000000)) ms after the first ping"

read -r PROBED MAX HELD TARGET SENT ACKED < <(hybrid_doc "$GW" "$GW_IF" | python3 -c '
import json, sys
a = [a for a in json.load(sys.stdin)["accounts"] if a["name"] == "alice"][0]
p = a["mtu_probe"]
print(p["probed"], p["max"], a["wireguard_mtu"], a["mtu_probe_target"], p["probes_sent"],
      p["probes_acked"])')
note "the gateway's status: alice probed $PROBED (searched up to $MAX) through echoes to $TARGET," \
  "her WireGuard packets held to $HELD; $SENT probes sent, $ACKED answered"
note "over the $HOP-byte hop towards the client: $HOP - $OVERHEAD = $EXPECTED bytes fit"
[ "$PROBED" = "$EXPECTED" ] || die "probed $PROBED, expected $EXPECTED"
[ "$HELD" = "$PROBED" ] || die "alice's WireGuard packets are held to $HELD, not $PROBED"
[ "$TARGET" = "$CLIENT" ] || die "the probes go to $TARGET, not alice's address $CLIENT"
# The lines under alice's account: her sessions, then her probing.
text=$(ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" | grep -A4 "account alice" | grep "path MTU probing")
note "the text view: $text"
# Complete, or already looking upwards again (every mtu_probe_interval) while holding it.
echo "$text" | grep -qE "path MTU probing: [a-z]+, $PROBED probed .*echoes to $CLIENT; WireGuard packets held to $PROBED" ||
  die "the text view does not show alice's probing"
line=$(grep -m1 "peer alice: path MTU probing holds its packets to $PROBED" "$TMPDIR_TEST/gw.log" || true)
[ -n "$line" ] || die "the gateway's log does not name alice and the probed $PROBED"
note "the gateway's log: $line"
mtu_changed_event "$TMPDIR_TEST/gw.events" peer alice "$PROBED"
ip netns exec "$GW" curl -sS --fail --max-time 10 "http://127.0.0.1:$PORT/metrics" \
  >"$TMPDIR_TEST/metrics.txt" || die "scraping the gateway's metrics failed"
series=$(grep "^tandem_path_mtu_bytes{" "$TMPDIR_TEST/metrics.txt" | grep -F 'kind="probed"' |
  grep -F 'peer="alice"' | grep -F 'path="wireguard"' || true)
[ -n "$series" ] || { grep "^tandem_path_mtu_bytes" "$TMPDIR_TEST/metrics.txt" >&2 || true; }
note "metrics: $series"
[ "${series##* }" = "$PROBED" ] || die "the metrics do not export alice's probed $PROBED"

# A TCP transfer from the gateway to the client: the gateway's SYN (MSS from its 1420-byte
# device) is clamped to alice's path; bytes must move every second.
transfer_with_syn_capture "$CL" "$WQ_IF" "$CLIENT" "$GW" "transfer from the gateway to the client"
mss=$(first_syn_mss "$TMPDIR_TEST/syn.pcap")
note "the gateway's SYN at the client's device: MSS $mss (expected $((PROBED - 40)))"
[ "$mss" = $((PROBED - 40)) ] || die "the SYN reached the client with MSS $mss, not $((PROBED - 40))"

# A DF ping from the gateway one byte over the probed size: ICMP fragmentation needed from inside
# the tunnel; exactly the probed size passes.
one_byte_more "$GW" "$CLIENT" "$PROBED" "$CLIENT"
exactly_fits "$GW" "$CLIENT" "$PROBED"

note "the hop dropped $(silent_hop_drops "$RT") packets from the gateway"

if [ "$SCENARIO" = target ]; then
  # The target goes in a reload: nothing probes alice's path, and nothing holds her packets.
  sed -i "/^mtu_probe_target = /d" "$TMPDIR_TEST/gw.toml"
  out=$("$TANDEM_BIN" reload "$TMPDIR_TEST/gw.toml" 2>&1) || die "the reload without the target failed: $out"
  note "$out"
  grep -qF "1 changed (alice)" <<<"$out" || die "the reload did not change alice: $out"
  grep -q "account alice: WireGuard path MTU probing stops" "$TMPDIR_TEST/gw.log" ||
    die "the gateway's log does not say alice's probing stops"
  state=$(alice '["mtu_probe"]["state"]')
  reason=$(alice '["mtu_probe"]["reason"]')
  note "alice's probing after the reload: $state ($reason)"
  [ "$state" = off ] || die "alice's probing is $state after the reload, not off"
  [ "$reason" = "no mtu_probe_target for this account, and [accounts] mtu_probing is off" ] ||
    die "the reason given is: $reason"
  ip netns exec "$GW" "$TANDEM_BIN" status "$GW_IF" | grep -A4 "account alice" |
    grep -q "path MTU probing: off (no mtu_probe_target" || die "the text view does not say probing is off"
  ip netns exec "$GW" ping -c 1 -W 3 -M do -s $((PROBED - 27)) "$CLIENT" >"$TMPDIR_TEST/unheld.log" 2>&1 || true
  ! grep -q "mtu = $PROBED" "$TMPDIR_TEST/unheld.log" ||
    die "one byte over $PROBED still gets ICMP with it after the target went"
  note "one byte over $PROBED from the gateway: no ICMP any more (the hop drops it silently)"
  kill -0 "$GW_PID" || die "the gateway died"
  wg_quick_down "$CL" "$TMPDIR_TEST/conf/$WQ_IF.conf"
  echo "PASS: pmtu_hybrid_gateway target: $PROBED probed through alice's target, none after a reload took it"
  exit 0
fi

# The hop grows: the next search upwards (one mtu_probe_interval after the last began) finds the
# whole device MTU again.
silent_hop_set "$RT" 1500 "va${TAG}87"
grown=$(now_ms)
probed_is() { [ "$(alice '["mtu_probe"]["state"]')" = complete ] && [ "$(alice '["mtu_probe"].get("probed")')" = "$1" ]; }
WAIT_WATCH_PID=$GW_PID WAIT_WATCH_LOG="$TMPDIR_TEST/gw.log" \
  wait_until "the gateway finding $MAX towards alice again" $((2 * PROBE_INTERVAL + 20)) probed_is "$MAX"
note "the hop grown to 1500: $MAX found $(($(now_ms) - grown)) ms later (mtu_probe_interval" \
  "$PROBE_INTERVAL s); alice's WireGuard packets held to $(alice '["wireguard_mtu"]')"
[ "$(alice '["wireguard_mtu"]')" = "$MAX" ] || die "alice's packets are not held to $MAX again"
kill -0 "$GW_PID" || die "the gateway died"
wg_quick_down "$CL" "$TMPDIR_TEST/conf/$WQ_IF.conf"
echo "PASS: pmtu_hybrid_gateway switch: the gateway probed $PROBED towards a wg-quick client over a $HOP-byte hop"
