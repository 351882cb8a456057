#include "io/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>

#include "io/socket_address.hpp"

namespace tandem::io {

Result<Endpoint, std::string> resolve_endpoint(const std::string& host, std::uint16_t port) {
  if (auto literal = IpAddress::parse(host)) return Endpoint{*literal, port};
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return Err("cannot resolve " + host + ": " + gai_strerror(rc));
  std::optional<Endpoint> best;
  for (addrinfo* ai = list; ai; ai = ai->ai_next) {
    std::optional<IpAddress> address;
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      const auto* b = reinterpret_cast<const std::uint8_t*>(&sin->sin_addr);
      address = IpAddress::v4({b[0], b[1], b[2], b[3]});
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      std::array<std::uint8_t, 16> b{};
      std::copy_n(reinterpret_cast<const std::uint8_t*>(&sin6->sin6_addr), 16, b.begin());
      address = IpAddress::v6(b);
    }
    if (!address) continue;
    if (!best || (address->is_v4() && !best->address.is_v4())) best = Endpoint{*address, port};
  }
  freeaddrinfo(list);
  if (!best) return Err("no address for " + host);
  return *best;
}

}  // namespace tandem::io
