// NAT traversal in IKEv1 (RFC 3947) and the Vendor IDs Tandem sends and recognises: NAT-T
// itself, and Dead Peer Detection (RFC 3706). NAT-D hashes are HASH(CKY-I | CKY-R | IP | port)
// with the negotiated hash; the first NAT-D payload describes the receiver as the sender sees
// it, the others the sender's own addresses.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "ipsec/ike/v1/keys.hpp"

namespace tandem::ipsec::ike::v1 {

// MD5("RFC 3947").
inline constexpr std::array<std::uint8_t, 16> kVendorNatT{
    0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
// RFC 3706 section 5.1: the DPD vendor ID, version 1.0.
inline constexpr std::array<std::uint8_t, 16> kVendorDpd{
    0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};

std::vector<std::byte> vendor_id(const std::array<std::uint8_t, 16>& id);
bool is_vendor(ByteView id, const std::array<std::uint8_t, 16>& known);

std::vector<std::byte> nat_d_hash(Hash h, std::uint64_t cky_i, std::uint64_t cky_r,
                                  const Endpoint& endpoint);

}  // namespace tandem::ipsec::ike::v1
