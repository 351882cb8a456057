// Hex helpers for known-answer tests.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "crypto/key_encoding.hpp"

namespace tandem::crypto::testing {

inline std::vector<std::byte> unhex(std::string_view hex) {
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(std::byte(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return out;
}

inline std::string hex(ByteView bytes) {
  return hex_encode(bytes);
}

}  // namespace tandem::crypto::testing
