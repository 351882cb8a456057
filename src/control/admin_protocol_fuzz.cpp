// Admin socket requests and replies: anything a local client or a daemon sends must parse or be
// refused, never crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/admin_protocol.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto request = tandem::control::parse_admin_request(text); request.ok())
    (void)tandem::control::format_admin_request(*request);
  if (auto reply = tandem::control::parse_admin_reply(text); reply.ok())
    (void)tandem::control::format_admin_reply(*reply);
  return 0;
}
