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

}  // namespace tandem::io
