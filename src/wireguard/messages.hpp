// WireGuard's wire formats and protocol constants, named as the whitepaper names them
// (sections 5.4 and 6). Messages are read and written through byte offsets into caller buffers,
// never through packed structs.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.hpp"

namespace tandem::wireguard {

using namespace std::chrono_literals;

// --- Protocol constants (whitepaper section 6.1) ---
inline constexpr std::uint64_t kRekeyAfterMessages = 1ull << 60;
inline constexpr std::uint64_t kRejectAfterMessages = ~0ull - (1ull << 13);
inline constexpr std::chrono::seconds kRekeyAfterTime = 120s;
inline constexpr std::chrono::seconds kRejectAfterTime = 180s;
inline constexpr std::chrono::seconds kRekeyAttemptTime = 90s;
inline constexpr std::chrono::seconds kRekeyTimeout = 5s;
inline constexpr std::chrono::milliseconds kRekeyTimeoutJitterMax = 334ms;
inline constexpr std::chrono::seconds kKeepaliveTimeout = 10s;
inline constexpr std::chrono::seconds kCookieRefreshTime = 120s;
// Handshake attempts before giving up: REKEY_ATTEMPT_TIME / REKEY_TIMEOUT.
inline constexpr int kMaxTimerHandshakes = kRekeyAttemptTime / kRekeyTimeout;
// A peer may not make us consume more than this many initiations per second.
inline constexpr int kMaxInitiationsPerSecond = 50;
inline constexpr std::size_t kMessagePaddingMultiple = 16;
// Packets held per peer while a handshake is in flight (as the kernel's MAX_STAGED_PACKETS).
inline constexpr std::size_t kMaxStagedPackets = 128;
// Cookies are good for two minutes less the time a reply may take in flight.
inline constexpr std::chrono::seconds kCookieSecretLatency = 5s;

// --- Message types and sizes (section 5.4) ---
enum class MessageType : std::uint32_t {
  kHandshakeInitiation = 1,
  kHandshakeResponse = 2,
  kCookieReply = 3,
  kTransportData = 4,
};

inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kMacSize = 16;
inline constexpr std::size_t kTimestampSize = 12;
inline constexpr std::size_t kCookieSize = 16;
inline constexpr std::size_t kCookieNonceSize = 24;

// Handshake initiation: type, sender, ephemeral, static (encrypted), timestamp (encrypted), macs.
struct InitiationLayout {
  static constexpr std::size_t kSender = 4;
  static constexpr std::size_t kEphemeral = 8;
  static constexpr std::size_t kStatic = 40;                                    // 32 + tag
  static constexpr std::size_t kTimestamp = kStatic + kKeySize + kTagSize;      // 88, 12 + tag
  static constexpr std::size_t kMac1 = kTimestamp + kTimestampSize + kTagSize;  // 116
  static constexpr std::size_t kMac2 = kMac1 + kMacSize;                        // 132
  static constexpr std::size_t kSize = kMac2 + kMacSize;                        // 148
};

// Handshake response: type, sender, receiver, ephemeral, empty (encrypted), macs.
struct ResponseLayout {
  static constexpr std::size_t kSender = 4;
  static constexpr std::size_t kReceiver = 8;
  static constexpr std::size_t kEphemeral = 12;
  static constexpr std::size_t kEmpty = 44;                // tag only
  static constexpr std::size_t kMac1 = kEmpty + kTagSize;  // 60
  static constexpr std::size_t kMac2 = kMac1 + kMacSize;   // 76
  static constexpr std::size_t kSize = kMac2 + kMacSize;   // 92
};

// Cookie reply: type, receiver, nonce, cookie (encrypted).
struct CookieReplyLayout {
  static constexpr std::size_t kReceiver = 4;
  static constexpr std::size_t kNonce = 8;
  static constexpr std::size_t kCookie = kNonce + kCookieNonceSize;       // 32
  static constexpr std::size_t kSize = kCookie + kCookieSize + kTagSize;  // 64
};

// Transport data: type, receiver, counter, then the encrypted, padded inner packet and its tag.
struct TransportLayout {
  static constexpr std::size_t kReceiver = 4;
  static constexpr std::size_t kCounter = 8;
  static constexpr std::size_t kHeaderSize = 16;
  static constexpr std::size_t kMinSize = kHeaderSize + kTagSize;  // a keepalive
};

// Every reason a datagram or an inner packet is dropped; each is counted (and becomes a metric).
enum class DropReason : std::uint8_t {
  kTooShort,
  kUnknownType,
  kWrongSize,
  kBadMac1,
  kCookieRequired,
  kRateLimited,
  kUnknownReceiver,
  kNoPrivateKey,
  kUnknownPeer,
  kHandshakeDecryptFailed,
  kReplayedTimestamp,
  kInitiationFlood,
  kUnexpectedResponse,
  kBadCookieReply,
  kExpiredKeypair,
  kReplayedCounter,
  kDecryptFailed,
  kBadInnerPacket,
  kSourceNotAllowed,
  kNoRouteToPeer,
  kNoEndpoint,
  kStagedQueueFull,
  kNoBufferRoom,
  kNoSession,  // a path MTU probe for a peer with no session to send it in
  kCount,
};
inline constexpr std::size_t kDropReasonCount = static_cast<std::size_t>(DropReason::kCount);

std::string_view drop_reason_name(DropReason reason);

// The type of a datagram whose size is valid for that type; otherwise why it is not one.
// Sizes are exact for handshake and cookie messages and at least 32 bytes for transport data.
struct Classified {
  std::optional<MessageType> type;
  DropReason drop = DropReason::kUnknownType;
};
Classified classify_message(ByteView datagram);

inline std::uint32_t message_field_u32(ByteView msg, std::size_t offset) {
  return load_le32(msg.data() + offset);
}

}  // namespace tandem::wireguard
