#!/bin/bash
# The metrics endpoint of a plain WireGuard node: two `tandem up` nodes in namespaces, node a
# with [metrics] on loopback and a second peer that never connects. After traffic, a scrape
# (curl inside a's namespace) passes `promtool check metrics`, and its WireGuard series match
# `wg show <if> dump` read just before and just after it (bytes between the two reads, the latest
# handshake equal) and the MTUs `tandem status --json` shows; the silent peer is there with 0.
# A listen address other than loopback is refused unless allow_remote = true, and the endpoint
# goes away with the daemon.
source "$(dirname "$0")/../netns/lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
command -v promtool >/dev/null || die "promtool missing (Debian package prometheus; scripts/install-deps.sh)"

make_ns "a$TAG"; make_ns "b$TAG"
link_ns "a$TAG" "b$TAG" 79
KA=$("$TANDEM_BIN" genkey); KB=$("$TANDEM_BIN" genkey)
PA=$(echo "$KA" | "$TANDEM_BIN" pubkey); PB=$(echo "$KB" | "$TANDEM_BIN" pubkey)
SILENT=$("$TANDEM_BIN" genkey | "$TANDEM_BIN" pubkey)
PORT=9586
cat >"$TMPDIR_TEST/a.toml" <<TOML
[interface]
name = "ma$TAG"
private_key = "$KA"
listen_port = 51840
addresses = ["10.79.0.1/24"]

[[peer]]
name = "node-b"
public_key = "$PB"
endpoint = "192.168.79.2:51841"
allowed_ips = ["10.79.0.2/32"]
persistent_keepalive = 25

[[peer]]
name = "never \"seen\""
public_key = "$SILENT"
allowed_ips = ["10.79.0.9/32"]

[metrics]
listen = "127.0.0.1:$PORT"
TOML
cat >"$TMPDIR_TEST/b.toml" <<TOML
[interface]
name = "mb$TAG"
private_key = "$KB"
listen_port = 51841
addresses = ["10.79.0.2/24"]

[[peer]]
name = "node-a"
public_key = "$PA"
allowed_ips = ["10.79.0.1/32"]
TOML

# Metrics name every peer's key and endpoint: not on a non-loopback address by accident.
sed "s/127.0.0.1:$PORT/0.0.0.0:$PORT/" "$TMPDIR_TEST/a.toml" >"$TMPDIR_TEST/remote.toml"
if out=$(ip netns exec "a$TAG" "$TANDEM_BIN" up -c "$TMPDIR_TEST/remote.toml" 2>&1); then
  die "a non-loopback metrics address was accepted without allow_remote"
fi
echo "$out" | grep -q "remote.toml:20:10: listen 0.0.0.0:$PORT is not a loopback address.*set allow_remote = true" ||
  die "unexpected refusal: $out"
note "refused: $out"

logs() { for n in a b; do echo "--- $n log" >&2; tail -30 "$TMPDIR_TEST/$n.log" >&2; done; }
ON_FAILURE=logs
for n in b a; do
  SOCKETS+=("/var/run/wireguard/m$n$TAG.sock")
  start_tandem_up "$n$TAG" "$TMPDIR_TEST/$n.toml" "$TMPDIR_TEST/$n.log" "/var/run/wireguard/m$n$TAG.sock"
done
A_PID=${PIDS[-1]}
wait_listen "a$TAG" tcp "$PORT" 30 "the metrics endpoint"
ping_ok "a$TAG" 10.79.0.2
ip netns exec "a$TAG" ping -q -c 20 -i 0.05 -s 1000 10.79.0.2 >/dev/null || die "bulk ping failed"

scrape() { ip netns exec "a$TAG" curl -sS --fail --max-time 10 "http://127.0.0.1:$PORT/metrics"; }
# One reading of wg, the scrape, another reading: counters must fall between the two.
ip netns exec "a$TAG" wg show "ma$TAG" dump >"$TMPDIR_TEST/before.dump"
scrape >"$TMPDIR_TEST/metrics.txt" || die "the scrape failed"
ip netns exec "a$TAG" wg show "ma$TAG" dump >"$TMPDIR_TEST/after.dump"
ip netns exec "a$TAG" "$TANDEM_BIN" status "ma$TAG" --json >"$TMPDIR_TEST/status.json"
promtool check metrics <"$TMPDIR_TEST/metrics.txt" >"$TMPDIR_TEST/promtool.txt" 2>&1 ||
  { cat "$TMPDIR_TEST/promtool.txt" >&2; die "promtool check metrics refused the scrape"; }
