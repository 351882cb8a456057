#include "io/resolve.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
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

Result<IpAddress, std::string> source_address_towards(const IpAddress& destination) {
  const int fd = ::socket(to_af(destination.family()), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Err(std::string("socket: ") + std::strerror(errno));
  sockaddr_storage to{};
  const socklen_t to_length = to_sockaddr(Endpoint{destination, 9}, to);
  sockaddr_storage local{};
  socklen_t local_length = sizeof local;
  const bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), to_length) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_length) == 0;
  const int error = errno;
  ::close(fd);
  if (!ok) return Err("no route to " + destination.to_string() + ": " + std::strerror(error));
  auto endpoint = from_sockaddr(local, local_length);
  if (!endpoint) return Err("no local address towards " + destination.to_string());
  return endpoint->address;
}

}  // namespace tandem::io
