// NAT detection (RFC 7296 section 2.23): the NAT_DETECTION_SOURCE_IP and _DESTINATION_IP hashes,
// SHA-1(SPIi | SPIr | IP address | port). A hash that does not match the address a message
// really came from (or was sent to) means a NAT rewrote it on the way.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/ip_address.hpp"

namespace tandem::ipsec::ike::v2 {

// The responder's SPI is zero in the first IKE_SA_INIT request.
std::vector<std::byte> nat_detection_hash(std::uint64_t spi_i, std::uint64_t spi_r,
                                          const Endpoint& endpoint);

}  // namespace tandem::ipsec::ike::v2
