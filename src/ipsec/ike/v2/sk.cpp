#include "ipsec/ike/v2/sk.hpp"

#include "crypto/constant_time.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

Err<DecodeError> bad(std::string what) {
  return Err(DecodeError{std::move(what), std::nullopt});
}

}  // namespace

Result<SkProtector, std::string> SkProtector::create(SkCipher cipher, ByteView encryption,
                                                     SkIntegrity integrity,
                                                     ByteView integrity_key) {
  SkProtector p;
  p.cipher_ = cipher;
  if (cipher == SkCipher::kAesGcm16) {
    if (integrity != SkIntegrity::kNone) return Err(std::string("GCM needs no integrity key"));
    if (encryption.size() < 20) return Err(std::string("GCM keying material is key plus salt"));
    p.gcm_ = crypto::AesGcm::create(encryption.first(encryption.size() - 4));
    if (!p.gcm_) return Err(std::string("bad AES-GCM key size"));
    std::copy(encryption.end() - 4, encryption.end(), p.salt_.begin());
    p.iv_size_ = 8;
    p.icv_size_ = crypto::kGcmTagSize;
    return p;
  }
  p.cbc_ = crypto::CbcCipher::create(encryption);
  if (!p.cbc_) return Err(std::string("bad AES-CBC key size"));
  p.iv_size_ = crypto::kAesBlockSize;
  if (integrity == SkIntegrity::kNone) return Err(std::string("AES-CBC needs an integrity key"));
  const bool sha1 = integrity == SkIntegrity::kHmacSha1_96;
  p.hmac_ = crypto::Hmac::create(
      sha1 ? crypto::HashAlgorithm::kSha1 : crypto::HashAlgorithm::kSha256, integrity_key);
  if (!p.hmac_ || integrity_key.size() != (sha1 ? 20u : 32u))
    return Err(std::string("bad integrity key size"));
  p.icv_size_ = sha1 ? 12 : 16;
  return p;
}

std::vector<std::byte> SkProtector::seal(const Header& header, const std::vector<Payload>& clear,
                                         const std::vector<Payload>& inner, Rng& rng) {
  PayloadType first = PayloadType::kNone;
  std::vector<std::byte> text = encode_payloads(inner, first);
  // Padding and its length (3.14); CBC needs whole blocks, GCM none (RFC 5282 section 3).
  const std::size_t block = cbc_ ? crypto::kAesBlockSize : 1;
  const std::size_t pad = (block - (text.size() + 1) % block) % block;
  text.resize(text.size() + pad, std::byte{0});
  text.push_back(std::byte(pad));

  Message m;
  m.header = header;
  m.payloads = clear;
  m.payloads.push_back(
      EncryptedPayload{first, std::vector<std::byte>(iv_size_ + text.size() + icv_size_)});
  std::vector<std::byte> wire = encode_message(m);
  const std::size_t icv_at = wire.size() - icv_size_;
  const std::size_t text_at = icv_at - text.size();
  const std::size_t iv_at = text_at - iv_size_;
  std::byte* iv = wire.data() + iv_at;
  const MutableByteView out(wire.data() + text_at, text.size());
  if (gcm_) {
    ++counter_;
    store_be64(iv, counter_);
    std::array<std::byte, crypto::kGcmNonceSize> nonce{};
    std::copy(salt_.begin(), salt_.end(), nonce.begin());
    std::copy(iv, iv + 8, nonce.begin() + 4);
    // Associated data: everything before the IV (the header, clear payloads, SK's header).
    (void)gcm_->seal(nonce, ByteView(wire.data(), iv_at), text, out,
                     std::span<std::byte, crypto::kGcmTagSize>(wire.data() + icv_at, 16));
  } else {
    rng.fill(std::span(iv, iv_size_));
    std::copy(text.begin(), text.end(), out.begin());
    (void)cbc_->encrypt(std::span<const std::byte, 16>(iv, 16), out);
    (void)hmac_->compute({ByteView(wire.data(), icv_at)},
                         MutableByteView(wire.data() + icv_at, icv_size_));
  }
  return wire;
}

Result<std::vector<Payload>, DecodeError> SkProtector::open(ByteView message) {
  auto m = decode_message(message);
  if (!m) return Err(m.error());
  const auto* sk =
      m->payloads.empty() ? nullptr : std::get_if<EncryptedPayload>(&m->payloads.back());
  if (sk == nullptr) return bad("no Encrypted payload");
  // SK is last, so its body ends the message.
  const std::size_t body_at = message.size() - sk->data.size();
  if (sk->data.size() < iv_size_ + 1 + icv_size_) return bad("Encrypted payload too short");
  const std::size_t text_at = body_at + iv_size_;
  const std::size_t icv_at = message.size() - icv_size_;
  const std::byte* iv = message.data() + body_at;
  std::vector<std::byte> text(message.begin() + static_cast<std::ptrdiff_t>(text_at),
                              message.begin() + static_cast<std::ptrdiff_t>(icv_at));
  if (gcm_) {
    std::array<std::byte, crypto::kGcmNonceSize> nonce{};
    std::copy(salt_.begin(), salt_.end(), nonce.begin());
    std::copy(iv, iv + 8, nonce.begin() + 4);
    if (!gcm_->open(nonce, message.first(body_at), text, text,
                    std::span<const std::byte, crypto::kGcmTagSize>(message.data() + icv_at, 16)))
      return bad("integrity check failed");
  } else {
    std::array<std::byte, 16> mac{};
    const MutableByteView expected(mac.data(), icv_size_);
    if (!hmac_->compute({message.first(icv_at)}, expected) ||
        !crypto::constant_time_equal(expected, message.subspan(icv_at)))
      return bad("integrity check failed");
    if (text.empty() || text.size() % crypto::kAesBlockSize != 0 ||
        !cbc_->decrypt(std::span<const std::byte, 16>(iv, 16), text))
      return bad("ciphertext is not whole blocks");
  }
  const std::size_t pad = std::to_integer<std::size_t>(text.back());
  if (pad + 1 > text.size()) return bad("padding longer than the plaintext");
  text.resize(text.size() - pad - 1);
  return decode_payloads(sk->first_inner, text);
}

}  // namespace tandem::ipsec::ike::v2
