# Helpers for tests of a plain WireGuard interface's path MTU probing ([[peer]] mtu_probe_target).
# The caller sets DEVICE_MTU and PROBE_INTERVAL (and EVENTS_FILE for a node's [events] file).

# probing_node FILE IF KEY PORT ADDRESS PEER_NAME PEER_KEY PEER_ADDRESS [ENDPOINT]: a `tandem up`
# config whose one peer (at PEER_ADDRESS inside the tunnel) is probed through that address.
probing_node() {
  cat >"$1" <<TOML
[interface]
name = "$2"
private_key = "$3"
listen_port = $4
addresses = ["$5/24"]
mtu = $DEVICE_MTU
mtu_probe_interval = $PROBE_INTERVAL

[[peer]]
name = "$6"
public_key = "$7"
allowed_ips = ["$8/32"]
mtu_probe_target = "$8"
${9:+endpoint = \"$9\"}
${EVENTS_FILE:+[events]}
${EVENTS_FILE:+file = \"$EVENTS_FILE\"}
TOML
}
# peer_field NS IF FIELD: the peer's "mtu" or "configured_mtu", or a field of its "mtu_probe", as
# `tandem status --json` shows it for interface IF in NS (empty when absent).
peer_field() {
  ip netns exec "$1" "$TANDEM_BIN" status "$2" --json | python3 -c 'import json, sys
peer = json.load(sys.stdin)[0]["peers"][0]
field = sys.argv[1]
print(peer.get(field, "") if field in ("mtu", "configured_mtu") else peer["mtu_probe"].get(field, ""))' "$3"
}
# device_mtu_is NS IF MTU: the TUN device shows MTU.
device_mtu_is() {
  [ "$(ip -n "$1" -j link show dev "$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["mtu"])')" = "$3" ]
}
