// Secret key material: fixed-size bytes that are wiped when they go out of scope.
#pragma once

#include <array>
#include <cstddef>
#include <span>

#include "crypto/constant_time.hpp"

namespace tandem::crypto {

// Wipes memory in a way the optimiser may not remove (OPENSSL_cleanse).
void secure_wipe(std::span<std::byte> bytes);

template <std::size_t N>
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::span<const std::byte, N> from) {
    std::copy(from.begin(), from.end(), b_.begin());
  }
  Secret(const Secret&) = default;
  Secret& operator=(const Secret&) = default;
  ~Secret() { wipe(); }

  std::span<std::byte, N> bytes() { return b_; }
  std::span<const std::byte, N> bytes() const { return b_; }
  std::byte* data() { return b_.data(); }
  const std::byte* data() const { return b_.data(); }
  static constexpr std::size_t size() { return N; }
  void wipe() { secure_wipe(b_); }
  // In constant time: a config reload compares the keys it had with the ones it reads.
  friend bool operator==(const Secret& a, const Secret& b) {
    return constant_time_equal(a.bytes(), b.bytes());
  }

 private:
  std::array<std::byte, N> b_{};
};

using Key32 = Secret<32>;

}  // namespace tandem::crypto
