#include "ipsec/ike/v2/nat_detection.hpp"

#include "crypto/legacy_digest.hpp"
#include "ipsec/ike/wire.hpp"

namespace tandem::ipsec::ike::v2 {

std::vector<std::byte> nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r,
                                          const Endpoint& endpoint) {
  std::vector<std::byte> input;
  wire::put64(input, spi_i);
  wire::put64(input, spi_r);
  const auto* address = reinterpret_cast<const std::byte*>(endpoint.address.data());
  wire::put(input, ByteView(address, endpoint.address.size()));
  wire::put16(input, endpoint.port);
  const auto digest = crypto::sha1(input);
  return {digest.begin(), digest.end()};
}

}  // namespace tandem::ipsec::ike::v2
