#!/bin/bash
# A SoftEther VPN Server (Debian's softether-vpnserver) as a raw-L2TP LNS inside a test's network
# namespace, configured headlessly with vpncmd: one Virtual Hub, one password user, SecureNAT
# (virtual NAT + DHCP, which is what IPCP hands addresses out of) and L2TP without IPsec on UDP 1701.
#
# Source it after tests/netns/lib.sh, which provides PIDS, TMPDIR_TEST, die and note, and whose
# EXIT trap stops every PID in PIDS. softether_stop does the same earlier, for this server only.
#
#   softether_start NS LISTEN_ADDR HUB USER PASSWORD
#   softether_vpncmd [/HUB:NAME] /CMD ...   further vpncmd commands against the running server
#   softether_bridge_host HUB NS            a host namespace on HUB's segment (Local Bridge)
#   softether_l2tp_wedged                   true when the server has stopped reading UDP 1701
#   softether_l2tp_session_ended HUB USER   true once SessionList shows no L2TP session of USER
#   softether_stop
#
# Known defect of this SoftEther build (5.01.9674, upstream issue SoftEtherVPN#1854): while one
# L2TP tunnel is established, a second SCCRQ (from any address or port) can leave its UDP thread
# spinning; from then on UDP 1701 is never read again and SIGTERM is ignored for 60 s. A tunnel
# left open by a crashed LAC therefore breaks the next dial. Use one tunnel at a time, close it
# with StopCCN, and start a fresh server (softether_stop; softether_start) after a LAC crash.
#
# After softether_start: SOFTETHER_PID, SOFTETHER_STATE (its private state directory),
# SOFTETHER_LOG (its console log) and SecureNAT's addresses as read back with vpncmd, which IPCP
# hands out: SOFTETHER_GATEWAY (the virtual host, default 192.168.30.1/24; answers ping) and the
# DHCP pool SOFTETHER_POOL_FIRST .. SOFTETHER_POOL_LAST (default 192.168.30.10 .. .200).
#
# Isolation: the Debian build has its directories compiled in (/var/lib/softether for the
# configuration, /var/log/softether, /run/softether for PID and lock files) and writes a Unicode
# cache into /tmp. The server runs in a mount namespace of its own (unshare -m) in which
# directories under SOFTETHER_STATE are bind-mounted over all four, so nothing of an installed
# server, and nothing of another test, is read or written. Only the empty mount points are created
# on the host if the package has not created them; they stay (removing a directory that is a mount
# point in another namespace would detach that namespace's mount). vpncmd runs in the server's
# mount and network namespaces through nsenter.
#
# LISTEN_ADDR must be an IPv4 address of NS, or 0.0.0.0 for all of them. SoftEther binds every
# IPv4 listener to its ListenIP setting (its TCP listeners also listen on [::]), which has no vpncmd
# command: the server is configured on its first start (listening on 0.0.0.0, where vpncmd from
# 127.0.0.1 may use blank passwords), stopped, ListenIP and "dynamic DNS off" are written into its
# configuration file and it is started again. This takes about 6 s.

SOFTETHER_SERVER_BIN=${SOFTETHER_SERVER_BIN:-/usr/libexec/softether/vpnserver/vpnserver}
SOFTETHER_VPNCMD_BIN=${SOFTETHER_VPNCMD_BIN:-/usr/libexec/softether/vpncmd/vpncmd}
SOFTETHER_ADMIN_PORT=5555
SOFTETHER_PID=
SOFTETHER_NS=
SOFTETHER_ADDR=
SOFTETHER_STATE=
SOFTETHER_LOG=
SOFTETHER_ADMIN_PASSWORD=
SOFTETHER_GATEWAY=
SOFTETHER_POOL_FIRST=
SOFTETHER_POOL_LAST=

# _softether_listening tcp|udp PORT ADDR: SoftEther's namespace has a listener bound to ADDR:PORT
# (lib.sh's wait_listen matches the port only; SoftEther binds every IPv4 listener to ListenIP).
_softether_listening() {
  local flag=-Htln
  [ "$1" = udp ] && flag=-Huln
  [[ $(ip netns exec "$SOFTETHER_NS" ss "$flag" "sport = :$2") == *"$3:$2 "* ]]
}

