// Arbitrary bytes as a UAPI request: parse, and format whatever parses, without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/uapi.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tandem::control::parse_uapi_request(text);
  if (parsed && std::holds_alternative<tandem::control::UapiSet>(*parsed)) {
    tandem::control::UapiDeviceState state;
    for (const auto& p : std::get<tandem::control::UapiSet>(*parsed).peers)
      state.peers.push_back(
          {p.public_key, p.preshared_key, p.endpoint, 0, 0, 0, 0, 0, p.allowed_ips});
    (void)tandem::control::format_uapi_get(state);
  }
  return 0;
}
