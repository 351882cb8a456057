#!/bin/bash
# Two gateways sharing one PostgreSQL database as their accounts' store ([accounts] store =
# "postgresql://..."), each in a namespace of its own; the server is started here (Debian's
# postgresql, initdb into a temporary directory, a Unix socket only, no TCP) and stopped at the end.
#   - an account added through one gateway's config becomes a WireGuard peer of both, with the
#     same address;
#   - twelve accounts added through each config at the same time: 24 accounts, 24 different
#     addresses, and both gateways' cryptokey routing agrees with the store;
#   - an account revoked through the other config leaves both gateways within 2 s.
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/postgres_lib.sh"
source "$(dirname "$0")/hybrid_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
start_test_postgres
STORE=$PG_URI
note "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on $PGDIR"

G1="f$TAG"
G2="e$TAG"
make_ns "$G1"
make_ns "$G2"
# gateway_config FILE IF: a gateway whose accounts live in the shared database.
gateway_config() { store_gateway_config "$1" "$2" 10.95.0.1/24 10.95.0.10-10.95.0.200 "$STORE"; }
gateway_config "$TMPDIR_TEST/g1.toml" "fg$TAG"
gateway_config "$TMPDIR_TEST/g2.toml" "eg$TAG"
SOCKETS+=("/var/run/tandem/fg$TAG.hybrid" "/var/run/wireguard/fg$TAG.sock"
  "/var/run/tandem/eg$TAG.hybrid" "/var/run/wireguard/eg$TAG.sock")
logs() {
  for n in g1 g2; do echo "--- $n log" >&2; tail -20 "$TMPDIR_TEST/$n.log" >&2 || true; done
  tail -20 "$PGDIR/server.log" >&2 || true
}
ON_FAILURE=logs
start_tandem_up "$G1" "$TMPDIR_TEST/g1.toml" "$TMPDIR_TEST/g1.log"
G1_PID=$TANDEM_PID
start_tandem_up "$G2" "$TMPDIR_TEST/g2.toml" "$TMPDIR_TEST/g2.log"
G2_PID=$TANDEM_PID

peers() { ip netns exec "$1" wg show "$2" allowed-ips; }
# routes_are NS IF EXPECTED_FILE: the gateway's key -> allowed IPs lines are exactly the file's.
routes_are() { peers "$1" "$2" | sort | cmp -s - "$3"; }
lacks() { ! ip netns exec "$1" wg show "$2" peers | grep -qxF "$3"; }

note "an account added through the first gateway's config reaches both"
K1=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
"$TANDEM_BIN" account add alice -c "$TMPDIR_TEST/g1.toml" --public-key "$K1" >/dev/null ||
  die "account add through g1 failed"
printf '%s\t10.95.0.10/32\n' "$K1" >"$TMPDIR_TEST/expected"
WAIT_WATCH_PID=$G1_PID WAIT_WATCH_LOG="$TMPDIR_TEST/g1.log" \
  wait_until "alice at the first gateway" 5 routes_are "$G1" "fg$TAG" "$TMPDIR_TEST/expected"
WAIT_WATCH_PID=$G2_PID WAIT_WATCH_LOG="$TMPDIR_TEST/g2.log" \
  wait_until "alice at the second gateway" 5 routes_are "$G2" "eg$TAG" "$TMPDIR_TEST/expected"

note "twelve accounts added through each gateway's config at the same time"
add_many() {  # CONFIG PREFIX
  local i
  for i in $(seq 1 12); do
    "$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey >"$TMPDIR_TEST/$2$i.pub"
    "$TANDEM_BIN" account add "$2$i" -c "$1" --public-key "$(cat "$TMPDIR_TEST/$2$i.pub")" \
      >/dev/null 2>>"$TMPDIR_TEST/$2.err" || echo "$2$i" >>"$TMPDIR_TEST/failed"
  done
}
add_many "$TMPDIR_TEST/g1.toml" one &
one=$!
add_many "$TMPDIR_TEST/g2.toml" two &
two=$!
wait "$one" "$two"
[ ! -s "$TMPDIR_TEST/failed" ] ||
  die "adds failed: $(cat "$TMPDIR_TEST/failed") ($(cat "$TMPDIR_TEST"/*.err))"
"$TANDEM_BIN" account list -c "$TMPDIR_TEST/g2.toml" --json >"$TMPDIR_TEST/accounts.json" ||
  die "account list failed"
python3 - "$TMPDIR_TEST/accounts.json" "$TMPDIR_TEST/expected" <<'PY' || die "the store's accounts are wrong"
import json, sys
accounts = json.load(open(sys.argv[1]))
addresses = [a["ipv4"]["address"] for a in accounts]
print(f"--- {len(accounts)} accounts, {len(set(addresses))} different addresses")
if len(accounts) != 25 or len(set(addresses)) != 25:
    sys.exit("expected 25 accounts with 25 different addresses")
with open(sys.argv[2], "w") as out:
    for a in accounts:
        out.write(f'{a["wireguard_keys"][0]["public_key"]}\t{a["ipv4"]["address"]}/32\n')
PY
sort -o "$TMPDIR_TEST/expected" "$TMPDIR_TEST/expected"
WAIT_WATCH_PID=$G1_PID WAIT_WATCH_LOG="$TMPDIR_TEST/g1.log" \
  wait_until "the first gateway's peers as the store says" 10 routes_are "$G1" "fg$TAG" "$TMPDIR_TEST/expected"
WAIT_WATCH_PID=$G2_PID WAIT_WATCH_LOG="$TMPDIR_TEST/g2.log" \
  wait_until "the second gateway's peers as the store says" 10 routes_are "$G2" "eg$TAG" "$TMPDIR_TEST/expected"
note "both gateways route the 25 accounts' addresses to the same keys as the store"

note "revoking alice through the second gateway's config"
"$TANDEM_BIN" account revoke alice -c "$TMPDIR_TEST/g2.toml" >/dev/null || die "revoke failed"
revoked=$(date +%s%N)
wait_until "alice gone from the first gateway" 2 lacks "$G1" "fg$TAG" "$K1"
wait_until "alice gone from the second gateway" 2 lacks "$G2" "eg$TAG" "$K1"
note "alice gone from both gateways $((($(date +%s%N) - revoked) / 1000000)) ms after the revocation"
kill -0 "$G1_PID" && kill -0 "$G2_PID" || die "a gateway died"
echo "PASS: two gateways share their accounts and leases in one PostgreSQL database"
