// X25519 (RFC 7748 sections 5 and 6.1) over OpenSSL raw EVP_PKEY keys.
#include "crypto/x25519.hpp"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

#include "crypto/constant_time.hpp"

namespace tandem::crypto {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

Pkey private_pkey(const PrivateKey& key) {
  return Pkey(EVP_PKEY_new_raw_private_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const unsigned char*>(key.data()), key.size()));
}

}  // namespace

void x25519_clamp(PrivateKey& key) {
  auto b = key.bytes();
  b[0] &= std::byte{248};
  b[31] &= std::byte{127};
  b[31] |= std::byte{64};
}

PrivateKey x25519_generate_private(Rng& rng) {
  PrivateKey key;
  rng.fill(key.bytes());
  x25519_clamp(key);
  return key;
}

PublicKey x25519_public_key(const PrivateKey& private_key) {
  PublicKey out{};
  Pkey pkey = private_pkey(private_key);
  std::size_t len = out.size();
  if (!pkey ||
      EVP_PKEY_get_raw_public_key(pkey.get(), reinterpret_cast<unsigned char*>(out.data()), &len) !=
          1 ||
      len != out.size())
    std::abort();  // only on allocation failure: a 32-byte X25519 key is always valid
  return out;
}

std::optional<Secret<32>> x25519(const PrivateKey& private_key, const PublicKey& peer_public) {
  Pkey mine = private_pkey(private_key);
  Pkey theirs(EVP_PKEY_new_raw_public_key(
      EVP_PKEY_X25519, nullptr, reinterpret_cast<const unsigned char*>(peer_public.data()),
      peer_public.size()));
  if (!mine || !theirs) return std::nullopt;
  PkeyCtx ctx(EVP_PKEY_CTX_new(mine.get(), nullptr));
  Secret<32> shared;
  std::size_t len = shared.size();
  // OpenSSL itself refuses an all-zero result (a small-order peer point) in derive.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), theirs.get()) != 1 ||
      EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char*>(shared.data()), &len) != 1 ||
      len != shared.size())
    return std::nullopt;
  if (constant_time_is_zero(shared.bytes())) return std::nullopt;
  return shared;
}

}  // namespace tandem::crypto
