// One direction of an ESP security association (RFC 4303), sans-I/O: seal() turns a payload
// in a caller's buffer into an ESP packet in place (header and IV into the headroom, trailer and
// ICV into the tailroom); open() checks and strips one. Transforms: AES-GCM with a 16-byte ICV
// (RFC 4106; the 8-byte IV is the sequence number, unique per key) and AES-CBC (RFC 3602, random
// IV) with HMAC-SHA1-96 (RFC 2404) or HMAC-SHA-256-128 (RFC 4868). 32-bit sequence numbers: an
// SA must be replaced before they run out (needs_rekey()), and seal() refuses once they have.
// Transport or tunnel mode only changes the Next Header value the caller passes and gets back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/packet.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "crypto/aes.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/esp/replay_window.hpp"

namespace tandem::ipsec::esp {

// 3DES-CBC (RFC 2451) only for old clients, where the operator allows it.
enum class Cipher : std::uint8_t { kAesGcm16, kAesCbc, kTripleDesCbc };
enum class Integrity : std::uint8_t { kNone, kHmacSha1_96, kHmacSha256_128 };

// Keying material as IKE derives it: for AES-GCM the key followed by the 4-byte salt
// (RFC 4106 section 8.1); for AES-CBC the cipher key, and the integrity key separately.
struct SaKeys {
  Cipher cipher = Cipher::kAesGcm16;
  std::vector<std::byte> encryption;
  Integrity integrity = Integrity::kNone;
  std::vector<std::byte> authentication;
};

// IP protocol numbers ESP's Next Header carries.
inline constexpr std::uint8_t kNextIpv4 = 4;    // tunnel mode, inner IPv4
inline constexpr std::uint8_t kNextUdp = 17;    // transport mode, L2TP over UDP
inline constexpr std::uint8_t kNextIpv6 = 41;   // tunnel mode, inner IPv6
inline constexpr std::uint8_t kNextDummy = 59;  // traffic-flow confidentiality padding

inline constexpr std::size_t kHeaderSize = 8;  // SPI and sequence number
// The most any transform adds: header, 16-byte IV in front; 15 padding, 2 trailer, 16 ICV behind.
inline constexpr std::size_t kMaxHeadroom = kHeaderSize + 16;
inline constexpr std::size_t kMaxTailroom = 15 + 2 + 16;

// The keyed transform and its sizes, shared by both directions.
struct Transform {
  static Result<Transform, std::string> create(const SaKeys& keys);
  Cipher cipher = Cipher::kAesGcm16;
  std::size_t iv_size = 8;
  std::size_t block = 4;  // the ciphertext's alignment: 4 for GCM, the AES block for CBC
  std::size_t icv_size = 16;
  std::array<std::byte, 4> salt{};
  std::optional<crypto::AesGcm> gcm;
  std::optional<crypto::CbcCipher> cbc;
  std::optional<crypto::Hmac> hmac;
};

enum class SealError : std::uint8_t { kNoRoom, kSequenceExhausted, kCrypto };

class OutboundSa {
 public:
  static Result<OutboundSa, std::string> create(std::uint32_t spi, const SaKeys& keys);

  // `packet` holds the payload (transport: the upper-layer segment; tunnel: the inner IP packet)
  // with room before and after it; afterwards it holds the ESP packet.
  Result<Ok, SealError> seal(Packet& packet, std::uint8_t next_header, Rng& rng);

  std::uint32_t spi() const { return spi_; }
  std::uint32_t last_sequence() const { return seq_; }
  // Past this the SA should be replaced (RFC 4303 3.3.3); a margin for the rekey to finish.
  bool needs_rekey() const { return seq_ >= kRekeyAt; }
  std::size_t headroom() const { return kHeaderSize + t_.iv_size; }
  std::size_t overhead_for(std::size_t payload) const;

  // Tests start an SA near the end of its sequence space to exercise exhaustion.
  void skip_to_sequence_for_test(std::uint32_t seq) { seq_ = seq; }

  static constexpr std::uint32_t kRekeyAt = 0xffffffffU - (1U << 20);

 private:
  OutboundSa(std::uint32_t spi, Transform t) : spi_(spi), t_(std::move(t)) {}
  std::uint32_t spi_ = 0;
  std::uint32_t seq_ = 0;
  Transform t_;
};

enum class OpenError : std::uint8_t { kMalformed, kWrongSpi, kReplay, kAuthentication, kPadding };
const char* open_error_name(OpenError e);

struct InboundStats {
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
  std::uint64_t malformed = 0;
  std::uint64_t replayed = 0;
  std::uint64_t authentication_failed = 0;
};

class InboundSa {
 public:
  static Result<InboundSa, std::string> create(std::uint32_t spi, const SaKeys& keys);

  // `packet` holds an ESP packet; afterwards it holds the payload. Returns the Next Header.
  Result<std::uint8_t, OpenError> open(Packet& packet);

  std::uint32_t spi() const { return spi_; }
  const InboundStats& stats() const { return stats_; }
  const ReplayWindow& window() const { return window_; }

 private:
  InboundSa(std::uint32_t spi, Transform t) : spi_(spi), t_(std::move(t)) {}
  Result<std::uint8_t, OpenError> fail(OpenError e);

  std::uint32_t spi_ = 0;
  Transform t_;
  ReplayWindow window_;
  InboundStats stats_;
};

// The SPI of an ESP packet (0 if it is too short to have one).
std::uint32_t spi_of(ByteView packet);

}  // namespace tandem::ipsec::esp
