#include "ipsec/ike/v2/payloads.hpp"

namespace tandem::ipsec::ike::v2 {

const char* notify_name(std::uint16_t type) {
  switch (type) {
    case kUnsupportedCriticalPayload:
      return "UNSUPPORTED_CRITICAL_PAYLOAD";
    case kInvalidSyntax:
      return "INVALID_SYNTAX";
    case kNoProposalChosen:
      return "NO_PROPOSAL_CHOSEN";
    case kInvalidKePayload:
      return "INVALID_KE_PAYLOAD";
    case kAuthenticationFailed:
      return "AUTHENTICATION_FAILED";
    case kInternalAddressFailure:
      return "INTERNAL_ADDRESS_FAILURE";
    case kTsUnacceptable:
      return "TS_UNACCEPTABLE";
    case kTemporaryFailure:
      return "TEMPORARY_FAILURE";
    case kChildSaNotFound:
      return "CHILD_SA_NOT_FOUND";
    default:
      return "error notify";
  }
}

std::vector<std::byte> spi32_bytes(std::uint32_t spi) {
  std::vector<std::byte> out(4);
  store_be32(out.data(), spi);
  return out;
}

std::vector<std::byte> spi64_bytes(std::uint64_t spi) {
  std::vector<std::byte> out(8);
  store_be64(out.data(), spi);
  return out;
}

std::uint32_t spi32_of(const std::vector<std::byte>& spi) {
  return spi.size() == 4 ? load_be32(spi.data()) : 0;
}

std::uint64_t spi64_of(const std::vector<std::byte>& spi) {
  return spi.size() == 8 ? load_be64(spi.data()) : 0;
}

}  // namespace tandem::ipsec::ike::v2
