// L2TPv2 wire constants named as RFC 2661 names them: header bits (section 3.1), message types
// (3.2), AVP attribute types (4.4), Result and Error Codes (4.4.2), and control-channel timing
// (5.8). Single-threaded users only; nothing here has state.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace tandem::l2tp {

using namespace std::chrono_literals;

inline constexpr std::uint16_t kDefaultPort = 1701;
inline constexpr std::uint16_t kVersion = 2;

// --- Header flag bits (first 16-bit word) ---
inline constexpr std::uint16_t kFlagType = 0x8000;      // T: control message
inline constexpr std::uint16_t kFlagLength = 0x4000;    // L: Length field present
inline constexpr std::uint16_t kFlagSequence = 0x0800;  // S: Ns and Nr present
inline constexpr std::uint16_t kFlagOffset = 0x0200;    // O: Offset Size present
inline constexpr std::uint16_t kFlagPriority = 0x0100;  // P: data message wants priority
inline constexpr std::uint16_t kVersionMask = 0x000f;
// Bits RFC 2661 reserves in the flag word; a receiver must ignore them, except that the x bits
// next to T/L/S/O/P must be zero for version 2. We are lenient, as Windows and xl2tpd are.
inline constexpr std::size_t kControlHeaderSize = 12;     // flags, length, tunnel, session, Ns, Nr
inline constexpr std::size_t kMinimalDataHeaderSize = 6;  // flags, tunnel, session

// --- AVP header (section 4.1) ---
inline constexpr std::uint16_t kAvpMandatory = 0x8000;
inline constexpr std::uint16_t kAvpHidden = 0x4000;
inline constexpr std::uint16_t kAvpReservedBits = 0x3c00;
inline constexpr std::uint16_t kAvpLengthMask = 0x03ff;
inline constexpr std::size_t kAvpHeaderSize = 6;
inline constexpr std::uint16_t kIetfVendorId = 0;

enum class MessageType : std::uint16_t {
  kSccrq = 1,
  kSccrp = 2,
  kScccn = 3,
  kStopCcn = 4,
  kHello = 6,
  kOcrq = 7,
  kOcrp = 8,
  kOccn = 9,
  kIcrq = 10,
  kIcrp = 11,
  kIccn = 12,
  kCdn = 14,
  kWen = 15,
  kSli = 16,
};

enum class AvpType : std::uint16_t {
  kMessageType = 0,
  kResultCode = 1,
  kProtocolVersion = 2,
  kFramingCapabilities = 3,
  kBearerCapabilities = 4,
  kTieBreaker = 5,
  kFirmwareRevision = 6,
  kHostName = 7,
  kVendorName = 8,
  kAssignedTunnelId = 9,
  kReceiveWindowSize = 10,
  kChallenge = 11,
  kQ931CauseCode = 12,
  kChallengeResponse = 13,
  kAssignedSessionId = 14,
  kCallSerialNumber = 15,
  kMinimumBps = 16,
  kMaximumBps = 17,
  kBearerType = 18,
  kFramingType = 19,
  kCalledNumber = 21,
  kCallingNumber = 22,
  kSubAddress = 23,
  kTxConnectSpeed = 24,
  kPhysicalChannelId = 25,
  kInitialReceivedLcpConfReq = 26,
  kLastSentLcpConfReq = 27,
  kLastReceivedLcpConfReq = 28,
  kProxyAuthenType = 29,
  kProxyAuthenName = 30,
  kProxyAuthenChallenge = 31,
  kProxyAuthenId = 32,
  kProxyAuthenResponse = 33,
  kCallErrors = 34,
  kAccm = 35,
  kRandomVector = 36,
  kPrivateGroupId = 37,
  kRxConnectSpeed = 38,
  kSequencingRequired = 39,
};

// Result Code values for StopCCN (section 4.4.2).
enum class StopCcnResult : std::uint16_t {
  kGeneralRequest = 1,
  kGeneralError = 2,
  kChannelExists = 3,
  kNotAuthorized = 4,
  kVersionNotSupported = 5,
  kShuttingDown = 6,
  kFsmError = 7,
};

// Result Code values for CDN (section 4.4.2).
enum class CdnResult : std::uint16_t {
  kLostCarrier = 1,
  kGeneralError = 2,
  kAdministrative = 3,
  kTemporaryLackOfFacilities = 4,
  kPermanentLackOfFacilities = 5,
  kInvalidDestination = 6,
  kNoCarrier = 7,
  kBusy = 8,
  kNoDialTone = 9,
  kTimeout = 10,
  kNoFraming = 11,
};

// General Error Codes carried after a Result Code (section 4.4.2).
enum class ErrorCode : std::uint16_t {
  kNoError = 0,
  kNoControlConnection = 1,
  kBadLength = 2,
  kOutOfRange = 3,
  kInsufficientResources = 4,
  kInvalidSessionId = 5,
  kVendorSpecific = 6,
  kTryAnotherLns = 7,
  kUnknownMandatoryAvp = 8,
};

// Framing and bearer capability bits (sections 4.4.3 and 4.4.5).
inline constexpr std::uint32_t kFramingSynchronous = 0x1;
inline constexpr std::uint32_t kFramingAsynchronous = 0x2;
inline constexpr std::uint32_t kBearerDigital = 0x1;
inline constexpr std::uint32_t kBearerAnalog = 0x2;

// --- Control channel (section 5.8) ---
// A peer that sends no Receive Window Size AVP can take four messages in flight.
inline constexpr std::uint16_t kDefaultPeerReceiveWindow = 4;
inline constexpr std::chrono::milliseconds kInitialRetransmitTimeout = 1000ms;
// "The exponential backoff ... MUST be capped at no less than 8 seconds" (5.8).
inline constexpr std::chrono::milliseconds kMaxRetransmitTimeout = 8000ms;
inline constexpr int kDefaultMaxRetransmissions = 5;
// HELLO after this long without any control message from the peer (section 6.5 suggests 60 s).
inline constexpr std::chrono::seconds kHelloInterval = 60s;
// A closed tunnel keeps its state this long to acknowledge a retransmitted StopCCN (5.7: "at
// least a full retransmission cycle").
inline constexpr std::chrono::seconds kStopCcnLinger = 31s;

}  // namespace tandem::l2tp
