#!/bin/bash
# strongSwan's charon (Debian's strongswan-charon) as an IKEv1/IKEv2 peer inside a test's network
# namespace, configured through swanctl. Several can run at once, each under a NAME of the test's
# choosing (letters, digits, "-" and "_"), one per namespace (each binds UDP 500 and 4500 and owns
# the namespace's ipsec0 and routing table 220).
#
# Source it after tests/netns/lib.sh, which provides PIDS, TMPDIR_TEST, die and note, and whose
# EXIT trap stops every PID in PIDS. strongswan_stop does the same earlier, for one charon only.
#
#   strongswan_start NS NAME            charon in NS, ready for swanctl (about 0.3 s)
#   strongswan_load NAME SWANCTL_CONF   connections and secrets of that file (swanctl --load-all)
#   strongswan_initiate NAME CHILD      initiates CHILD (and its IKE SA); fails the test on failure
#   strongswan_wait_sas NAME REGEX [S]  waits up to S seconds (30) for --list-sas to match REGEX;
#                                       fails the test otherwise
#   strongswan_list_sas NAME            swanctl --list-sas
#   strongswan_wait_deleted NAME        waits up to 30 s for the peer's Delete to remove every
#                                       installed SA; fails the test otherwise
#   strongswan_swanctl NAME ARGS...     any other swanctl command against that charon
#   strongswan_stop NAME
#
# After strongswan_start: STRONGSWAN_PID[NAME], STRONGSWAN_NS[NAME], STRONGSWAN_LOG[NAME]
# (charon's log: ike, cfg, knl, esp and chd at level 2), STRONGSWAN_DIR[NAME] (its private state
# directory; swanctl's configuration directory, with the usual x509, x509ca, private...
# subdirectories for certificates and keys, is its swanctl/) and STRONGSWAN_VICI[NAME] (its
# control socket, a path on the host).
# STRONGSWAN_CHARON_EXTRA, when set, is pasted into the charon { } section of the next
# strongswan_start's strongswan.conf (e.g. "retransmit_tries = 2").
#
# Data path: this kernel has XFRM netlink but no ESP (CONFIG_INET_ESP is off), so charon does ESP
# in userspace with its kernel-libipsec plugin: a TUN device, ipsec0, in NS, routes to the remote
# traffic selectors through it in routing table 220, and ESP sent and received on charon's IKE
# socket. That data path knows UDP-encapsulated ESP only: charon then always fakes its NAT-D hash
# (as "encap = yes" would), so both ends see a NAT and float to UDP 4500 after IKE_SA_INIT or Main
# Mode's second exchange. It installs tunnel-mode SAs only: a transport-mode CHILD_SA fails when
# charon installs it ("IPsec SA: unsupported mode"). As an IKEv1 initiator, charon installs before
# sending Quick Mode's third message, so instead of that message the responder gets an
# INFORMATIONAL with NO_PROPOSAL_CHOSEN; both keep the ISAKMP SA.
#
# Isolation: STRONGSWAN_CONF points charon (and swanctl) at a strongswan.conf in the private state
# directory that loads an explicit plugin list (no /etc/strongswan.d; no ipsec.conf, ipsec.secrets
# or /etc/ipsec.d, as the stroke plugin is not loaded) and puts the vici socket and the log file in
# that directory. charon's PID file has a compiled-in path, /var/run/charon.pid, and charon refuses
# to start while it names a live process; so charon runs in a mount namespace of its own
# (unshare -m) with a private directory bind-mounted over /run. Routes, routing rules, addresses
# and the TUN device are all in NS; nothing on the host is touched.

STRONGSWAN_CHARON_BIN=${STRONGSWAN_CHARON_BIN:-/usr/lib/ipsec/charon}
STRONGSWAN_SWANCTL_BIN=${STRONGSWAN_SWANCTL_BIN:-/usr/sbin/swanctl}
# The fewest plugins that do PSK IKEv1 and IKEv2 with ESP in userspace: openssl for every cipher,
# integrity algorithm, PRF, DH group and the RNG; kdf for IKEv2's prf+ (without it IKE_SA_INIT
# ends in "KDF_PRF with PRF_HMAC_SHA2_256 not supported"); nonce for IKE nonces; kernel-libipsec
# for SAs and policies; kernel-netlink for addresses, routes and the interface list;
# socket-default for UDP 500 and 4500; vici for swanctl. kernel-libipsec comes before
# kernel-netlink so that its IPsec backend is the one registered: in the other order SAs go to
# XFRM, which answers "Function not implemented (38)".
STRONGSWAN_PLUGINS=${STRONGSWAN_PLUGINS:-nonce openssl kdf kernel-libipsec kernel-netlink
  socket-default vici}
declare -A STRONGSWAN_PID=() STRONGSWAN_NS=() STRONGSWAN_LOG=() STRONGSWAN_DIR=()
declare -A STRONGSWAN_VICI=()