# _softether_launch: runs the server in the foreground (one process, no watchdog parent) in
# SOFTETHER_NS behind the private bind mounts, records its PID and waits for its admin port.
_softether_launch() {
  local bind_addr=$1
  ip netns exec "$SOFTETHER_NS" unshare --mount --propagation private sh -c '
    mount --bind "$1/db" /var/lib/softether && mount --bind "$1/log" /var/log/softether &&
    mount --bind "$1/run" /run/softether && mount --bind "$1/tmp" /tmp &&
    exec "$2" start --foreground' sh "$SOFTETHER_STATE" "$SOFTETHER_SERVER_BIN" \
    >>"$SOFTETHER_LOG" 2>&1 &
  # ip netns exec, unshare and sh all exec, so $! is the server itself.
  SOFTETHER_PID=$!
  PIDS+=("$SOFTETHER_PID")
  WAIT_WATCH_PID=$SOFTETHER_PID WAIT_WATCH_LOG=$SOFTETHER_LOG wait_until \
    "SoftEther's admin port $bind_addr:$SOFTETHER_ADMIN_PORT/tcp" 30 \
    _softether_listening tcp "$SOFTETHER_ADMIN_PORT" "$bind_addr"
  [ "$(readlink "/proc/$SOFTETHER_PID/exe")" = "$(readlink -f "$SOFTETHER_SERVER_BIN")" ] ||
    die "PID $SOFTETHER_PID is not the SoftEther server"
}

# _softether_kill [clean]: stops the server and forgets its PID so the EXIT trap does not signal
# it again. With "clean" it must exit by itself on SIGTERM (within 30 s), as it writes its
# configuration file then; otherwise it gets SIGKILL after 10 s of SIGTERM (a clean stop takes
# about 2.5 s; a server whose L2TP thread is stuck waits 60 s before giving up on one), and must
# be gone 30 s later.
_softether_kill() {
  local pid=$SOFTETHER_PID
  [ -n "$pid" ] || return 0
  if [ "${1:-}" = clean ]; then
    stop_pid "$pid" 30 "SoftEther (saving its configuration)"
  else
    kill -TERM "$pid" 2>/dev/null || true
    # The 10 s are a policy (how long a stuck server may keep the test), not a readiness wait: the
    # subshell's wait_exit failing means "still running", which SIGKILL then settles.
    if ! (wait_exit "$pid" 10 "SoftEther") 2>/dev/null; then
      echo "--- SoftEther $pid ignored SIGTERM for 10 s (its L2TP thread is stuck?); SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      wait_exit "$pid" 30 "SoftEther after SIGKILL"
    fi
  fi
  local kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  SOFTETHER_PID=
}

# softether_vpncmd ARGS...: one vpncmd call in the server's namespaces with the admin password;
# fails the test unless vpncmd reports success. Prints vpncmd's output.
softether_vpncmd() {
  local host=${SOFTETHER_VPNCMD_HOST:-$SOFTETHER_ADDR} out="$SOFTETHER_STATE/vpncmd.out"
  local pw=()
  [ -z "$SOFTETHER_ADMIN_PASSWORD" ] || pw=("/PASSWORD:$SOFTETHER_ADMIN_PASSWORD")
  # vpncmd asks for a password on the terminal when one is wrong or missing and spins on a
  # closed stdin, hence </dev/null and the timeout.
  if ! timeout 30 nsenter --target "$SOFTETHER_PID" --mount --net "$SOFTETHER_VPNCMD_BIN" \
      "$host:$SOFTETHER_ADMIN_PORT" /SERVER "${pw[@]}" "$@" </dev/null >"$out" 2>&1 ||
      ! grep -q "The command completed successfully" "$out"; then
    tail -8 "$out" >&2
    die "vpncmd ${*%%/PASSWORD:*} failed"
  fi
  cat "$out" >>"$SOFTETHER_STATE/vpncmd.log"
  cat "$out"
}

