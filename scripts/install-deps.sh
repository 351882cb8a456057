#!/bin/bash
# Installs every Debian 12 package Tandem needs to build, test, benchmark and run its demo.
# Idempotent: when everything is present it does not touch apt at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang clang-format
  libfuzzer-14-dev libclang-rt-14-dev
  libssl-dev libsodium-dev libtomlplusplus-dev libcli11-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libmnl-dev libgtest-dev libgmock-dev libbenchmark-dev
  wireguard-tools wireguard-go iperf3 iproute2 nftables tshark procps iputils-ping python3
  softether-vpnserver softether-vpncmd openssl
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
# on 443, 992, 1194, 5555 and the IPsec/L2TP ports). The tests run their own, in namespaces, so the
# packaged one must not start now (policy-rc.d, which invoke-rc.d and deb-systemd-invoke consult)
# nor at boot (systemctl disable).
installing_softether=false
for p in "${missing[@]}"; do [ "$p" = softether-vpnserver ] && installing_softether=true; done
own_policy=false
if $installing_softether && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\ncase "$1" in softether-vpnserver*) exit 101 ;; esac\nexit 0\n' \
    >/usr/sbin/policy-rc.d
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
exit $status
