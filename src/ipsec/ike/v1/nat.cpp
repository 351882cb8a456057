#include "ipsec/ike/v1/nat.hpp"

#include <algorithm>

namespace tandem::ipsec::ike::v1 {

std::vector<std::byte> vendor_id(const std::array<std::uint8_t, 16>& id) {
  std::vector<std::byte> out(id.size());
  std::transform(id.begin(), id.end(), out.begin(), [](std::uint8_t b) { return std::byte(b); });
  return out;
}

bool is_vendor(ByteView id, const std::array<std::uint8_t, 16>& known) {
  return id.size() == known.size() &&
         std::equal(id.begin(), id.end(), known.begin(), [](std::byte a, std::uint8_t b) {
           return std::to_integer<std::uint8_t>(a) == b;
         });
}

std::vector<std::byte> nat_d_hash(Hash h, std::uint64_t cky_i, std::uint64_t cky_r,
                                  const Endpoint& endpoint) {
  std::array<std::byte, 16> cookies{};
  for (std::size_t i = 0; i < 8; ++i) {
    cookies[i] = std::byte(cky_i >> (56 - 8 * i));
    cookies[8 + i] = std::byte(cky_r >> (56 - 8 * i));
  }
  const std::array<std::byte, 2> port{std::byte(endpoint.port >> 8), std::byte(endpoint.port)};
  const auto* a = reinterpret_cast<const std::byte*>(endpoint.address.data());
  return crypto::digest(hash_algorithm(h), {cookies, ByteView(a, endpoint.address.size()), port});
}

}  // namespace tandem::ipsec::ike::v1
