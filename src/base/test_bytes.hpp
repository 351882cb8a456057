// Byte literals for tests: bytes({0xc8, 0x02, ...}).
#pragma once

#include <cstddef>
#include <initializer_list>
#include <vector>

namespace tandem::testing {

inline std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  out.reserve(values.size());
  for (int b : values) out.push_back(static_cast<std::byte>(b));
  return out;
}

}  // namespace tandem::testing
