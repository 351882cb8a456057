// BLAKE2s-256, keyed BLAKE2s, HMAC-BLAKE2s and the WireGuard KDF over OpenSSL 3 (RFC 7693,
// RFC 2104, WireGuard whitepaper section 5.4).
#include "crypto/blake2s.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdlib>
#include <memory>

namespace tandem::crypto {
namespace {

// Algorithm objects are fetched once; fetching per call is slow in OpenSSL 3.
EVP_MD* blake2s_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
    if (!m) std::abort();
    return m;
  }();
  return md;
}
EVP_MAC* fetch_mac(const char* name) {
  EVP_MAC* m = EVP_MAC_fetch(nullptr, name, nullptr);
  if (!m) std::abort();
  return m;
}
EVP_MAC* blake2s_mac() {
  static EVP_MAC* mac = fetch_mac("BLAKE2SMAC");
  return mac;
}
EVP_MAC* hmac() {
  static EVP_MAC* mac = fetch_mac("HMAC");
  return mac;
}

struct ThreadMdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~ThreadMdCtx() { EVP_MD_CTX_free(ctx); }
};
EVP_MD_CTX* thread_md_ctx() {
  thread_local ThreadMdCtx t;
  if (!t.ctx) std::abort();
  return t.ctx;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

void run_mac(EVP_MAC* mac, const OSSL_PARAM* params, ByteView key,
             std::initializer_list<ByteView> parts, MutableByteView out) {
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  // A null key pointer means "keep the old key" to OpenSSL, so an empty key needs a real one.
  static const unsigned char kNoKey = 0;
  const unsigned char* key_ptr =
      key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (!ctx || EVP_MAC_init(ctx.get(), key_ptr, key.size(), params) != 1) std::abort();
  for (ByteView part : parts)
    if (!part.empty() &&
        EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1)
      std::abort();
  std::size_t len = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len, out.size()) !=
          1 ||
      len != out.size())
    std::abort();
}

}  // namespace

void blake2s256(std::initializer_list<ByteView> parts, std::span<std::byte, kBlake2sSize> out) {
  // The unkeyed hash holds nothing secret between calls, so each thread keeps one context (a third
  // faster than allocating one per call). The keyed forms below allocate per call instead, so
  // that freeing the context wipes the key state.
  EVP_MD_CTX* ctx = thread_md_ctx();
  if (EVP_DigestInit_ex(ctx, blake2s_md(), nullptr) != 1) std::abort();
  for (ByteView part : parts)
    if (!part.empty() && EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) std::abort();
  unsigned len = 0;
  if (EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
      len != kBlake2sSize)
    std::abort();
}

void blake2s_keyed(ByteView key, std::initializer_list<ByteView> parts, MutableByteView out) {
  std::size_t size = out.size();
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                               OSSL_PARAM_construct_end()};
  run_mac(blake2s_mac(), params, key, parts, out);
}

void hmac_blake2s(ByteView key, std::initializer_list<ByteView> parts,
                  std::span<std::byte, kBlake2sSize> out) {
  char digest[] = "BLAKE2S-256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  run_mac(hmac(), params, key, parts, out);
}

void wireguard_kdf(std::span<const std::byte, kBlake2sSize> ck, ByteView input,
                   std::initializer_list<std::span<std::byte, kBlake2sSize>> outputs) {
  // T0 = HMAC(ck, input); Ti = HMAC(T0, T(i-1) || i).
  Secret<kBlake2sSize> t0;
  hmac_blake2s(ck, {input}, t0.bytes());
  Secret<kBlake2sSize> previous;
  std::byte counter{1};
  bool first = true;
  for (auto out : outputs) {
    Secret<kBlake2sSize> t;
    if (first)
      hmac_blake2s(t0.bytes(), {ByteView(&counter, 1)}, t.bytes());
    else
      hmac_blake2s(t0.bytes(), {previous.bytes(), ByteView(&counter, 1)}, t.bytes());
    std::copy(t.bytes().begin(), t.bytes().end(), out.begin());
    previous = t;
    counter = std::byte(std::to_integer<unsigned>(counter) + 1);
    first = false;
  }
}

}  // namespace tandem::crypto
