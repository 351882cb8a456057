#!/bin/bash
# The configs of Tandem-to-Tandem nesting, shared by nested.sh and bench/nested.sh, sourced after
# ../netns/lib.sh. A server runs WireGuard (10.96.0.1, UDP 51820) and an L2TP/IPsec gateway
# (10.86.0.1, handing out 10.86.0.10 and up) side by side; both listen on every address, so each
# is reachable inside the other. A client (10.96.0.2 in WireGuard, user alice in L2TP) runs either
# tunnel alone or one inside the other.
#
# The configs expect what nested_nodes sets, and PSK.

# nested_nodes INDEX: namespaces SV (the server) and CL (the client) on a veth pair, the server
# 192.168.INDEX.1 (SV_ADDRESS); the server's devices SV_WG and SV_L2, the client's CL_IF, with
# their sockets in SOCKETS for the cleanup; STATUS_DIR; WireGuard keys SK and SP (the server's
# private and public), CK and CP (the client's).
nested_nodes() {
  SV="ns$TAG"
  CL="nc$TAG"
  make_ns "$SV"
  make_ns "$CL"
  link_ns "$SV" "$CL" "$1"
  SV_ADDRESS="192.168.$1.1"
  SV_WG="sw$TAG"
  SV_L2="sl$TAG"
  CL_IF="cn$TAG"
  STATUS_DIR=/var/run/tandem
  SOCKETS+=("$STATUS_DIR/$SV_L2.l2tp" "$STATUS_DIR/$CL_IF.hybrid" "$STATUS_DIR/$CL_IF.l2tp"
    "/var/run/wireguard/$SV_WG.sock" "/var/run/wireguard/$CL_IF.sock")
  SK=$("$TANDEM_BIN" genkey)
  CK=$("$TANDEM_BIN" genkey)
  SP=$(echo "$SK" | "$TANDEM_BIN" pubkey)
  CP=$(echo "$CK" | "$TANDEM_BIN" pubkey)
}

# nested_server_config WIREGUARD_MTU
nested_server_config() {
  cat <<TOML
[interface]
name = "$SV_WG"
private_key = "$SK"
listen_port = 51820
addresses = ["10.96.0.1/24"]
mtu = $1

[[peer]]
name = "client"
public_key = "$CP"
allowed_ips = ["10.96.0.2/32"]

[l2tp]
mode = "lns"
interface = "$SV_L2"
host_name = "gateway"
address = "10.86.0.1/24"
pool = "10.86.0.10-10.86.0.20"

[[l2tp.user]]
name = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML
}

# The client's WireGuard to the server at ENDPOINT.
_nested_wireguard_section() {  # ENDPOINT
  cat <<TOML
[interface]
name = "$CL_IF"
private_key = "$CK"
listen_port = 51820
addresses = ["10.96.0.2/24"]

[[peer]]
name = "server"
public_key = "$SP"
endpoint = "$1"
allowed_ips = ["10.96.0.0/24"]
TOML
}

# The client's L2TP/IPsec to the gateway at SERVER; MORE_LINES go into [l2tp].
_nested_l2tp_section() {  # SERVER [MORE_LINES]
  cat <<TOML
[l2tp]
mode = "lac"
host_name = "client"
server = "$1"
${2:-}

[[l2tp.session]]
user = "alice"
password = "correct horse"

[l2tp.ipsec]
psk = "$PSK"
TOML
}

# nested_client_config KIND
#   wireguard             WireGuard alone, on the underlay
#   l2tp                  L2TP/IPsec alone, on the underlay, on device CL_IF
#   wireguard-in-l2tp     [nesting] outer = "l2tp": WireGuard's datagrams ride the L2TP/IPsec
#                         session to the gateway's address inside it
#   l2tp-in-wireguard     [nesting] outer = "wireguard": L2TP/IPsec (IKE, ESP in UDP 4500) rides
#                         WireGuard to the server's address inside it
nested_client_config() {
  local routes='routes = ["10.86.0.0/24"]'
  case "$1" in
    wireguard) _nested_wireguard_section "$SV_ADDRESS:51820" ;;
    l2tp) _nested_l2tp_section "$SV_ADDRESS" "interface = \"$CL_IF\""$'\n'"$routes" ;;
    wireguard-in-l2tp)
      _nested_wireguard_section 10.86.0.1:51820
      echo
      _nested_l2tp_section "$SV_ADDRESS"
      printf '\n[nesting]\nouter = "l2tp"\n'
      ;;
    l2tp-in-wireguard)
      _nested_wireguard_section "$SV_ADDRESS:51820"
      echo
      _nested_l2tp_section 10.96.0.1 "$routes"
      printf '\n[nesting]\nouter = "wireguard"\n'
      ;;
    *) die "unknown client kind $1" ;;
  esac
}
