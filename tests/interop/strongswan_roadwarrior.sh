#!/bin/bash
# IKEv2 inner addresses (configuration payload, RFC 7296 3.15) between Tandem's `[ipsec]` and
# strongSwan's charon, each in its own namespace, ESP in tunnel mode in UDP 4500:
#
#   strongswan_roadwarrior.sh tandem-gives      charon dials as a road warrior asking for an
#                                               address (vips = 0.0.0.0); Tandem hands one out
#                                               of its pool, and the traffic between that address
#                                               and the subnet behind Tandem flows both ways
#   strongswan_roadwarrior.sh strongswan-gives  Tandem dials with request_address = true and gets
#                                               an address from charon's pool, puts it on its TUN
#                                               device and reaches the subnet behind charon from it
source "$(dirname "$0")/../netns/lib.sh"
source "$(dirname "$0")/strongswan_lib.sh"
require_root
: "${TANDEM_BIN:?set TANDEM_BIN to the tandem binary}"
MODE=${1:?tandem-gives or strongswan-gives}
PSK="road warriors share this long key"

T="t$TAG"
S="s$TAG"
make_ns "$T"
make_ns "$S"
link_ns "$T" "$S" 88
T_IF="iw$TAG"
STATUS_DIR=/var/run/tandem
SOCKETS+=("$STATUS_DIR/$T_IF.ipsec")

if [ "$MODE" = tandem-gives ]; then
  # Tandem: 10.88.1.1 behind it, addresses 10.88.9.10-20 for peers that ask.
  cat >"$TMPDIR_TEST/tandem.toml" <<TOML
[ipsec]
interface = "$T_IF"
local_address = "192.168.88.1"
addresses = ["10.88.1.1/24"]
pool = "10.88.9.10-10.88.9.20"

[[ipsec.connection]]
name = "road-warrior"
remote_address = "192.168.88.2"
start = false
psk = "$PSK"
local_subnets = ["10.88.1.0/24"]
remote_subnets = ["10.88.9.0/24"]
TOML
  CHILD_TS=$'local_ts = dynamic\n        remote_ts = 10.88.1.0/24'
  VIPS="vips = 0.0.0.0"
  POOLS=""
  STRONGSWAN_CHARON_EXTRA="install_virtual_ip = yes"
else
  # charon: 10.88.2.1 behind it, addresses 10.88.8.0/24 for peers that ask.
  cat >"$TMPDIR_TEST/tandem.toml" <<TOML
[ipsec]
interface = "$T_IF"
local_address = "192.168.88.1"

[[ipsec.connection]]
name = "gateway"
remote_address = "192.168.88.2"
psk = "$PSK"
request_address = true
remote_subnets = ["10.88.2.0/24"]
TOML
  ip -n "$S" addr add 10.88.2.1/32 dev lo
  CHILD_TS=$'local_ts = 10.88.2.0/24\n        remote_ts = dynamic'
  VIPS=""
  POOLS="pools = rw"
fi
cat >"$TMPDIR_TEST/swanctl.conf" <<CONF
connections {
  tandem {
    version = 2
    local_addrs = 192.168.88.2
    remote_addrs = 192.168.88.1
    encap = yes
    proposals = aes256gcm16-prfsha256-ecp256
    $VIPS
    $POOLS
    local {
      auth = psk
      id = 192.168.88.2
    }
    remote {
      auth = psk
      id = 192.168.88.1
    }
    children {
      net {
        mode = tunnel
        $CHILD_TS
        esp_proposals = aes256gcm16
      }
    }
  }
}
pools {
  rw {
    addrs = 10.88.8.0/24
  }
}
secrets {
  ike-tandem {
    id-a = 192.168.88.2
    id-b = 192.168.88.1
    secret = "$PSK"
  }
}
CONF

strongswan_start "$S" peer
strongswan_load peer "$TMPDIR_TEST/swanctl.conf"
start_tandem_up "$T" "$TMPDIR_TEST/tandem.toml" "$TMPDIR_TEST/tandem.log"
logs() { tail -20 "$TMPDIR_TEST/tandem.log" >&2; tail -30 "${STRONGSWAN_LOG[peer]}" >&2; }

if [ "$MODE" = tandem-gives ]; then
  strongswan_initiate peer net
  WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/tandem.log" \
    strongswan_wait_sas peer "INSTALLED, TUNNEL-in-UDP" 60
  VIP=$(grep -o "installing new virtual IP [0-9.]*" "${STRONGSWAN_LOG[peer]}" | awk '{print $NF}' | head -1 || true)
  note "charon was given $VIP"
  [ "$VIP" = 10.88.9.10 ] || { logs; die "charon did not get the first pool address: '$VIP'"; }
  ip -n "$S" -4 addr show | grep -q "inet $VIP/" || die "charon did not install $VIP"
  # Tandem sends its IKE_AUTH answer before it logs the SA, so charon may have it first.
  (wait_log "$TMPDIR_TEST/tandem.log" "ESP SA .* up \(.*10.88.1.0-10.88.1.255 <-> $VIP\)" 30) ||
    { logs; die "Tandem's SA is not narrowed to the address it gave"; }
  ping_ok "$S" 10.88.1.1
  ping_ok "$T" "$VIP"
  iperf_ok "$T" "$S" 10.88.1.1 3
else
  # Tandem logs this once the address is on its device.
  (WAIT_WATCH_PID=$TANDEM_PID WAIT_WATCH_LOG="$TMPDIR_TEST/tandem.log" \
    wait_log "$TMPDIR_TEST/tandem.log" "using the address" 60) ||
    { tail -30 "${STRONGSWAN_LOG[peer]}" >&2; die "Tandem did not get an address from charon's pool"; }
  VIP=$(grep -o "using the address [0-9.]*" "$TMPDIR_TEST/tandem.log" | awk '{print $NF}' | head -1 || true)
  note "Tandem was given $VIP"
  [ -n "$VIP" ] && [[ "$VIP" == 10.88.8.* ]] || { logs; die "Tandem did not get an address from charon's pool"; }
  ip -n "$T" -4 addr show dev "$T_IF" | grep -q "inet $VIP/32" || die "$VIP is not on $T_IF"
  grep -q "remote $VIP/32" <<<"$(strongswan_list_sas peer)" ||
    { strongswan_list_sas peer >&2; die "charon's SA is not for $VIP"; }
  ping_ok "$T" 10.88.2.1
  ping_ok "$S" "$VIP"
  iperf_ok "$S" "$T" 10.88.2.1 3
fi
stop_pid "$TANDEM_PID" 10 "tandem"
echo "PASS: strongswan road warrior, $MODE ($VIP)"
