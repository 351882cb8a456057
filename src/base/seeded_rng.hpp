// A deterministic Rng from a seed: tests and fuzz targets replay engines exactly with it.
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "base/rng.hpp"

namespace tandem {

class SeededRng final : public Rng {
 public:
  explicit SeededRng(std::uint64_t seed) : gen_(seed) {}
  void fill(std::span<std::byte> out) override {
    for (auto& b : out) b = static_cast<std::byte>(gen_() & 0xff);
  }

 private:
  std::mt19937_64 gen_;
};

}  // namespace tandem
