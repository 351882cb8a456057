#!/bin/bash
# `tandem profile` against a live hybrid gateway: the account's key pair is made here with
# `wg genkey`/`wg pubkey` (the gateway knows only the public half), the profile comes from the
# gateway's own config, and the client software nobody here wrote imports it as it stands:
#
#   client 192.168.86.2 -- .86.1 [router] .87.1 -- 192.168.87.2 gateway
#   inner: gateway 10.86.0.1 and fd86::1, alice 10.86.0.2 and fd86::2
#
# 1. --format wg-quick (and --format png, which zbarimg reads back to the same text):
#    `wg-quick up` of it with wireguard-go in the client's namespace; ping (IPv4 and IPv6) and
#    a TCP transfer to the gateway's inner address; `wg-quick down`.
# 2. --format tandem: `tandem up` of the generated client, its WireGuard and L2TP/IPsec paths
#    both healthy, ping through it.
# First a key file others can read is refused with the chmod 600 that fixes it. The gateway
# pushes no DNS, so the wg-quick file has no DNS = and wg-quick needs no resolvconf.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v wireguard-go >/dev/null || die "wireguard-go missing (scripts/install-deps.sh)"
command -v wg-quick >/dev/null || die "wg-quick missing (wireguard-tools)"
command -v zbarimg >/dev/null || die "zbarimg missing (zbar-tools, scripts/install-deps.sh)"

GW="g$TAG"
CL="c$TAG"
RT="r$TAG"
GW_IF="hg$TAG"
WQ_IF="pq$TAG"  # the wg-quick interface: named after its file
CL_IF="pc$TAG"  # the Tandem client's device
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$GW_IF.hybrid" "$STATUS_DIR/$GW_IF.l2tp" "/var/run/wireguard/$GW_IF.sock"
  "/var/run/wireguard/$WQ_IF.sock" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.l2tp"
  "/var/run/wireguard/$CL_IF.sock")
routed_pair "$CL" "$GW" "$RT"

fallback_pair_configs "$TMPDIR_TEST" "$GW_IF" "unused" "a pre-shared key of some length"
alice_key_from_wg "$TMPDIR_TEST"

logs() {
  for n in gw cl; do
    [ -f "$TMPDIR_TEST/$n.log" ] || continue
    echo "--- $n log" >&2
    tail -30 "$TMPDIR_TEST/$n.log" >&2
  done
  ip netns exec "$CL" wg show 2>/dev/null >&2 || true
}
ON_FAILURE=logs

profile() {  # FORMAT OUTPUT [more options]
  local format=$1 output=$2
  shift 2
  "$TANDEM_BIN" profile --config "$TMPDIR_TEST/gw.toml" --account alice --format "$format" \
    --endpoint 192.168.87.2 --private-key-file "$TMPDIR_TEST/alice.key" -o "$output" "$@" \
    2>"$TMPDIR_TEST/profile.err" || { cat "$TMPDIR_TEST/profile.err" >&2; die "tandem profile --format $format failed"; }
  [ "$(stat -c %a "$output")" = 600 ] || die "$output is not mode 0600"
}

note "a world-readable key file is refused, naming chmod 600"
chmod 644 "$TMPDIR_TEST/alice.key"
if "$TANDEM_BIN" profile --config "$TMPDIR_TEST/gw.toml" --account alice --format wg-quick \
    --endpoint 192.168.87.2 --private-key-file "$TMPDIR_TEST/alice.key" >/dev/null 2>"$TMPDIR_TEST/refused.err"; then
  die "a key file of mode 0644 was accepted"
fi
grep -q "chmod 600 $TMPDIR_TEST/alice.key" "$TMPDIR_TEST/refused.err" ||
  die "the refusal does not name chmod 600: $(cat "$TMPDIR_TEST/refused.err")"
chmod 600 "$TMPDIR_TEST/alice.key"

mkdir -p "$TMPDIR_TEST/conf"
profile wg-quick "$TMPDIR_TEST/conf/$WQ_IF.conf"
note "the profile:"
sed 's/^\(PrivateKey = \).*/\1(hidden)/' "$TMPDIR_TEST/conf/$WQ_IF.conf"
grep -qx "Endpoint = 192.168.87.2:51820" "$TMPDIR_TEST/conf/$WQ_IF.conf" || die "wrong Endpoint"
grep -qx "Address = 10.86.0.2/32, fd86::2/128" "$TMPDIR_TEST/conf/$WQ_IF.conf" || die "wrong Address"
! grep -q "^DNS" "$TMPDIR_TEST/conf/$WQ_IF.conf" || die "DNS = without a DNS server pushed"

note "the QR code's PNG decodes (zbarimg) to exactly the wg-quick file"
profile png "$TMPDIR_TEST/alice.png"
zbarimg --quiet --raw "$TMPDIR_TEST/alice.png" >"$TMPDIR_TEST/decoded" ||
  die "zbarimg found no QR code in the PNG"
# zbarimg ends the data with a newline of its own.
printf '\n' | cat "$TMPDIR_TEST/conf/$WQ_IF.conf" - | cmp -s - "$TMPDIR_TEST/decoded" ||
  die "the QR code does not hold the wg-quick file: $(diff "$TMPDIR_TEST/conf/$WQ_IF.conf" "$TMPDIR_TEST/decoded")"

start_tandem_up "$GW" "$TMPDIR_TEST/gw.toml" "$TMPDIR_TEST/gw.log"

note "wg-quick up with wireguard-go"
wg_quick_up "$CL" "$TMPDIR_TEST/conf/$WQ_IF.conf"
ping_ok "$CL" 10.86.0.1
ping_ok "$CL" fd86::1
iperf_ok "$GW" "$CL" 10.86.0.1 3
assert_wg_counters "$CL" "$WQ_IF"
wg_quick_down "$CL" "$TMPDIR_TEST/conf/$WQ_IF.conf"
wait_until "$WQ_IF removed after wg-quick down" 30 bash -c "! ip -n '$CL' link show '$WQ_IF'"

note "the Tandem client profile: WireGuard primary, L2TP/IPsec secondary"
profile tandem "$TMPDIR_TEST/cl.toml" --interface "$CL_IF"
"$TANDEM_BIN" check "$TMPDIR_TEST/cl.toml" >"$TMPDIR_TEST/check.log" 2>&1 ||
  { cat "$TMPDIR_TEST/check.log" >&2; die "tandem check refuses the generated client"; }
start_tandem_up "$CL" "$TMPDIR_TEST/cl.toml" "$TMPDIR_TEST/cl.log"
CL_PID=$TANDEM_PID
WAIT_WATCH_PID=$CL_PID WAIT_WATCH_LOG="$TMPDIR_TEST/cl.log" \
  wait_until "both paths of the generated client healthy" 90 hybrid_both_healthy "$CL" "$CL_IF"
hybrid_active_is "$CL" "$CL_IF" wireguard || die "the generated client does not prefer WireGuard"
ping_ok "$CL" 10.86.0.1
stop_pid "$CL_PID" 30 "the Tandem client"
echo "PASS: profiles from the gateway's config imported by wg-quick/wireguard-go and tandem up"
