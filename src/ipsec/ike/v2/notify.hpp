// IKEv2 protocol numbers the engine speaks, named as RFC 7296 names them: Notify Message Types
// (3.10.1), Configuration Payload types and attributes (3.15), and the AUTH method of a shared
// key (3.8).
#pragma once

#include <cstdint>

namespace tandem::ipsec::ike::v2 {

// Error types (below 16384): a response that carries one failed the request.
inline constexpr std::uint16_t kUnsupportedCriticalPayload = 1;
inline constexpr std::uint16_t kInvalidIkeSpi = 4;
inline constexpr std::uint16_t kInvalidSyntax = 7;
inline constexpr std::uint16_t kInvalidMessageId = 9;
inline constexpr std::uint16_t kInvalidSpi = 11;
inline constexpr std::uint16_t kNoProposalChosen = 14;
inline constexpr std::uint16_t kInvalidKePayload = 17;
inline constexpr std::uint16_t kAuthenticationFailed = 24;
inline constexpr std::uint16_t kSinglePairRequired = 34;
inline constexpr std::uint16_t kNoAdditionalSas = 35;
inline constexpr std::uint16_t kInternalAddressFailure = 36;
inline constexpr std::uint16_t kFailedCpRequired = 37;
inline constexpr std::uint16_t kTsUnacceptable = 38;
inline constexpr std::uint16_t kInvalidSelectors = 39;
inline constexpr std::uint16_t kTemporaryFailure = 43;
inline constexpr std::uint16_t kChildSaNotFound = 44;
inline constexpr std::uint16_t kLastErrorType = 16383;

// Status types.
inline constexpr std::uint16_t kInitialContact = 16384;
inline constexpr std::uint16_t kNatDetectionSourceIp = 16388;
inline constexpr std::uint16_t kNatDetectionDestinationIp = 16389;
inline constexpr std::uint16_t kCookie = 16390;
inline constexpr std::uint16_t kUseTransportMode = 16391;
inline constexpr std::uint16_t kRekeySa = 16393;

// Configuration Payload (3.15).
inline constexpr std::uint8_t kCfgRequest = 1;
inline constexpr std::uint8_t kCfgReply = 2;
inline constexpr std::uint16_t kInternalIp4Address = 1;
inline constexpr std::uint16_t kInternalIp4Netmask = 2;
inline constexpr std::uint16_t kInternalIp4Dns = 3;
// An IPv6 address and its prefix length: 17 bytes in a reply, empty in a request (3.15.1).
inline constexpr std::uint16_t kInternalIp6Address = 8;
// RFC 8598 section 4: a domain whose names the peer resolves through the tunnel's DNS servers,
// in presentation format without a trailing NUL; empty in a request (split DNS supported).
inline constexpr std::uint16_t kInternalDnsDomain = 25;

inline constexpr std::uint8_t kAuthSharedKeyMic = 2;

inline constexpr std::size_t kNonceSize = 32;  // at least half the PRF's key size (2.10)

}  // namespace tandem::ipsec::ike::v2
