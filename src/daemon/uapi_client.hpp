// Client side of the UAPI for the CLI: one request to an interface's socket.
#pragma once

#include <string>
#include <string_view>

#include "base/result.hpp"

namespace tandem::daemon {

inline constexpr const char* kUapiSocketDir = "/var/run/wireguard";

std::string uapi_socket_path(std::string_view socket_dir, std::string_view interface_name);
Result<std::string, std::string> uapi_request(const std::string& socket_path,
                                              std::string_view request);

}  // namespace tandem::daemon
