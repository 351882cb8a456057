#include "daemon/probed_device_mtu.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace tandem::daemon {

void ProbedDeviceMtu::follow(io::TunDevice& tun, std::optional<std::size_t> probed,
                             std::string_view what) {
  const std::size_t mtu = std::min(probed.value_or(configured_), configured_);
  if (mtu == shown_) return;
  if (auto ok = tun.set_mtu(static_cast<unsigned>(mtu)); !ok) {
    spdlog::warn("{}: cannot set the device MTU to {}: {}", tun.name(), mtu, ok.error());
    return;
  }
  if (mtu == configured_)
    spdlog::info("{}: device MTU {} -> {}, as configured", tun.name(), shown_, mtu);
  else
    spdlog::info("{}: device MTU {} -> {}, what probing found {} carries", tun.name(), shown_, mtu,
                 what);
  shown_ = mtu;
}

}  // namespace tandem::daemon
