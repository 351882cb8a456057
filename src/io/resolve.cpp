#include "io/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>

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
    if (ai->ai_addrlen > sizeof(sockaddr_storage)) continue;
    sockaddr_storage storage{};
    std::memcpy(&storage, ai->ai_addr, ai->ai_addrlen);
    auto found = from_sockaddr(storage, ai->ai_addrlen);
    if (!found) continue;
    if (!best || (found->address.is_v4() && !best->address.is_v4()))
      best = Endpoint{found->address, port};
  }
  freeaddrinfo(list);
  if (!best) return Err("no address for " + host);
  return *best;
}

}  // namespace tandem::io