note "promtool check metrics: passed ($(grep -c . "$TMPDIR_TEST/metrics.txt") lines)"
ip netns exec "a$TAG" curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/other" \
  >"$TMPDIR_TEST/code" || true
[ "$(cat "$TMPDIR_TEST/code")" = 404 ] || die "another path answered $(cat "$TMPDIR_TEST/code"), not 404"

python3 - "$TMPDIR_TEST" "$PB" "$SILENT" "ma$TAG" <<'PY' || die "the metrics do not match wg show and tandem status"
import json, re, sys
d, peer_b, silent, iface = sys.argv[1:]
series = {}
for line in open(f"{d}/metrics.txt"):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-z_]+)(\{.*\})? (\S+)$', line.strip())
    assert m, line
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    series.setdefault(m.group(1), []).append((labels, float(m.group(3))))

def one(name, **want):
    found = [v for l, v in series.get(name, []) if all(l.get(k) == w for k, w in want.items())]
    assert len(found) == 1, (name, want, found)
    return found[0]

def dump(which):
    rows = [l.rstrip("\n").split("\t") for l in open(f"{d}/{which}.dump")][1:]
    return {r[0]: r for r in rows}
before, after = dump("before"), dump("after")
b0, b1 = before[peer_b], after[peer_b]
labels = dict(interface=iface, public_key=peer_b, allowed_ips="10.79.0.2/32", friendly_name="node-b")
rx = one("wireguard_received_bytes_total", **labels)
tx = one("wireguard_sent_bytes_total", **labels)
hs = one("wireguard_latest_handshake_seconds", **labels)
assert int(b0[5]) <= rx <= int(b1[5]), ("rx", b0[5], rx, b1[5])
assert int(b0[6]) <= tx <= int(b1[6]), ("tx", b0[6], tx, b1[6])
assert rx > 20000 and tx > 20000, (rx, tx)
if b0[4] == b1[4]:
    assert hs == int(b0[4]), ("handshake", b0[4], hs)
assert one("tandem_wireguard_peer_up", **labels) == 1
print(f"node-b: rx {b0[5]} <= {rx:.0f} <= {b1[5]}, tx {b0[6]} <= {tx:.0f} <= {b1[6]}, handshake {hs:.0f}")

quiet = dict(interface=iface, public_key=silent, friendly_name='never \\"seen\\"')
for name in ("wireguard_received_bytes_total", "wireguard_sent_bytes_total",
             "wireguard_latest_handshake_seconds", "tandem_wireguard_peer_up"):
    assert one(name, **quiet) == 0, name
print("the silent peer is present, down, with 0")

assert one("tandem_authentication_failures_total", interface=iface, protocol="wireguard") == 0
reasons = {l["reason"] for l, _ in series["tandem_drops_total"] if l["interface"] == iface}
assert {"wireguard_replayed_counter", "wireguard_unknown_peer"} <= reasons, reasons
print(len(reasons), "drop reasons, no authentication failure")

status = json.load(open(f"{d}/status.json"))[0]
peer = [p for p in status["peers"] if p["public_key"] == peer_b][0]
mtu_labels = dict(interface=iface, path="wireguard", peer="node-b")
assert one("tandem_path_mtu_bytes", kind="effective", **mtu_labels) == peer["mtu"], peer
assert one("tandem_path_mtu_bytes", kind="configured", **mtu_labels) == peer["configured_mtu"], peer
print("MTU", peer["mtu"], "of the device's", peer["configured_mtu"], "as tandem status shows")
PY

note "stopping node a: the endpoint goes with it"
stop_pid "$A_PID" 20 "tandem up (node a)"
! _listening "a$TAG" tcp "$PORT" || die "the metrics endpoint outlived the daemon"
echo "PASS: metrics of a WireGuard node match wg show; promtool accepts them"
