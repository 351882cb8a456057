// The operating system's CSPRNG (OpenSSL RAND_bytes) behind the engines' Rng interface.
#pragma once

#include "base/rng.hpp"

namespace tandem::crypto {

class SystemRng final : public Rng {
 public:
  // Aborts if the CSPRNG fails: continuing without randomness would be worse than stopping.
  void fill(std::span<std::byte> out) override;
};

}  // namespace tandem::crypto
