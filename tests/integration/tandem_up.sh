#!/bin/bash
# Two nodes run from Tandem TOML configs with `tandem up`: addresses, routes and peers come from
# the files; ping and `tandem status --json` show a handshake and traffic. A broken config is
# refused with file:line:column before anything is created.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"

make_ns "a$TAG"; make_ns "b$TAG"
link_ns "a$TAG" "b$TAG" 78
KA=$("$TANDEM_BIN" genkey); KB=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey); PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
[ "$PA" = "$(echo "$KA" | wg pubkey)" ] || die "tandem pubkey disagrees with wg pubkey"
PSK=$("$TANDEM_BIN" genpsk)
cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "ua$TAG"
private_key = "$KA"
listen_port = 51830
addresses = ["10.78.0.1/24"]

[[peer]]
name = "node-b"
public_key = "$PB"
preshared_key = "$PSK"
endpoint = "192.168.78.2:51831"
allowed_ips = ["10.78.0.2/32", "10.178.0.0/16"]
persistent_keepalive = 25
TOML
cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "ub$TAG"
private_key = "$KB"
listen_port = 51831
addresses = ["10.78.0.2/24"]

[[peer]]
name = "node-a"
public_key = "$PA"
preshared_key = "$PSK"
allowed_ips = ["10.78.0.1/32"]
TOML

# A typo must be refused with its position, and create nothing.
sed 's/listen_port/listn_port/' "$TMPDIR_TEST/a.toml" >"$TMPDIR_TEST/bad.toml"
if out=$(ip netns exec "a$TAG" "$TANDEM_BIN" up -c "$TMPDIR_TEST/bad.toml" 2>&1); then
  die "a config with an unknown key was accepted"
fi
echo "$out" | grep -q "bad.toml:4:1: unknown key 'listn_port'" || die "unexpected error text: $out"
note "bad config refused: $out"

# b first: a sends its first handshake initiation at once (persistent keepalive), and one that
# reaches b before b listens is only retried after REKEY_TIMEOUT (5 s). `tandem up` serves its
# UAPI socket only once its UDP port is bound and its addresses and routes are in place.
for n in b a; do
  SOCKETS+=("/var/run/wireguard/u$n$TAG.sock")
  start_tandem_up "$n$TAG" "$TMPDIR_TEST/$n.toml" "$TMPDIR_TEST/$n.log" "/var/run/wireguard/u$n$TAG.sock"
done
ip -n "a$TAG" route show dev "ua$TAG" | grep -q "10.178.0.0/16" || die "route for an allowed IP missing"
ping_ok "a$TAG" 10.78.0.2
ping_ok "b$TAG" 10.78.0.1
ip netns exec "a$TAG" "$TANDEM_BIN" status "ua$TAG"
ip netns exec "a$TAG" "$TANDEM_BIN" status "ua$TAG" --json >"$TMPDIR_TEST/status.json"
python3 - "$TMPDIR_TEST/status.json" <<'PY' || die "tandem status --json does not show the session"
import json, sys
doc = json.load(open(sys.argv[1]))
peer = doc[0]["peers"][0]
assert peer["latest_handshake_unix"] > 0, peer
assert peer["rx_bytes"] > 0 and peer["tx_bytes"] > 0, peer
print("status json ok:", peer["endpoint"], peer["rx_bytes"], peer["tx_bytes"])
PY
assert_wg_counters "b$TAG" "ub$TAG"

# import-wg: a wg-quick file becomes a config `tandem up` accepts; DNS carries over.
cat >"$TMPDIR_TEST/wq0.conf" <<CONF
[Interface]
PrivateKey = $KA
Address = 10.79.1.1/24
DNS = 10.79.1.53

[Peer]
PublicKey = $PB
AllowedIPs = 10.79.1.2/32
Endpoint = 192.168.78.2:51831
CONF
"$TANDEM_BIN" import-wg "$TMPDIR_TEST/wq0.conf" -o "$TMPDIR_TEST/wq0.toml" 2>"$TMPDIR_TEST/import.err" ||
  die "import-wg failed: $(cat "$TMPDIR_TEST/import.err")"
grep -qx 'dns = \["10.79.1.53"\]' "$TMPDIR_TEST/wq0.toml" || die "import-wg did not convert DNS"
[ ! -s "$TMPDIR_TEST/import.err" ] || die "import-wg warned: $(cat "$TMPDIR_TEST/import.err")"
grep -q 'name = "wq0"' "$TMPDIR_TEST/wq0.toml" || die "import-wg did not name the interface after the file"
grep -q "$PB" "$TMPDIR_TEST/wq0.toml" || die "import-wg lost the peer"
echo "PASS: tandem up from TOML configs"
