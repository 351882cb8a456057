#include "daemon/offloads.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace tandem::daemon {

Offloads parse_offloads(std::optional<std::string_view> text) {
  if (!text || *text == "on" || text->empty()) return {};
  Offloads o{false, false, false};
  std::string_view rest = *text;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view word = rest.substr(0, comma);
    if (word == "tun") o.tun = true;
    if (word == "gso") o.gso = true;
    if (word == "gro") o.gro = true;
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return o;
}

const Offloads& offloads() {
  static const Offloads wanted = [] {
    const char* value = std::getenv("TANDEM_OFFLOADS");
    return parse_offloads(value ? std::optional<std::string_view>(value) : std::nullopt);
  }();
  return wanted;
}

Result<io::TunDevice, std::string> open_offloaded_tun(const std::string& name,
                                                      std::optional<unsigned> mtu) {
  auto tun = io::TunDevice::create(name, mtu, offloads().tun);
  if (!tun) return tun;
  if (!tun->offloads_refused().empty())
    spdlog::warn("{}: TUN offloads refused ({}); reading one packet at a time", tun->name(),
                 tun->offloads_refused());
  return tun;
}

nlohmann::json tun_offloads_json(const io::TunDevice& tun) {
  nlohmann::json j{{"offloads", tun.offloads()},
                   {"super_packets", tun.super_packets()},
                   {"malformed_super_packets", tun.malformed_super_packets()}};
  if (!tun.offloads_refused().empty()) j["offloads_refused"] = tun.offloads_refused();
  return j;
}

void apply_udp_offloads(io::UdpTransport& udp) {
  udp.set_gso(offloads().gso);
  if (!offloads().gro) return;
  if (auto on = udp.enable_gro(); !on)
    spdlog::warn("UDP GRO refused ({}); receiving one datagram at a time", on.error());
}

}  // namespace tandem::daemon
