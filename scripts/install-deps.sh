#!/bin/bash
# Installs every Debian 12 package Tandem needs to build, test, benchmark and run its demo.
# Idempotent: when everything is present it does not touch apt at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format
  libfuzzer-14-dev libclang-rt-14-dev
  libssl-dev libsodium-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libsqlite3-dev libmnl-dev libsystemd-dev libgtest-dev libgmock-dev libbenchmark-dev
  wireguard-tools wireguard-go iperf3 iproute2 nftables tshark procps iputils-ping python3
  softether-vpnserver softether-vpncmd openssl
  # groff renders the man pages for tests/integration/install_layout.sh's warning check.
  groff-base
  # tandem profile: QR codes (libqrencode) as PNG files (libpng); zbarimg decodes them in the
  # tests.
  libqrencode-dev libpng-dev zbar-tools
  strongswan-charon strongswan-swanctl libcharon-extra-plugins libstrongswan-standard-plugins
  # The PostgreSQL state store: libpq to build it, the server binaries (initdb, pg_ctl) for its
  # tests, which start a throwaway server of their own.
  libpq-dev postgresql
  # The metrics endpoint (cpp-httplib, header-only); promtool checks what it serves in the tests.
  libcpp-httplib-dev prometheus
  # Central identity: a RADIUS server (FreeRADIUS) and an LDAP directory (slapd, with ldap-utils
  # to seed it) that the tests start in namespaces with throwaway configs; libldap to build the
  # LDAP backend; ldns for the split-DNS forwarder's wire format.
  freeradius slapd ldap-utils libldap-dev libldns-dev
  # A private D-Bus bus for the split-DNS test that stands in for systemd-resolved.
  dbus-daemon
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "install-deps: missing packages (${missing[*]}); run as root to install them" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# softether-vpnserver enables and starts a system-wide VPN server (empty admin password, listening
# on 443, 992, 1194, 5555 and the IPsec/L2TP ports), and strongswan-charon pulls in
# strongswan-starter, whose ipsec service (also named strongswan-starter) runs charon with the
# system's ipsec.conf. The tests run their own, in namespaces, so the packaged ones must not start
# now (policy-rc.d, which invoke-rc.d and deb-systemd-invoke consult) nor at boot (disabled below).
# The prometheus package likewise starts a Prometheus server (and its node exporter); the tests
# need only its promtool. postgresql likewise creates a "main" cluster and starts a system-wide
# server on port 5432; the store's tests run initdb and pg_ctl themselves on a Unix socket in a
# temporary directory. FreeRADIUS and slapd, the same (see the end).
installing_softether=false
installing_strongswan=false
installing_postgresql=false
installing_prometheus=false
installing_freeradius=false
installing_slapd=false
for p in "${missing[@]}"; do
  [ "$p" = softether-vpnserver ] && installing_softether=true
  [ "$p" = strongswan-charon ] && installing_strongswan=true
  [ "$p" = postgresql ] && installing_postgresql=true
  [ "$p" = prometheus ] && installing_prometheus=true
  [ "$p" = freeradius ] && installing_freeradius=true
  [ "$p" = slapd ] && installing_slapd=true
done
own_policy=false
if { $installing_softether || $installing_strongswan || $installing_postgresql ||
  $installing_prometheus || $installing_freeradius || $installing_slapd; } &&
  [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\ncase "$1" in %s) exit 101 ;; esac\nexit 0\n' \
    'softether-vpnserver*|ipsec*|strongswan*|postgresql*|prometheus*|freeradius*|slapd*' >/usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  own_policy=true
fi
apt-get update -q
status=0
apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
if $own_policy; then rm -f /usr/sbin/policy-rc.d; fi
if $installing_softether && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now softether-vpnserver.service >/dev/null 2>&1 || true
fi
if $installing_strongswan; then
  # systemctl disable edits the unit links even where systemd is not running; update-rc.d covers
  # the SysV script for other init systems.
  systemctl disable --now strongswan-starter.service >/dev/null 2>&1 || true
  update-rc.d ipsec disable >/dev/null 2>&1 || true
fi
if $installing_postgresql; then
  systemctl disable --now postgresql.service >/dev/null 2>&1 || true
  update-rc.d postgresql disable >/dev/null 2>&1 || true
  # pg_ctlcluster and the init script start only clusters marked "auto".
  for conf in /etc/postgresql/*/*/start.conf; do
    [ -e "$conf" ] && sed -i 's/^auto$/manual/' "$conf"
  done
fi
if $installing_prometheus; then
  for unit in prometheus prometheus-node-exporter; do
    systemctl disable --now "$unit.service" >/dev/null 2>&1 || true
    update-rc.d "$unit" disable >/dev/null 2>&1 || true
  done
fi
# FreeRADIUS and slapd likewise start system-wide servers (RADIUS on 1812/1813, LDAP on 389);
# their tests run their own with throwaway configs in temporary directories.
if $installing_freeradius; then
  systemctl disable --now freeradius.service >/dev/null 2>&1 || true
  update-rc.d freeradius disable >/dev/null 2>&1 || true
fi
if $installing_slapd; then
  systemctl disable --now slapd.service >/dev/null 2>&1 || true
  update-rc.d slapd disable >/dev/null 2>&1 || true
fi
exit $status
