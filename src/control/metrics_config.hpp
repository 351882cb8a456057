// [metrics]: where the node serves its Prometheus metrics. Off unless `listen` is set; a listen
// address other than loopback needs `allow_remote = true`, since the metrics name every peer's
// public key and endpoint.
#pragma once

#include <cstdint>
#include <string>

#include "base/ip_address.hpp"

namespace tandem::control {

inline constexpr std::uint16_t kMetricsDefaultPort = 9586;  // prometheus_wireguard_exporter's

struct MetricsSettings {
  Endpoint listen;                // "127.0.0.1:9586", "[::1]:9586"
  std::string path = "/metrics";  // the URL path scrapes GET
  bool allow_remote = false;      // whether `listen` may be other than loopback

  friend bool operator==(const MetricsSettings&, const MetricsSettings&) = default;
};

bool is_loopback(const IpAddress& address);

}  // namespace tandem::control
