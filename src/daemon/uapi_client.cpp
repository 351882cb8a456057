#include "daemon/uapi_client.hpp"

#include "io/unix_socket_client.hpp"

namespace tandem::daemon {

std::string uapi_socket_path(std::string_view socket_dir, std::string_view interface_name) {
  return std::string(socket_dir) + "/" + std::string(interface_name) + ".sock";
}

Result<std::string, std::string> uapi_request(const std::string& socket_path,
                                              std::string_view request) {
  return io::unix_socket_request(socket_path, request);
}

}  // namespace tandem::daemon