# _strongswan_write_conf DIR: strongswan.conf for one charon and its swanctl. Tests log IKE, ESP
# and the kernel interface in detail, each line flushed, to read a failure from; with
# STRONGSWAN_DEFAULT_LOGGING=1 (a benchmark's reference) charon logs as it does out of the box,
# every subsystem at level 1, unflushed: the detailed log alone costs it about 14 % of its ESP
# throughput.
_strongswan_write_conf() {
  # On one line, as strongswan.conf values end at a newline.
  local dir=$1 plugins=${STRONGSWAN_PLUGINS//$'\n'/ } levels
  if [ "${STRONGSWAN_DEFAULT_LOGGING:-0}" = 1 ]; then
    levels="default = 1"
  else
    levels="default = 1
      ike = 2
      cfg = 2
      knl = 2
      esp = 2
      chd = 2
      flush_line = yes"
  fi
  cat >"$dir/strongswan.conf" <<EOF
charon {
  load_modular = no
  load = $plugins
  # Tests hand out no virtual IPs; should a configuration ask for one, it must not become an
  # address in NS behind the test's back.
  install_virtual_ip = no
  ${STRONGSWAN_CHARON_EXTRA:-}
  filelog {
    charon {
      path = $dir/charon.log
      time_format = %H:%M:%S
      ike_name = yes
      append = no
      $levels
    }
  }
  plugins {
    vici {
      socket = unix://$dir/charon.vici
    }
  }
}
# swanctl needs no plugin for pre-shared keys; these parse certificates and keys for tests that
# use them. With its socket here, a plain "STRONGSWAN_CONF=... swanctl" reaches this charon.
swanctl {
  load = pem pkcs1 pkcs8 x509 pubkey openssl
  socket = unix://$dir/charon.vici
}
EOF
}

# strongswan_start NS NAME: see the top of this file.
strongswan_start() {
  local ns=$1 name=$2
  [ -x "$STRONGSWAN_CHARON_BIN" ] && [ -x "$STRONGSWAN_SWANCTL_BIN" ] ||
    die "strongSwan is not installed (scripts/install-deps.sh installs strongswan-charon etc.)"
  [ -f "$(dirname "$STRONGSWAN_CHARON_BIN")/plugins/libstrongswan-kernel-libipsec.so" ] ||
    die "charon's kernel-libipsec plugin is missing (apt-get install libcharon-extra-plugins)"
  [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "strongswan_start: bad name '$name'"
  [ -z "${STRONGSWAN_PID[$name]:-}" ] || die "strongswan_start: $name is already running"
  [ -c /dev/net/tun ] || die "kernel-libipsec needs /dev/net/tun"
  local t0 dir
  t0=$(date +%s%N)
  dir=$(mktemp -d "$TMPDIR_TEST/strongswan-$name.XXXX")
  mkdir "$dir/run" "$dir/swanctl"
  # swanctl --load-all reads these next to swanctl.conf and complains about each one missing.
  local sub
  for sub in x509 x509ca x509ocsp x509aa x509ac x509crl pubkey private rsa ecdsa bliss pkcs8 \
    pkcs12; do
    mkdir "$dir/swanctl/$sub"
  done
  _strongswan_write_conf "$dir"
  STRONGSWAN_NS[$name]=$ns
  STRONGSWAN_DIR[$name]=$dir
  STRONGSWAN_LOG[$name]=$dir/charon.log
  STRONGSWAN_VICI[$name]=$dir/charon.vici
  ip netns exec "$ns" unshare --mount --propagation private sh -c '
    mount --bind "$1/run" /run &&
    STRONGSWAN_CONF="$1/strongswan.conf" exec "$2"' sh "$dir" "$STRONGSWAN_CHARON_BIN" \
    >"$dir/console.log" 2>&1 &
  # ip netns exec, unshare and sh all exec, so $! is charon itself.
  local pid=$!
  STRONGSWAN_PID[$name]=$pid
  PIDS+=("$pid")
  # Ready when swanctl gets an answer on the vici socket. In a subshell, so that charon's
  # console output (errors from before its log file is open) can be shown before the test dies.
  : >>"$dir/charon.log"
  if ! (WAIT_WATCH_PID=$pid WAIT_WATCH_LOG=$dir/charon.log \
      wait_until "charon $name answering swanctl on its vici socket" 30 \
      strongswan_swanctl "$name" --stats); then
    tail -20 "$dir/console.log" >&2
    die "charon $name did not start"
  fi
  [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$STRONGSWAN_CHARON_BIN")" ] ||
    die "PID $pid is not charon"
  note "charon $name ($pid) in $ns ready in $((($(date +%s%N) - t0) / 1000000)) ms," \
    "log ${STRONGSWAN_LOG[$name]}"
}

# strongswan_swanctl NAME ARGS...: swanctl with that charon's strongswan.conf and vici socket.
strongswan_swanctl() {
  local name=$1
  shift
  STRONGSWAN_CONF="${STRONGSWAN_DIR[$name]}/strongswan.conf" "$STRONGSWAN_SWANCTL_BIN" "$@" \
    --uri "unix://${STRONGSWAN_VICI[$name]}"
}

# strongswan_load NAME SWANCTL_CONF: copies that swanctl.conf into the charon's swanctl directory
# and loads its connections and secrets, unloading those loaded before. Certificate and key file
# names in it resolve against that directory's x509, private... subdirectories.
strongswan_load() {
  local name=$1 conf=$2 out="${STRONGSWAN_DIR[$1]}/swanctl-load.log"
  local copy="${STRONGSWAN_DIR[$1]}/swanctl/swanctl.conf"
  cp "$conf" "$copy"
  strongswan_swanctl "$name" --load-all --noprompt --file "$copy" >"$out" 2>&1 ||
    { cat "$out" >&2; die "swanctl --load-all $conf into $name failed"; }
  note "charon $name: $(grep -E '^successfully loaded' "$out" | tr '\n' ' ' || true)"
}

# strongswan_initiate NAME CHILD: brings CHILD up from NAME, waiting for the result (30 s at most).
strongswan_initiate() {
  local name=$1 child=$2 out="${STRONGSWAN_DIR[$1]}/initiate-$2.log"
  strongswan_swanctl "$name" --initiate --child "$child" --timeout 30 >"$out" 2>&1 ||
    { tail -30 "$out" >&2; die "charon $name could not initiate $child"; }
  note "charon $name: $child up"
}

# strongswan_wait_sas NAME REGEX [SECONDS]: waits until charon's --list-sas output matches REGEX
# (grep -E), e.g. "INSTALLED, TUNNEL-in-UDP" once a peer has brought a CHILD_SA up; fails the test
# with charon's SAs and log otherwise. The caller's WAIT_WATCH_PID and WAIT_WATCH_LOG, when set
# (e.g. the Tandem peer and its log), apply to the wait.
strongswan_wait_sas() {
  local name=$1 regex=$2 seconds=${3:-30}
  if ! (wait_until "charon $name: an SA matching '$regex'" "$seconds" \
      _strongswan_sas_match "$name" "$regex"); then
    strongswan_list_sas "$name" >&2 || true
    # Less the wait's own swanctl calls, which charon logs too.
    grep -v "vici client" "${STRONGSWAN_LOG[$name]}" | tail -30 >&2 || true
    die "charon $name: no SA matching '$regex' within $seconds s"
  fi
}
_strongswan_sas_match() {
  local sas
  sas=$(strongswan_list_sas "$1") || return 1
  grep -Eq "$2" <<<"$sas"
}

# strongswan_wait_deleted NAME: once the peer has stopped, waits (30 s at most) until charon has
# no installed CHILD_SA left, and fails the test unless charon logged a Delete from the peer: it
# must learn of the end from the peer, not from its own dead peer detection (dpd_delay plus well
# over a minute of retransmissions).
strongswan_wait_deleted() {
  wait_until "charon $1 removing the SA after the peer deleted it" 30 _strongswan_none_installed "$1"
  grep -q "received DELETE for" "${STRONGSWAN_LOG[$1]}" ||
    die "charon $1 removed the SA without having received a Delete from the peer"
  note "charon $1 removed the SA on the peer's Delete"
}
_strongswan_none_installed() {
  local sas
  sas=$(strongswan_list_sas "$1") || return 1
  ! grep -q "INSTALLED" <<<"$sas"
}

# strongswan_list_sas NAME: prints charon's IKE and CHILD SAs.
strongswan_list_sas() {
  strongswan_swanctl "$1" --list-sas
}

# strongswan_stop NAME: stops that charon (only its PID; it must exit on SIGTERM within 30 s) and
# forgets it.
strongswan_stop() {
  local name=$1 pid=${STRONGSWAN_PID[$1]:-}
  [ -n "$pid" ] || return 0
  stop_pid "$pid" 30 "charon $name"
  local kept=() p
  for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  PIDS=("${kept[@]}")
  unset "STRONGSWAN_PID[$name]"
}

# strongswan_road_warrior_conf FILE PSK LOCAL GATEWAY REMOTE_TS VIPS: a swanctl.conf for an IKEv2
# road warrior of a Tandem gateway: connection `tandem` with child `net`, from LOCAL to GATEWAY
# (whose identity is its address), as carol@example.org with pre-shared key PSK, ESP in UDP with
# AES-256-GCM-16, asking for the virtual addresses VIPS (e.g. "0.0.0.0, ::") and reaching
# REMOTE_TS (e.g. "10.88.0.0/24, fd88::/64") through the tunnel.
strongswan_road_warrior_conf() {
  cat >"$1" <<CONF
connections {
  tandem {
    version = 2
    local_addrs = $3
    remote_addrs = $4
    encap = yes
    proposals = aes256gcm16-prfsha256-ecp256
    vips = $6
    local {
      auth = psk
      id = carol@example.org
    }
    remote {
      auth = psk
      id = $4
    }
    children {
      net {
        mode = tunnel
        local_ts = dynamic
        remote_ts = $5
        esp_proposals = aes256gcm16
      }
    }
  }
}
secrets {
  ike-carol {
    id-a = carol@example.org
    id-b = $4
    secret = "$2"
  }
}
CONF
}
