// Name resolution for peer endpoints given as DNS names (getaddrinfo), done once at start-up.
#pragma once

#include <cstdint>
#include <string>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tandem::io {

// An IP literal is returned as is; a name resolves to its first address (IPv4 preferred, as
// wg(8) does).
Result<Endpoint, std::string> resolve_endpoint(const std::string& host, std::uint16_t port);

// The local address the kernel's routing picks for datagrams to `destination` (a UDP socket is
// connected, which sends nothing, and asked its name). IKE needs it for NAT detection and
// transport-mode traffic selectors when its sockets are bound to the wildcard address.
Result<IpAddress, std::string> source_address_towards(const IpAddress& destination);

}  // namespace tandem::io