# softether_start NS LISTEN_ADDR HUB USER PASSWORD: see the top of this file. The PPP user name
# may be USER (the hub is the L2TP default hub), USER@HUB or HUB\USER.
softether_start() {
  local ns=$1 addr=$2 hub=$3 user=$4 password=$5
  [ -x "$SOFTETHER_SERVER_BIN" ] && [ -x "$SOFTETHER_VPNCMD_BIN" ] ||
    die "SoftEther is not installed (apt-get install softether-vpnserver softether-vpncmd)"
  [ -z "$SOFTETHER_PID" ] || die "softether_start: a server is already running ($SOFTETHER_PID)"
  local t0
  t0=$(date +%s%N)
  SOFTETHER_NS=$ns
  SOFTETHER_ADDR=$addr
  SOFTETHER_STATE=$(mktemp -d "$TMPDIR_TEST/softether.XXXX")
  SOFTETHER_LOG="$SOFTETHER_STATE/console.log"
  mkdir -p "$SOFTETHER_STATE"/{db,log,run,tmp}
  mkdir -p /var/lib/softether /var/log/softether /run/softether

  # First start: default configuration, wildcard listeners, blank admin password from 127.0.0.1.
  _softether_launch 0.0.0.0
  SOFTETHER_VPNCMD_HOST=127.0.0.1
  SOFTETHER_ADMIN_PASSWORD=
  local admin_pw
  admin_pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
  softether_vpncmd /CMD ServerPasswordSet "$admin_pw" >/dev/null
  SOFTETHER_ADMIN_PASSWORD=$admin_pw
  if [ "$hub" != DEFAULT ]; then
    softether_vpncmd /CMD HubCreate "$hub" "/PASSWORD:$admin_pw" >/dev/null
  fi
  softether_vpncmd "/HUB:$hub" /CMD UserCreate "$user" /GROUP:none /REALNAME:none /NOTE:none >/dev/null
  softether_vpncmd "/HUB:$hub" /CMD UserPasswordSet "$user" "/PASSWORD:$password" >/dev/null
  softether_vpncmd "/HUB:$hub" /CMD SecureNatEnable >/dev/null
  # L2TP over IPsec too when SOFTETHER_L2TP_IPSEC=yes, with the pre-shared key SOFTETHER_PSK.
  SOFTETHER_PSK=${SOFTETHER_PSK:-$admin_pw}
  softether_vpncmd /CMD IPsecEnable "/L2TP:${SOFTETHER_L2TP_IPSEC:-no}" /L2TPRAW:yes /ETHERIP:no \
    "/PSK:$SOFTETHER_PSK" "/DEFAULTHUB:$hub" >/dev/null
  # Nothing here may phone home: keep-alive, VPN Azure and dynamic DNS off.
  softether_vpncmd /CMD KeepDisable >/dev/null
  softether_vpncmd /CMD VpnAzureSetEnable no >/dev/null
  _softether_kill clean

  # Second start, bound to LISTEN_ADDR only, with the configuration the first one saved.
  local cfg="$SOFTETHER_STATE/db/vpn_server.config"
  # The file has CRLF line ends. (No "| grep -q" here or below: with pipefail, the writer's
  # SIGPIPE after an early match would count as a failure.)
  grep -Eq "string L2TP_DefaultHub $hub"$'\r?$' "$cfg" || die "SoftEther did not save its configuration"
  sed -i -e "s/^\(\t*string ListenIP \)[^\r]*/\1$addr/" \
    -e '/declare DDnsClient/,/}/s/^\(\t*bool Disabled \)false/\1true/' "$cfg"
  grep -Eq "string ListenIP ${addr//./\\.}"$'\r?$' "$cfg" || die "could not set ListenIP in $cfg"
  _softether_launch "$addr"
  SOFTETHER_VPNCMD_HOST=$addr
  [ "$addr" != 0.0.0.0 ] || SOFTETHER_VPNCMD_HOST=127.0.0.1
  local port ports=(1701)
  # With L2TP over IPsec, IKE (500) and NAT-T (4500) too: a client's first message must not be lost.
  [ "${SOFTETHER_L2TP_IPSEC:-no}" != yes ] || ports+=(500 4500)
  for port in "${ports[@]}"; do
    WAIT_WATCH_PID=$SOFTETHER_PID WAIT_WATCH_LOG=$SOFTETHER_LOG \
      wait_until "SoftEther listening on $addr:$port/udp" 30 _softether_listening udp "$port" "$addr"
  done
  local ipsec
  ipsec=$(softether_vpncmd /CMD IPsecGet)
  grep -Eq 'Raw L2TP Server Function Enabled +\|Yes' <<<"$ipsec" || die "raw L2TP is not enabled"
  # SecureNAT's virtual host (gateway, DNS proxy, answers ping) and its DHCP pool, as configured.
  local host
  host=$(softether_vpncmd "/HUB:$hub" /CMD SecureNatHostGet)
  SOFTETHER_GATEWAY=$(sed -n 's/^IP Address *|\(.*\)$/\1/p' <<<"$host")
  local dhcp
  dhcp=$(softether_vpncmd "/HUB:$hub" /CMD DhcpGet)
  SOFTETHER_POOL_FIRST=$(sed -n 's/^Start Distribution Address Band *|\(.*\)$/\1/p' <<<"$dhcp")
  SOFTETHER_POOL_LAST=$(sed -n 's/^End Distribution Address Band *|\(.*\)$/\1/p' <<<"$dhcp")
  [ -n "$SOFTETHER_GATEWAY" ] && [ -n "$SOFTETHER_POOL_FIRST" ] && [ -n "$SOFTETHER_POOL_LAST" ] ||
    die "could not read SecureNAT's addresses"
  note "SoftEther $SOFTETHER_PID in $ns: raw L2TP on $addr:1701, hub $hub, user $user," \
    "SecureNAT $SOFTETHER_GATEWAY pool $SOFTETHER_POOL_FIRST-$SOFTETHER_POOL_LAST," \
    "ready in $((($(date +%s%N) - t0) / 1000000)) ms"
}

