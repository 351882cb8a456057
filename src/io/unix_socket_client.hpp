// A one-shot client for line protocols over AF_UNIX stream sockets (the WireGuard UAPI):
// connect, send one request, read until the reply's terminating blank line.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::io {

// Returns the whole reply including its final "\n\n", or an error text naming the path.
Result<std::string, std::string> unix_socket_request(const std::string& path,
                                                     std::string_view request);

}  // namespace tandem::io
