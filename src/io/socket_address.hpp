// Conversions between Tandem's Endpoint value and the kernel's sockaddr_in / sockaddr_in6.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>

#include "base/ip_address.hpp"

namespace tandem::io {

// Fills `out` and returns the length to pass to the kernel.
socklen_t to_sockaddr(const Endpoint& endpoint, sockaddr_storage& out);

// IPv4-mapped IPv6 sources (::ffff:a.b.c.d) come back as plain IPv4 so a peer has one identity
// whichever socket its datagram arrived on.
std::optional<Endpoint> from_sockaddr(const sockaddr_storage& in, socklen_t length);

int to_af(IpAddress::Family family);

}  // namespace tandem::io
