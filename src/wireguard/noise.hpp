// The Noise_IKpsk2 handshake as WireGuard uses it (whitepaper section 5.4.2-5.4.5): creating and
// consuming initiation and response messages, and deriving the transport keys. Pure functions
// over caller-held state; MACs and cookies are the cookie layer's job. Single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/bytes.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "crypto/secret.hpp"
#include "crypto/tai64n.hpp"
#include "crypto/x25519.hpp"
#include "wireguard/messages.hpp"

namespace tandem::wireguard {

using Key = crypto::Key32;
using crypto::PrivateKey;
using crypto::PublicKey;

// This device's static key pair with the values derived from it once.
struct StaticIdentity {
  PrivateKey private_key;
  PublicKey public_key{};
  std::array<std::byte, kKeySize> mac1_key{};    // HASH(LABEL_MAC1 || public_key)
  std::array<std::byte, kKeySize> cookie_key{};  // HASH(LABEL_COOKIE || public_key)
};
StaticIdentity make_static_identity(const PrivateKey& private_key);

// What we know of a peer's static key. The static-static DH is computed the first time a
// handshake with the peer needs it (ensure_static_static), not when the peer is configured: a
// gateway configures every peer at start-up, most stay idle for long, and one X25519 each was
// nearly all of that start-up's time.
struct RemoteStatic {
  enum class Dh : std::uint8_t { kNotComputed, kOk, kZero };
  PublicKey public_key{};
  Key static_static;  // DH(our private, their public); meaningful only in state kOk
  Dh static_static_state = Dh::kNotComputed;
  Key preshared_key;  // all zeros when none is configured (Noise's psk of zeros)
  std::array<std::byte, kKeySize> mac1_key{};
  std::array<std::byte, kKeySize> cookie_key{};

  bool static_static_ok() const { return static_static_state == Dh::kOk; }
};
// A peer's record with its mac1 and cookie keys, the static-static DH not yet computed.
RemoteStatic make_remote_static(const PublicKey& peer_public, const Key& preshared_key);
// The same with the DH computed at once.
RemoteStatic make_remote_static(const StaticIdentity& local, const PublicKey& peer_public,
                                const Key& preshared_key);
// Computes DH(our private, their public) unless already known; false when it is zero (their key
// is of small order), which refuses every handshake with the peer. An attacker can make us
// compute it only for configured peers, each once, and only with an initiation that passed mac1
// and took a DH of ours to open: no more than start-up used to spend.
bool ensure_static_static(const StaticIdentity& local, RemoteStatic& remote);
// Forgets the DH when our private key changes; the next handshake computes it again.
void forget_static_static(RemoteStatic& remote);

// mac1/cookie keys for a public key: HASH(label || public_key).
std::array<std::byte, kKeySize> mac1_key_for(const PublicKey& public_key);
std::array<std::byte, kKeySize> cookie_key_for(const PublicKey& public_key);

enum class HandshakeStage : std::uint8_t {
  kZeroed,
  kCreatedInitiation,
  kConsumedInitiation,
  kCreatedResponse,
  kConsumedResponse,
};

// One peer's handshake in progress, plus the anti-replay facts that outlive each handshake.
struct Handshake {
  HandshakeStage stage = HandshakeStage::kZeroed;
  Key chaining_key;
  Key hash;
  PrivateKey ephemeral_private;
  PublicKey remote_ephemeral{};
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  // The greatest TAI64N seen from this peer: older initiations are replays.
  crypto::Tai64n latest_timestamp{};
  std::optional<TimePoint> last_initiation_consumption;

  // Forgets the handshake in progress (keeps the replay and flood state).
  void clear();
};

// Writes a whole initiation into `out` (mac1 and mac2 left zero). The handshake moves to
// kCreatedInitiation with `local_index`. False unless ensure_static_static succeeded.
bool create_initiation(const StaticIdentity& local, const RemoteStatic& remote, Handshake& hs,
                       std::uint32_t local_index, Rng& rng, WallTime wall_now,
                       std::span<std::byte, InitiationLayout::kSize> out);

// The first half of consuming an initiation: decrypts the initiator's static key, which tells
// the caller which peer is calling.
struct InitiationOpening {
  Key chaining_key;
  Key hash;
  PublicKey remote_ephemeral{};
  PublicKey remote_static{};
  std::uint32_t sender_index = 0;
};
std::optional<InitiationOpening> open_initiation(const StaticIdentity& local, ByteView msg);

enum class ConsumeStatus : std::uint8_t { kOk, kDecryptFailed, kReplayedTimestamp, kFlood };
// The second half: with the peer found, authenticates the timestamp and, if it is fresh and
// the peer is not flooding us, stores the handshake state (stage kConsumedInitiation).
// kDecryptFailed unless ensure_static_static succeeded.
ConsumeStatus consume_initiation(const InitiationOpening& opening, const RemoteStatic& remote,
                                 Handshake& hs, ByteView msg, TimePoint now);

// Responder: writes a whole response (macs zero); stage kConsumedInitiation -> kCreatedResponse.
bool create_response(const StaticIdentity& local, const RemoteStatic& remote, Handshake& hs,
                     std::uint32_t local_index, Rng& rng,
                     std::span<std::byte, ResponseLayout::kSize> out);

// Initiator: consumes a response to our pending initiation; kCreatedInitiation ->
// kConsumedResponse. False (state unchanged) if it does not authenticate.
bool consume_response(const StaticIdentity& local, const RemoteStatic& remote, Handshake& hs,
                      ByteView msg);

// Transport keys of a finished handshake (kCreatedResponse or kConsumedResponse); the
// handshake is cleared.
struct SessionKeys {
  Key send;
  Key receive;
  std::uint32_t local_index = 0;
  std::uint32_t remote_index = 0;
  bool we_initiated = false;
};
std::optional<SessionKeys> derive_session(Handshake& hs);

}  // namespace tandem::wireguard
