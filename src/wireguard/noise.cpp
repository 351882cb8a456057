#include "wireguard/noise.hpp"

#include <algorithm>
#include <cstring>

#include "crypto/aead.hpp"
#include "crypto/blake2s.hpp"
#include "crypto/constant_time.hpp"

namespace tandem::wireguard {
namespace {

constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
constexpr std::string_view kLabelMac1 = "mac1----";
constexpr std::string_view kLabelCookie = "cookie--";

using Hash = std::array<std::byte, kKeySize>;

// The chaining key and hash every handshake starts from: Ci = HASH(CONSTRUCTION),
// Hi = HASH(Ci || IDENTIFIER). Computed once.
struct InitialState {
  Hash chaining_key{};
  Hash hash{};
};
const InitialState& initial_state() {
  static const InitialState state = [] {
    InitialState s;
    crypto::blake2s256({as_bytes(kConstruction)}, s.chaining_key);
    crypto::blake2s256({s.chaining_key, as_bytes(kIdentifier)}, s.hash);
    return s;
  }();
  return state;
}

const std::array<std::byte, crypto::kChaChaNonceSize> kZeroNonce{};

// h := HASH(h || data)
void mix_hash(Key& h, ByteView data) {
  Hash out;
  crypto::blake2s256({h.bytes(), data}, out);
  std::copy(out.begin(), out.end(), h.bytes().begin());
}

// ck := KDF1(ck, input)
void mix_key(Key& ck, ByteView input) {
  Key next;
  crypto::wireguard_kdf(ck.bytes(), input, {next.bytes()});
  ck = next;
}

// (ck, k) := KDF2(ck, input)
void mix_key2(Key& ck, ByteView input, Key& k) {
  Key next;
  crypto::wireguard_kdf(ck.bytes(), input, {next.bytes(), k.bytes()});
  ck = next;
}

// ck := KDF1(ck, DH(priv, pub)); false on a zero shared secret.
bool mix_dh(Key& ck, const PrivateKey& priv, const PublicKey& pub) {
  auto shared = crypto::x25519(priv, pub);
  if (!shared) return false;
  mix_key(ck, shared->bytes());
  return true;
}

// (ck, k) := KDF2(ck, DH(priv, pub)); false on a zero shared secret.
bool mix_dh2(Key& ck, const PrivateKey& priv, const PublicKey& pub, Key& k) {
  auto shared = crypto::x25519(priv, pub);
  if (!shared) return false;
  mix_key2(ck, shared->bytes(), k);
  return true;
}

// c := AEAD(k, 0, plaintext, h); h := HASH(h || c)
void encrypt_and_hash(const Key& k, Key& h, ByteView plaintext, MutableByteView out) {
  crypto::chacha20poly1305_seal(k.bytes(), kZeroNonce, h.bytes(), plaintext, out);
  mix_hash(h, out);
}

// p := AEAD-open(k, 0, c, h); h := HASH(h || c)
bool decrypt_and_hash(const Key& k, Key& h, ByteView ciphertext, MutableByteView out) {
  if (!crypto::chacha20poly1305_open(k.bytes(), kZeroNonce, h.bytes(), ciphertext, out))
    return false;
  mix_hash(h, ciphertext);
  return true;
}

Key key_from(const Hash& h) {
  return Key(std::span<const std::byte, kKeySize>(h));
}

Hash labelled_hash(std::string_view label, const PublicKey& key) {
  Hash out;
  crypto::blake2s256({as_bytes(label), key}, out);
  return out;
}

// The state both sides start from for a responder whose static key is `responder_public`.
void begin(Key& ck, Key& h, const PublicKey& responder_public) {
  ck = key_from(initial_state().chaining_key);
  h = key_from(initial_state().hash);
  mix_hash(h, responder_public);
}

}  // namespace

std::array<std::byte, kKeySize> mac1_key_for(const PublicKey& public_key) {
  return labelled_hash(kLabelMac1, public_key);
}
std::array<std::byte, kKeySize> cookie_key_for(const PublicKey& public_key) {
  return labelled_hash(kLabelCookie, public_key);
}

StaticIdentity make_static_identity(const PrivateKey& private_key) {
  StaticIdentity id;
  id.private_key = private_key;
  id.public_key = crypto::x25519_public_key(private_key);
  id.mac1_key = mac1_key_for(id.public_key);
  id.cookie_key = cookie_key_for(id.public_key);
  return id;
}

RemoteStatic make_remote_static(const PublicKey& peer_public, const Key& preshared_key) {
  RemoteStatic remote;
  remote.public_key = peer_public;
  remote.preshared_key = preshared_key;
  remote.mac1_key = mac1_key_for(peer_public);
  remote.cookie_key = cookie_key_for(peer_public);
  return remote;
}

RemoteStatic make_remote_static(const StaticIdentity& local, const PublicKey& peer_public,
                                const Key& preshared_key) {
  RemoteStatic remote = make_remote_static(peer_public, preshared_key);
  ensure_static_static(local, remote);
  return remote;
}

bool ensure_static_static(const StaticIdentity& local, RemoteStatic& remote) {
  if (remote.static_static_state == RemoteStatic::Dh::kNotComputed) {
    auto shared = crypto::x25519(local.private_key, remote.public_key);
    remote.static_static_state = shared ? RemoteStatic::Dh::kOk : RemoteStatic::Dh::kZero;
    if (shared) remote.static_static = *shared;
  }
  return remote.static_static_ok();
}

void forget_static_static(RemoteStatic& remote) {
  remote.static_static.wipe();
  remote.static_static_state = RemoteStatic::Dh::kNotComputed;
}

void Handshake::clear() {
  stage = HandshakeStage::kZeroed;
  chaining_key.wipe();
  hash.wipe();
  ephemeral_private.wipe();
  remote_ephemeral = {};
  local_index = 0;
  remote_index = 0;
}

bool create_initiation(const StaticIdentity& local, const RemoteStatic& remote, Handshake& hs,
                       std::uint32_t local_index, Rng& rng, WallTime wall_now,
                       std::span<std::byte, InitiationLayout::kSize> out) {
  if (!remote.static_static_ok()) return false;
  std::fill(out.begin(), out.end(), std::byte{0});
  store_le32(out.data(), static_cast<std::uint32_t>(MessageType::kHandshakeInitiation));
  store_le32(out.data() + InitiationLayout::kSender, local_index);

  Key ck, h, k;
  begin(ck, h, remote.public_key);
  PrivateKey ephemeral = crypto::x25519_generate_private(rng);
  const PublicKey ephemeral_public = crypto::x25519_public_key(ephemeral);
  std::copy(ephemeral_public.begin(), ephemeral_public.end(),
            out.begin() + InitiationLayout::kEphemeral);
  mix_key(ck, ephemeral_public);
  mix_hash(h, ephemeral_public);

  if (!mix_dh2(ck, ephemeral, remote.public_key, k)) return false;
  encrypt_and_hash(k, h, local.public_key,
                   out.subspan(InitiationLayout::kStatic, kKeySize + kTagSize));

  mix_key2(ck, remote.static_static.bytes(), k);
  const crypto::Tai64n timestamp = crypto::tai64n(wall_now);
  encrypt_and_hash(k, h, timestamp,
                   out.subspan(InitiationLayout::kTimestamp, kTimestampSize + kTagSize));

  hs.chaining_key = ck;
  hs.hash = h;
  hs.ephemeral_private = ephemeral;
  hs.local_index = local_index;
  hs.remote_index = 0;
  hs.stage = HandshakeStage::kCreatedInitiation;
  return true;
}

std::optional<InitiationOpening> open_initiation(const StaticIdentity& local, ByteView msg) {
  if (msg.size() != InitiationLayout::kSize) return std::nullopt;
  InitiationOpening o;
  o.sender_index = load_le32(msg.data() + InitiationLayout::kSender);
  std::copy_n(msg.begin() + InitiationLayout::kEphemeral, kKeySize, o.remote_ephemeral.begin());

  Key k;
  begin(o.chaining_key, o.hash, local.public_key);
  mix_key(o.chaining_key, o.remote_ephemeral);
  mix_hash(o.hash, o.remote_ephemeral);
  if (!mix_dh2(o.chaining_key, local.private_key, o.remote_ephemeral, k)) return std::nullopt;
  if (!decrypt_and_hash(k, o.hash, msg.subspan(InitiationLayout::kStatic, kKeySize + kTagSize),
                        o.remote_static))
    return std::nullopt;
  return o;
}

ConsumeStatus consume_initiation(const InitiationOpening& opening, const RemoteStatic& remote,
                                 Handshake& hs, ByteView msg, TimePoint now) {
  if (!remote.static_static_ok() || msg.size() != InitiationLayout::kSize)
    return ConsumeStatus::kDecryptFailed;
  Key ck = opening.chaining_key;
  Key h = opening.hash;
  Key k;
  mix_key2(ck, remote.static_static.bytes(), k);
  crypto::Tai64n timestamp{};
  if (!decrypt_and_hash(k, h, msg.subspan(InitiationLayout::kTimestamp, kTimestampSize + kTagSize),
                        timestamp))
    return ConsumeStatus::kDecryptFailed;

  // TAI64N is big-endian, so byte order is time order. An equal stamp is a replay too.
  if (std::memcmp(timestamp.data(), hs.latest_timestamp.data(), timestamp.size()) <= 0)
    return ConsumeStatus::kReplayedTimestamp;
  if (hs.last_initiation_consumption &&
      now - *hs.last_initiation_consumption <
          std::chrono::milliseconds(1000) / kMaxInitiationsPerSecond)
    return ConsumeStatus::kFlood;

  hs.latest_timestamp = timestamp;
  hs.last_initiation_consumption = now;
  hs.chaining_key = ck;
  hs.hash = h;
  hs.remote_ephemeral = opening.remote_ephemeral;
  hs.remote_index = opening.sender_index;
  hs.ephemeral_private.wipe();
  hs.stage = HandshakeStage::kConsumedInitiation;
  return ConsumeStatus::kOk;
}

bool create_response(const StaticIdentity& /*local*/, const RemoteStatic& remote, Handshake& hs,
                     std::uint32_t local_index, Rng& rng,
                     std::span<std::byte, ResponseLayout::kSize> out) {
  if (hs.stage != HandshakeStage::kConsumedInitiation) return false;
  std::fill(out.begin(), out.end(), std::byte{0});
  store_le32(out.data(), static_cast<std::uint32_t>(MessageType::kHandshakeResponse));
  store_le32(out.data() + ResponseLayout::kSender, local_index);
  store_le32(out.data() + ResponseLayout::kReceiver, hs.remote_index);

  Key ck = hs.chaining_key;
  Key h = hs.hash;
  PrivateKey ephemeral = crypto::x25519_generate_private(rng);
  const PublicKey ephemeral_public = crypto::x25519_public_key(ephemeral);
  std::copy(ephemeral_public.begin(), ephemeral_public.end(),
            out.begin() + ResponseLayout::kEphemeral);
  mix_key(ck, ephemeral_public);
  mix_hash(h, ephemeral_public);
  if (!mix_dh(ck, ephemeral, hs.remote_ephemeral)) return false;
  if (!mix_dh(ck, ephemeral, remote.public_key)) return false;

  Key next, tau, k;
  crypto::wireguard_kdf(ck.bytes(), remote.preshared_key.bytes(),
                        {next.bytes(), tau.bytes(), k.bytes()});
  ck = next;
  mix_hash(h, tau.bytes());
  encrypt_and_hash(k, h, {}, out.subspan(ResponseLayout::kEmpty, kTagSize));

  hs.chaining_key = ck;
  hs.hash = h;
  hs.local_index = local_index;
  hs.stage = HandshakeStage::kCreatedResponse;
  return true;
}

bool consume_response(const StaticIdentity& local, const RemoteStatic& remote, Handshake& hs,
                      ByteView msg) {
  if (hs.stage != HandshakeStage::kCreatedInitiation || msg.size() != ResponseLayout::kSize)
    return false;
  if (load_le32(msg.data() + ResponseLayout::kReceiver) != hs.local_index) return false;
  PublicKey remote_ephemeral;
  std::copy_n(msg.begin() + ResponseLayout::kEphemeral, kKeySize, remote_ephemeral.begin());

  Key ck = hs.chaining_key;
  Key h = hs.hash;
  mix_key(ck, remote_ephemeral);
  mix_hash(h, remote_ephemeral);
  if (!mix_dh(ck, hs.ephemeral_private, remote_ephemeral)) return false;
  if (!mix_dh(ck, local.private_key, remote_ephemeral)) return false;

  Key next, tau, k;
  crypto::wireguard_kdf(ck.bytes(), remote.preshared_key.bytes(),
                        {next.bytes(), tau.bytes(), k.bytes()});
  ck = next;
  mix_hash(h, tau.bytes());
  std::array<std::byte, 0> empty{};
  if (!decrypt_and_hash(k, h, msg.subspan(ResponseLayout::kEmpty, kTagSize), empty)) return false;

  hs.chaining_key = ck;
  hs.hash = h;
  hs.remote_ephemeral = remote_ephemeral;
  hs.remote_index = load_le32(msg.data() + ResponseLayout::kSender);
  hs.stage = HandshakeStage::kConsumedResponse;
  return true;
}

std::optional<SessionKeys> derive_session(Handshake& hs) {
  const bool initiator = hs.stage == HandshakeStage::kConsumedResponse;
  if (!initiator && hs.stage != HandshakeStage::kCreatedResponse) return std::nullopt;
  SessionKeys keys;
  Key first, second;
  crypto::wireguard_kdf(hs.chaining_key.bytes(), {}, {first.bytes(), second.bytes()});
  keys.send = initiator ? first : second;
  keys.receive = initiator ? second : first;
  keys.local_index = hs.local_index;
  keys.remote_index = hs.remote_index;
  keys.we_initiated = initiator;
  hs.clear();
  return keys;
}

}  // namespace tandem::wireguard
