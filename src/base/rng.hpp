// Randomness is injected into engines so a handshake can be replayed deterministically in tests.
#pragma once

#include <cstdint>
#include <span>

namespace tandem {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::byte> out) = 0;

  std::uint32_t next_u32() {
    std::uint32_t v = 0;
    fill(std::as_writable_bytes(std::span{&v, 1}));
    return v;
  }
  std::uint64_t next_u64() {
    std::uint64_t v = 0;
    fill(std::as_writable_bytes(std::span{&v, 1}));
    return v;
  }
};

}  // namespace tandem
