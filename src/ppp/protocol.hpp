// PPP constants named as the RFCs name them: protocol numbers (RFC 1661 section 2 and the IANA
// registry), control-packet codes (1661 section 5), LCP options (1661 section 6), PAP (RFC 1334),
// CHAP (RFC 1994, with MS-CHAPv2 per RFC 2759), IPCP (RFC 1332, DNS per RFC 1877) and IPV6CP
// (RFC 5072).
#pragma once

#include <chrono>
#include <cstdint>

namespace tandem::ppp {

using namespace std::chrono_literals;

enum class Protocol : std::uint16_t {
  kIpv4 = 0x0021,
  kIpv6 = 0x0057,
  kIpcp = 0x8021,
  kIpv6cp = 0x8057,
  kLcp = 0xc021,
  kPap = 0xc023,
  kChap = 0xc223,
};

// Control-packet codes shared by LCP and the NCPs (1661 section 5).
enum class Code : std::uint8_t {
  kConfigureRequest = 1,
  kConfigureAck = 2,
  kConfigureNak = 3,
  kConfigureReject = 4,
  kTerminateRequest = 5,
  kTerminateAck = 6,
  kCodeReject = 7,
  kProtocolReject = 8,  // LCP only, as are the three below
  kEchoRequest = 9,
  kEchoReply = 10,
  kDiscardRequest = 11,
};

enum class LcpOption : std::uint8_t {
  kMru = 1,
  kAccm = 2,
  kAuthProtocol = 3,
  kQualityProtocol = 4,
  kMagicNumber = 5,
  kProtocolFieldCompression = 7,
  kAddressControlFieldCompression = 8,
};

enum class IpcpOption : std::uint8_t {
  kIpAddresses = 1,  // deprecated (RFC 1332 appendix)
  kIpCompression = 2,
  kIpAddress = 3,
  kPrimaryDns = 129,  // RFC 1877
  kPrimaryNbns = 130,
  kSecondaryDns = 131,
  kSecondaryNbns = 132,
};

inline constexpr std::uint8_t kIpv6cpInterfaceIdentifier = 1;

// CHAP algorithms carried in the LCP Authentication-Protocol option (RFC 1994, RFC 2759).
inline constexpr std::uint8_t kChapAlgorithmMd5 = 5;
inline constexpr std::uint8_t kChapAlgorithmMsV2 = 0x81;

// PAP and CHAP packet codes.
enum class PapCode : std::uint8_t { kRequest = 1, kAck = 2, kNak = 3 };
enum class ChapCode : std::uint8_t { kChallenge = 1, kResponse = 2, kSuccess = 3, kFailure = 4 };

// RFC 1661 section 4.6 defaults.
inline constexpr std::chrono::seconds kRestartTimer = 3s;
inline constexpr int kMaxTerminate = 2;
inline constexpr int kMaxConfigure = 10;
inline constexpr int kMaxFailure = 5;

inline constexpr std::uint16_t kDefaultMru = 1500;
// The smallest MRU every implementation must accept (1661 section 6.1).
inline constexpr std::uint16_t kMinimumMru = 576;

// HDLC-like framing's address and control bytes, which L2TP carries (RFC 2661 section 2).
inline constexpr std::uint8_t kAllStationsAddress = 0xff;
inline constexpr std::uint8_t kUnnumberedInformation = 0x03;
inline constexpr std::size_t kFrameHeaderSize = 4;    // FF 03 and a two-byte protocol
inline constexpr std::size_t kControlHeaderSize = 4;  // code, identifier, length

}  // namespace tandem::ppp
