// Arbitrary bytes as a Tandem TOML config: refused or accepted, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "control/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = tandem::control::parse_node_config(text, "fuzz.toml", "/nonexistent");
  if (parsed) (void)tandem::control::render_node_config_toml(*parsed);
  return 0;
}