# softether_bridge_host HUB NS: NS (made by the caller) joins HUB's Ethernet segment as a real host
# behind the Virtual Hub, for what SecureNAT's virtual host cannot do (it answers ping, but runs no
# iperf3 server, no WireGuard peer). A veth pair from the server's namespace to NS is bridged with
# vpncmd BridgeCreate (an AF_PACKET socket on the veth end; SoftEther's Linux build needs no tap
# device for it, and it fills in the checksums that veth's offload leaves partial). The host takes
# a static address in SecureNAT's subnet outside the DHCP pool; returns once it reaches SecureNAT.
# Sets SOFTETHER_HOST (its address), SOFTETHER_HOST_IF (its device) and SOFTETHER_NET (the /24).
#
# The host's veth end gets gso_max_segs 1: the Local Bridge reads the veth with a packet socket,
# which would hand it whole 64 KB TSO frames that it cannot forward (iperf3 -R stalls).
softether_bridge_host() {
  local hub=$1 ns=$2 prefix
  prefix=$(echo "$SOFTETHER_GATEWAY" | cut -d. -f1-3)
  SOFTETHER_NET=$prefix.0/24
  SOFTETHER_HOST=$prefix.5
  SOFTETHER_HOST_IF="lh$TAG"
  python3 - "$SOFTETHER_HOST" "$SOFTETHER_POOL_FIRST" "$SOFTETHER_POOL_LAST" <<'PY' ||
import ipaddress, sys
a, lo, hi = (ipaddress.ip_address(x) for x in sys.argv[1:])
assert not lo <= a <= hi
PY
    die "$SOFTETHER_HOST is inside SecureNAT's DHCP pool"
  ip link add "lb$TAG" netns "$SOFTETHER_NS" type veth peer name "$SOFTETHER_HOST_IF" netns "$ns"
  ip -n "$SOFTETHER_NS" link set "lb$TAG" up
  ip -n "$ns" addr add "$SOFTETHER_HOST/24" dev "$SOFTETHER_HOST_IF"
  ip -n "$ns" link set "$SOFTETHER_HOST_IF" gso_max_segs 1
  ip -n "$ns" link set "$SOFTETHER_HOST_IF" up
  softether_vpncmd /CMD BridgeCreate "$hub" "/DEVICE:lb$TAG" /TAP:no >/dev/null
  # The bridged host reaches SecureNAT once the Local Bridge forwards.
  WAIT_WATCH_PID=$SOFTETHER_PID WAIT_WATCH_LOG=$SOFTETHER_LOG wait_ping "$ns" "$SOFTETHER_GATEWAY" 30
  note "host $SOFTETHER_HOST in $ns is on hub $hub: $(softether_vpncmd /CMD BridgeList |
    grep -E "^[0-9]+ +\|$hub" | tr -s ' ' || true)"
}

# softether_l2tp_wedged: succeeds when datagrams wait unread on the server's UDP 1701 socket in
# two samples half a second apart (see the known defect above); a live server drains it at once.
softether_l2tp_wedged() {
  local q1 q2
  q1=$(ip netns exec "$SOFTETHER_NS" ss -Huln "sport = :1701" | awk '{print $2; exit}')
  sleep 0.5
  q2=$(ip netns exec "$SOFTETHER_NS" ss -Huln "sport = :1701" | awk '{print $2; exit}')
  [ "${q1:-0}" -gt 0 ] && [ "${q2:-0}" -gt 0 ]
}

# softether_l2tp_session_ended HUB USER: succeeds once vpncmd SessionList answers and lists no L2TP
# session of USER (SoftEther has processed a hang-up). A predicate for wait_until: never dies.
softether_l2tp_session_ended() {
  local sessions
  sessions=$(softether_vpncmd "/HUB:$1" /CMD SessionList 2>/dev/null) || return 1
  ! grep -Eq "^Session Name +\|SID-${2^^}-\[L2TP\]" <<<"$sessions"
}

# softether_stop: stops the server started by softether_start (only that PID).
softether_stop() {
  _softether_kill
}
