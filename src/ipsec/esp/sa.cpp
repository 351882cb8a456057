#include "ipsec/esp/sa.hpp"

#include <algorithm>

#include "crypto/constant_time.hpp"

namespace tandem::ipsec::esp {
namespace {

// The GCM nonce (RFC 4106 section 4): the SA's salt, then the packet's 8-byte IV.
std::array<std::byte, crypto::kGcmNonceSize> gcm_nonce(const std::array<std::byte, 4>& salt,
                                                       const std::byte* iv) {
  std::array<std::byte, crypto::kGcmNonceSize> n{};
  std::copy(salt.begin(), salt.end(), n.begin());
  std::copy(iv, iv + 8, n.begin() + 4);
  return n;
}

}  // namespace

const char* open_error_name(OpenError e) {
  switch (e) {
    case OpenError::kMalformed:
      return "malformed";
    case OpenError::kWrongSpi:
      return "wrong SPI";
    case OpenError::kReplay:
      return "replayed";
    case OpenError::kAuthentication:
      return "integrity check failed";
    case OpenError::kPadding:
      return "bad padding";
  }
  return "?";
}

std::uint32_t spi_of(ByteView packet) {
  return packet.size() < 4 ? 0 : load_be32(packet.data());
}

Result<Transform, std::string> Transform::create(const SaKeys& keys) {
  Transform t;
  t.cipher = keys.cipher;
  if (keys.cipher == Cipher::kAesGcm16) {
    if (keys.integrity != Integrity::kNone)
      return Err(std::string("AES-GCM needs no separate integrity transform"));
    if (keys.encryption.size() < 4 + 16)
      return Err(std::string("AES-GCM keying material is key plus 4-byte salt"));
    const std::size_t key_size = keys.encryption.size() - 4;
    t.gcm = crypto::AesGcm::create(ByteView(keys.encryption).first(key_size));
    if (!t.gcm) return Err(std::string("AES-GCM key must be 128, 192 or 256 bits"));
    std::copy(keys.encryption.end() - 4, keys.encryption.end(), t.salt.begin());
    t.iv_size = 8;
    t.block = 4;
    t.icv_size = crypto::kGcmTagSize;
    return t;
  }
  if (keys.cipher == Cipher::kTripleDesCbc) {
    t.cbc = crypto::CbcCipher::create_triple_des(keys.encryption);
    if (!t.cbc) return Err(std::string("3DES-CBC key must be 192 bits"));
  } else {
    t.cbc = crypto::CbcCipher::create(keys.encryption);
    if (!t.cbc) return Err(std::string("AES-CBC key must be 128, 192 or 256 bits"));
  }
  t.iv_size = t.cbc->block_size();
  t.block = t.cbc->block_size();
  switch (keys.integrity) {
    case Integrity::kNone:
      return Err(std::string("CBC without integrity is not allowed"));
    case Integrity::kHmacSha1_96:
      t.hmac = crypto::Hmac::create(crypto::HashAlgorithm::kSha1, keys.authentication);
      t.icv_size = 12;
      if (keys.authentication.size() != 20)
        return Err(std::string("HMAC-SHA1-96 needs a 160-bit key"));
      break;
    case Integrity::kHmacSha256_128:
      t.hmac = crypto::Hmac::create(crypto::HashAlgorithm::kSha256, keys.authentication);
      t.icv_size = 16;
      if (keys.authentication.size() != 32)
        return Err(std::string("HMAC-SHA-256-128 needs a 256-bit key"));
      break;
  }
  if (!t.hmac) return Err(std::string("cannot set up HMAC"));
  return t;
}

Result<OutboundSa, std::string> OutboundSa::create(std::uint32_t spi, const SaKeys& keys) {
  auto t = Transform::create(keys);
  if (!t) return Err(t.error());
  return OutboundSa(spi, std::move(*t));
}

std::size_t OutboundSa::overhead_for(std::size_t payload) const {
  const std::size_t padded = (payload + 2 + t_.block - 1) / t_.block * t_.block;
  return kHeaderSize + t_.iv_size + (padded - payload) + t_.icv_size;
}

Result<Ok, SealError> OutboundSa::seal(Packet& packet, std::uint8_t next_header, Rng& rng) {
  if (seq_ == 0xffffffffU) return Err(SealError::kSequenceExhausted);
  const std::size_t payload = packet.length;
  const std::size_t padded = (payload + 2 + t_.block - 1) / t_.block * t_.block;
  const std::size_t pad = padded - payload - 2;
  if (packet.headroom() < headroom() || packet.tailroom() < padded - payload + t_.icv_size)
    return Err(SealError::kNoRoom);
  const std::uint32_t seq = seq_ + 1;

  // Trailer: padding 1, 2, 3, ... (RFC 4303 2.4), pad length, next header.
  std::byte* body = packet.slot + packet.offset;
  for (std::size_t i = 0; i < pad; ++i) body[payload + i] = std::byte(i + 1);
  body[payload + pad] = std::byte(pad);
  body[payload + pad + 1] = std::byte(next_header);

  // Header and IV in front.
  std::byte* head = body - headroom();
  store_be32(head, spi_);
  store_be32(head + 4, seq);
  std::byte* iv = head + kHeaderSize;
  std::byte* icv = body + padded;
  if (t_.gcm) {
    // The IV only has to be unique under the key: the sequence number is.
    store_be32(iv, 0);
    store_be32(iv + 4, seq);
    const auto nonce = gcm_nonce(t_.salt, iv);
    const MutableByteView text(body, padded);
    if (!t_.gcm->seal(nonce, ByteView(head, kHeaderSize), text, text,
                      std::span<std::byte, crypto::kGcmTagSize>(icv, crypto::kGcmTagSize)))
      return Err(SealError::kCrypto);
  } else {
    rng.fill(std::span(iv, t_.iv_size));
    const MutableByteView text(body, padded);
    if (!t_.cbc->encrypt(ByteView(iv, t_.iv_size), text)) return Err(SealError::kCrypto);
    const ByteView authenticated(head, headroom() + padded);
    if (!t_.hmac->compute({authenticated}, MutableByteView(icv, t_.icv_size)))
      return Err(SealError::kCrypto);
  }
  seq_ = seq;
  packet.set_range(packet.offset - headroom(), headroom() + padded + t_.icv_size);
  return Ok{};
}

Result<InboundSa, std::string> InboundSa::create(std::uint32_t spi, const SaKeys& keys) {
  auto t = Transform::create(keys);
  if (!t) return Err(t.error());
  return InboundSa(spi, std::move(*t));
}

Result<std::uint8_t, OpenError> InboundSa::fail(OpenError e) {
  switch (e) {
    case OpenError::kReplay:
      ++stats_.replayed;
      break;
    case OpenError::kAuthentication:
      ++stats_.authentication_failed;
      break;
    default:
      ++stats_.malformed;
      break;
  }
  return Err(e);
}

Result<std::uint8_t, OpenError> InboundSa::open(Packet& packet) {
  const std::size_t head = kHeaderSize + t_.iv_size;
  if (packet.length < head + t_.block + t_.icv_size) return fail(OpenError::kMalformed);
  std::byte* p = packet.slot + packet.offset;
  if (load_be32(p) != spi_) return fail(OpenError::kWrongSpi);
  const std::uint32_t seq = load_be32(p + 4);
  if (!window_.check(seq)) return fail(OpenError::kReplay);
  const std::size_t text_size = packet.length - head - t_.icv_size;
  if (text_size % t_.block != 0) return fail(OpenError::kMalformed);
  std::byte* iv = p + kHeaderSize;
  std::byte* body = p + head;
  const std::byte* icv = body + text_size;
  const MutableByteView text(body, text_size);
  if (t_.gcm) {
    const auto nonce = gcm_nonce(t_.salt, iv);
    if (!t_.gcm->open(nonce, ByteView(p, kHeaderSize), text, text,
                      std::span<const std::byte, crypto::kGcmTagSize>(icv, crypto::kGcmTagSize)))
      return fail(OpenError::kAuthentication);
  } else {
    std::array<std::byte, 16> expected{};
    const MutableByteView mac(expected.data(), t_.icv_size);
    if (!t_.hmac->compute({ByteView(p, head + text_size)}, mac) ||
        !crypto::constant_time_equal(mac, ByteView(icv, t_.icv_size)))
      return fail(OpenError::kAuthentication);
    if (!t_.cbc->decrypt(ByteView(iv, t_.iv_size), text)) return fail(OpenError::kMalformed);
  }
  // Authentic from here: the window may move even if the trailer turns out to be nonsense.
  window_.accept(seq);
  const std::size_t pad = std::to_integer<std::size_t>(body[text_size - 2]);
  const std::uint8_t next_header = std::to_integer<std::uint8_t>(body[text_size - 1]);
  if (pad + 2 > text_size) return fail(OpenError::kPadding);
  for (std::size_t i = 0; i < pad; ++i)
    if (body[text_size - 2 - pad + i] != std::byte(i + 1)) return fail(OpenError::kPadding);
  const std::size_t payload = text_size - 2 - pad;
  packet.set_range(packet.offset + head, payload);
  ++stats_.packets;
  stats_.bytes += payload;
  return next_header;
}

}  // namespace tandem::ipsec::esp
