#include "crypto/aes.hpp"

#include <openssl/evp.h>

#include "crypto/openssl_bytes.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {
namespace {

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const EVP_CIPHER* gcm_for(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_gcm();
    case 24:
      return EVP_aes_192_gcm();
    case 32:
      return EVP_aes_256_gcm();
    default:
      return nullptr;
  }
}

const EVP_CIPHER* cbc_for(std::size_t key_size) {
  switch (key_size) {
    case 16:
      return EVP_aes_128_cbc();
    case 24:
      return EVP_aes_192_cbc();
    case 32:
      return EVP_aes_256_cbc();
    default:
      return nullptr;
  }
}

// A context keyed once for both directions' use of `cipher` (the direction is set per call).
CtxPtr keyed(const EVP_CIPHER* cipher, ByteView key, bool encrypt) {
  CtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx ||
      EVP_CipherInit_ex(ctx.get(), cipher, nullptr, u8(key.data()), nullptr, encrypt ? 1 : 0) != 1)
    return nullptr;
  return ctx;
}

}  // namespace

struct AesGcm::Impl {
  CtxPtr seal;
  CtxPtr open;
};

AesGcm::AesGcm(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AesGcm::~AesGcm() = default;
AesGcm::AesGcm(AesGcm&&) noexcept = default;
AesGcm& AesGcm::operator=(AesGcm&&) noexcept = default;

std::optional<AesGcm> AesGcm::create(ByteView key) {
  const EVP_CIPHER* cipher = gcm_for(key.size());
  if (!cipher) return std::nullopt;
  auto impl = std::make_unique<Impl>();
  impl->seal = keyed(cipher, key, true);
  impl->open = keyed(cipher, key, false);
  if (!impl->seal || !impl->open) return std::nullopt;
  return AesGcm(std::move(impl));
}

bool AesGcm::seal(std::span<const std::byte, kGcmNonceSize> nonce, ByteView aad, ByteView plaintext,
                  MutableByteView out, std::span<std::byte, kGcmTagSize> tag) {
  EVP_CIPHER_CTX* c = impl_->seal.get();
  int len = 0;
  if (out.size() != plaintext.size()) return false;
  if (EVP_EncryptInit_ex(c, nullptr, nullptr, nullptr, u8(nonce.data())) != 1) return false;
  if (!aad.empty() &&
      EVP_EncryptUpdate(c, nullptr, &len, u8(aad.data()), static_cast<int>(aad.size())) != 1)
    return false;
  if (!plaintext.empty() && EVP_EncryptUpdate(c, u8(out.data()), &len, u8(plaintext.data()),
                                              static_cast<int>(plaintext.size())) != 1)
    return false;
  if (EVP_EncryptFinal_ex(c, u8(out.data()) + plaintext.size(), &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize), tag.data()) ==
         1;
}

bool AesGcm::open(std::span<const std::byte, kGcmNonceSize> nonce, ByteView aad,
                  ByteView ciphertext, MutableByteView out,
                  std::span<const std::byte, kGcmTagSize> tag) {
  EVP_CIPHER_CTX* c = impl_->open.get();
  int len = 0;
  if (out.size() != ciphertext.size()) return false;
  std::array<std::byte, kGcmTagSize> expected;
  std::copy(tag.begin(), tag.end(), expected.begin());
  bool ok = EVP_DecryptInit_ex(c, nullptr, nullptr, nullptr, u8(nonce.data())) == 1 &&
            (aad.empty() || EVP_DecryptUpdate(c, nullptr, &len, u8(aad.data()),
                                              static_cast<int>(aad.size())) == 1) &&
            (ciphertext.empty() || EVP_DecryptUpdate(c, u8(out.data()), &len, u8(ciphertext.data()),
                                                     static_cast<int>(ciphertext.size())) == 1) &&
            EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kGcmTagSize),
                                expected.data()) == 1 &&
            EVP_DecryptFinal_ex(c, u8(out.data()) + ciphertext.size(), &len) == 1;
  if (!ok) secure_wipe(out);
  return ok;
}

struct CbcCipher::Impl {
  CtxPtr encrypt;
  CtxPtr decrypt;
};

CbcCipher::CbcCipher(std::unique_ptr<Impl> impl, std::size_t block)
    : impl_(std::move(impl)), block_(block) {}
CbcCipher::~CbcCipher() = default;
CbcCipher::CbcCipher(CbcCipher&&) noexcept = default;
CbcCipher& CbcCipher::operator=(CbcCipher&&) noexcept = default;

std::optional<CbcCipher> CbcCipher::keyed_cbc(const void* cipher_ptr, ByteView key,
                                              std::size_t block) {
  const auto* cipher = static_cast<const EVP_CIPHER*>(cipher_ptr);
  if (!cipher) return std::nullopt;
  auto impl = std::make_unique<Impl>();
  impl->encrypt = keyed(cipher, key, true);
  impl->decrypt = keyed(cipher, key, false);
  if (!impl->encrypt || !impl->decrypt) return std::nullopt;
  // ESP brings its own padding (RFC 4303 2.4); OpenSSL must not add or strip any.
  EVP_CIPHER_CTX_set_padding(impl->encrypt.get(), 0);
  EVP_CIPHER_CTX_set_padding(impl->decrypt.get(), 0);
  return CbcCipher(std::move(impl), block);
}

std::optional<CbcCipher> CbcCipher::create(ByteView key) {
  return keyed_cbc(cbc_for(key.size()), key, kAesBlockSize);
}

std::optional<CbcCipher> CbcCipher::create_triple_des(ByteView key) {
  if (key.size() != kTripleDesKeySize) return std::nullopt;
  return keyed_cbc(EVP_des_ede3_cbc(), key, kTripleDesBlockSize);
}

namespace {
bool cbc_run(EVP_CIPHER_CTX* c, bool encrypt, ByteView iv, std::size_t block,
             MutableByteView data) {
  if (iv.size() != block || data.size() % block != 0) return false;
  int len = 0;
  if (EVP_CipherInit_ex(c, nullptr, nullptr, nullptr, u8(iv.data()), encrypt ? 1 : 0) != 1)
    return false;
  if (!data.empty() && EVP_CipherUpdate(c, u8(data.data()), &len, u8(data.data()),
                                        static_cast<int>(data.size())) != 1)
    return false;
  return EVP_CipherFinal_ex(c, u8(data.data()) + len, &len) == 1;
}
}  // namespace

bool CbcCipher::encrypt(ByteView iv, MutableByteView data) {
  return cbc_run(impl_->encrypt.get(), true, iv, block_, data);
}

bool CbcCipher::decrypt(ByteView iv, MutableByteView data) {
  return cbc_run(impl_->decrypt.get(), false, iv, block_, data);
}

}  // namespace tandem::crypto
