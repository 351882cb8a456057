// Arbitrary bytes as a wg-quick file: refused or converted, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/config.hpp"
#include "control/wg_quick.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tandem::control::parse_wg_quick(text, "fuzz.conf", "wg0");
  if (parsed) (void)tandem::control::render_node_config_toml(parsed->config);
  return 0;
}
