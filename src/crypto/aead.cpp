// ChaCha20-Poly1305 (RFC 8439 section 2.8) over OpenSSL EVP with reusable contexts, and
// XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03) over libsodium.
#include "crypto/aead.hpp"

#include <openssl/evp.h>
#include <sodium.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>

#include "crypto/openssl_bytes.hpp"
#include "crypto/secret.hpp"

namespace tandem::crypto {
namespace {

// One seal or open on a context whose cipher (and maybe key) is already set. `key` may be null
// when the context already holds it.
bool run(EVP_CIPHER_CTX* ctx, bool encrypt, const std::byte* key, const std::byte* nonce,
         ByteView aad, ByteView in, std::byte* out, std::byte* tag) {
  int len = 0;
  if (EVP_CipherInit_ex(ctx, nullptr, nullptr, u8(key), u8(nonce), encrypt ? 1 : 0) != 1)
    return false;
  if (!aad.empty() &&
      EVP_CipherUpdate(ctx, nullptr, &len, u8(aad.data()), static_cast<int>(aad.size())) != 1)
    return false;
  if (!encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kAeadTagSize), tag) != 1)
    return false;
  if (!in.empty() &&
      EVP_CipherUpdate(ctx, u8(out), &len, u8(in.data()), static_cast<int>(in.size())) != 1)
    return false;
  if (EVP_CipherFinal_ex(ctx, u8(out) + in.size(), &len) != 1) return false;
  if (encrypt &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kAeadTagSize), tag) != 1)
    return false;
  return true;
}

EVP_CIPHER_CTX* new_chacha_ctx() {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (!ctx || EVP_CipherInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, nullptr, nullptr, 1) != 1)
    std::abort();
  return ctx;
}

// One context per thread for the one-shot forms: the data path calls them from every worker.
struct ThreadContext {
  EVP_CIPHER_CTX* ctx = new_chacha_ctx();
  ~ThreadContext() { EVP_CIPHER_CTX_free(ctx); }
};
EVP_CIPHER_CTX* thread_ctx() {
  thread_local ThreadContext t;
  return t.ctx;
}

bool seal_with(EVP_CIPHER_CTX* ctx, const std::byte* key, const std::byte* nonce, ByteView aad,
               ByteView plaintext, MutableByteView out) {
  if (out.size() != plaintext.size() + kAeadTagSize) return false;
  return run(ctx, true, key, nonce, aad, plaintext, out.data(), out.data() + plaintext.size());
}

bool open_with(EVP_CIPHER_CTX* ctx, const std::byte* key, const std::byte* nonce, ByteView aad,
               ByteView ciphertext, MutableByteView out) {
  if (ciphertext.size() < kAeadTagSize || out.size() != ciphertext.size() - kAeadTagSize)
    return false;
  std::array<std::byte, kAeadTagSize> tag;
  std::copy_n(ciphertext.end() - kAeadTagSize, kAeadTagSize, tag.begin());
  if (!run(ctx, false, key, nonce, aad, ciphertext.first(out.size()), out.data(), tag.data())) {
    secure_wipe(out);
    return false;
  }
  return true;
}

void ensure_sodium() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) std::abort();
  });
}

}  // namespace

struct ChaCha20Poly1305::Impl {
  EVP_CIPHER_CTX* ctx = nullptr;
  ~Impl() { EVP_CIPHER_CTX_free(ctx); }
};

ChaCha20Poly1305::ChaCha20Poly1305(AeadKeyView key) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = new_chacha_ctx();
  if (EVP_CipherInit_ex(impl_->ctx, nullptr, nullptr, u8(key.data()), nullptr, -1) != 1)
    std::abort();
}
ChaCha20Poly1305::~ChaCha20Poly1305() = default;
ChaCha20Poly1305::ChaCha20Poly1305(ChaCha20Poly1305&&) noexcept = default;
ChaCha20Poly1305& ChaCha20Poly1305::operator=(ChaCha20Poly1305&&) noexcept = default;

bool ChaCha20Poly1305::seal(std::span<const std::byte, kChaChaNonceSize> nonce, ByteView aad,
                            ByteView plaintext, MutableByteView out) {
  return seal_with(impl_->ctx, nullptr, nonce.data(), aad, plaintext, out);
}

bool ChaCha20Poly1305::open(std::span<const std::byte, kChaChaNonceSize> nonce, ByteView aad,
                            ByteView ciphertext, MutableByteView out) {
  return open_with(impl_->ctx, nullptr, nonce.data(), aad, ciphertext, out);
}

std::array<std::byte, kChaChaNonceSize> wireguard_nonce(std::uint64_t counter) {
  std::array<std::byte, kChaChaNonceSize> nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = std::byte((counter >> (8 * i)) & 0xff);
  return nonce;
}

bool chacha20poly1305_seal(AeadKeyView key, std::span<const std::byte, kChaChaNonceSize> nonce,
                           ByteView aad, ByteView plaintext, MutableByteView out) {
  return seal_with(thread_ctx(), key.data(), nonce.data(), aad, plaintext, out);
}

bool chacha20poly1305_open(AeadKeyView key, std::span<const std::byte, kChaChaNonceSize> nonce,
                           ByteView aad, ByteView ciphertext, MutableByteView out) {
  return open_with(thread_ctx(), key.data(), nonce.data(), aad, ciphertext, out);
}

bool xchacha20poly1305_seal(AeadKeyView key, std::span<const std::byte, kXChaChaNonceSize> nonce,
                            ByteView aad, ByteView plaintext, MutableByteView out) {
  ensure_sodium();
  if (out.size() != plaintext.size() + kAeadTagSize) return false;
  unsigned long long written = 0;
  return crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out.data()), &written, u8(plaintext.data()),
                                                    plaintext.size(), u8(aad.data()), aad.size(),
                                                    nullptr, u8(nonce.data()), u8(key.data())) == 0;
}

bool xchacha20poly1305_open(AeadKeyView key, std::span<const std::byte, kXChaChaNonceSize> nonce,
                            ByteView aad, ByteView ciphertext, MutableByteView out) {
  ensure_sodium();
  if (ciphertext.size() < kAeadTagSize || out.size() != ciphertext.size() - kAeadTagSize)
    return false;
  unsigned long long written = 0;
  return crypto_aead_xchacha20poly1305_ietf_decrypt(
             u8(out.data()), &written, nullptr, u8(ciphertext.data()), ciphertext.size(),
             u8(aad.data()), aad.size(), u8(nonce.data()), u8(key.data())) == 0;
}

}  // namespace tandem::crypto
