// Hex helpers for known-answer tests.
#pragma once

#include <algorithm>
#include <array>
#include <stdexcept>
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

// A literal of exactly N bytes; a literal of another length is a mistake in the test.
template <std::size_t N>
std::array<std::byte, N> unhex_array(std::string_view hex) {
  const auto bytes = unhex(hex);
  if (bytes.size() != N) throw std::invalid_argument("hex literal of the wrong length");
  std::array<std::byte, N> out{};
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

inline std::string hex(ByteView bytes) {
  return hex_encode(bytes);
}

}  // namespace tandem::crypto::testing
