#include "crypto/dh.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/openssl_bytes.hpp"

namespace tandem::crypto {
namespace {

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct CtxDeleter {
  void operator()(EVP_PKEY_CTX* c) const { EVP_PKEY_CTX_free(c); }
};
struct BnDeleter {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct BldDeleter {
  void operator()(OSSL_PARAM_BLD* b) const { OSSL_PARAM_BLD_free(b); }
};
struct ParamDeleter {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using Ctx = std::unique_ptr<EVP_PKEY_CTX, CtxDeleter>;
using Bn = std::unique_ptr<BIGNUM, BnDeleter>;

bool is_ecp(DhGroup g) {
  return g == DhGroup::kEcp256 || g == DhGroup::kEcp384;
}
const char* group_name(DhGroup g) {
  switch (g) {
    case DhGroup::kModp1024:
      return "";  // not a named group in OpenSSL: built from its prime (modp1024_params)
    case DhGroup::kModp2048:
      return "modp_2048";
    case DhGroup::kEcp256:
      return "P-256";
    case DhGroup::kEcp384:
      return "P-384";
  }
  return "";
}
std::size_t coordinate_size(DhGroup g) {
  return g == DhGroup::kEcp384 ? 48 : 32;
}

// The Second Oakley Group (RFC 2409 section 6.2): a 1024-bit safe prime, generator 2.
constexpr const char* kModp1024Prime =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22"
    "514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6"
    "F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381"
    "FFFFFFFFFFFFFFFF";

// Pushes the group: by name, or for group 2 its prime and generator.
bool push_group(OSSL_PARAM_BLD* bld, DhGroup g, Bn& p, Bn& gen) {
  if (g != DhGroup::kModp1024)
    return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group_name(g), 0) == 1;
  BIGNUM* raw = nullptr;
  if (BN_hex2bn(&raw, kModp1024Prime) == 0) return false;
  p.reset(raw);
  gen.reset(BN_new());
  return gen && BN_set_word(gen.get(), 2) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, p.get()) == 1 &&
         OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, gen.get()) == 1;
}

// A key (private and public, or public only) from parameters built by `add`.
template <typename Add>
Pkey from_data(DhGroup g, bool with_private, Add add) {
  std::unique_ptr<OSSL_PARAM_BLD, BldDeleter> bld(OSSL_PARAM_BLD_new());
  Bn p, gen;
  if (!bld || !push_group(bld.get(), g, p, gen) || !add(bld.get())) return nullptr;
  std::unique_ptr<OSSL_PARAM, ParamDeleter> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, is_ecp(g) ? "EC" : "DH", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, with_private ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1)
    return nullptr;
  return Pkey(raw);
}

// IKE's encoding of our public value.
std::optional<std::vector<std::byte>> encode_public(DhGroup g, EVP_PKEY* key) {
  if (is_ecp(g)) {
    std::vector<std::byte> point(1 + 2 * coordinate_size(g));
    std::size_t len = 0;
    if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, u8(point.data()),
                                        point.size(), &len) != 1 ||
        len != point.size() || point[0] != std::byte{0x04})
      return std::nullopt;
    return std::vector<std::byte>(point.begin() + 1, point.end());
  }
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_PUB_KEY, &raw) != 1) return std::nullopt;
  Bn pub(raw);
  std::vector<std::byte> out(dh_public_size(g));
  if (BN_bn2binpad(pub.get(), u8(out.data()), static_cast<int>(out.size())) < 0)
    return std::nullopt;
  return out;
}

}  // namespace

struct DhKeyPair::Impl {
  Pkey key;
};

bool dh_group_supported(std::uint16_t group) {
  return group == 2 || group == 14 || group == 19 || group == 20;
}

bool dh_group_weak(std::uint16_t group) {
  return group == 2;
}

std::size_t dh_public_size(DhGroup g) {
  if (g == DhGroup::kModp1024) return 128;
  return g == DhGroup::kModp2048 ? 256 : 2 * coordinate_size(g);
}

DhKeyPair::DhKeyPair(DhGroup group, std::unique_ptr<Impl> impl, std::vector<std::byte> pub)
    : group_(group), impl_(std::move(impl)), public_(std::move(pub)) {}
DhKeyPair::~DhKeyPair() = default;
DhKeyPair::DhKeyPair(DhKeyPair&&) noexcept = default;
DhKeyPair& DhKeyPair::operator=(DhKeyPair&&) noexcept = default;

std::optional<DhKeyPair> DhKeyPair::generate(DhGroup g) {
  if (g == DhGroup::kModp1024) {
    // Key generation from the group's parameters, which OpenSSL does not know by name.
    Pkey params = from_data(g, false, [](OSSL_PARAM_BLD*) { return true; });
    Ctx gen(params ? EVP_PKEY_CTX_new_from_pkey(nullptr, params.get(), nullptr) : nullptr);
    EVP_PKEY* raw = nullptr;
    if (!gen || EVP_PKEY_keygen_init(gen.get()) != 1 || EVP_PKEY_generate(gen.get(), &raw) != 1)
      return std::nullopt;
    auto impl = std::make_unique<Impl>();
    impl->key.reset(raw);
    auto pub = encode_public(g, raw);
    if (!pub) return std::nullopt;
    return DhKeyPair(g, std::move(impl), std::move(*pub));
  }
  Ctx ctx(EVP_PKEY_CTX_new_from_name(nullptr, is_ecp(g) ? "EC" : "DH", nullptr));
  char* name = const_cast<char*>(group_name(g));  // OpenSSL only reads it
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, name, 0),
      OSSL_PARAM_construct_end()};
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_params(ctx.get(), params) != 1 || EVP_PKEY_generate(ctx.get(), &raw) != 1)
    return std::nullopt;
  auto impl = std::make_unique<Impl>();
  impl->key.reset(raw);
  auto pub = encode_public(g, raw);
  if (!pub) return std::nullopt;
  return DhKeyPair(g, std::move(impl), std::move(*pub));
}

std::optional<DhKeyPair> DhKeyPair::from_private(DhGroup g, ByteView scalar) {
  if (!is_ecp(g)) return std::nullopt;
  Bn priv(BN_bin2bn(u8(scalar.data()), static_cast<int>(scalar.size()), nullptr));
  std::unique_ptr<EC_GROUP, decltype(&EC_GROUP_free)> group(
      EC_GROUP_new_by_curve_name(g == DhGroup::kEcp256 ? NID_X9_62_prime256v1 : NID_secp384r1),
      EC_GROUP_free);
  if (!priv || !group) return std::nullopt;
  std::unique_ptr<EC_POINT, decltype(&EC_POINT_free)> point(EC_POINT_new(group.get()),
                                                            EC_POINT_free);
  std::vector<std::byte> octets(1 + 2 * coordinate_size(g));
  if (!point ||
      EC_POINT_mul(group.get(), point.get(), priv.get(), nullptr, nullptr, nullptr) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, u8(octets.data()),
                         octets.size(), nullptr) != octets.size())
    return std::nullopt;
  Pkey key = from_data(g, true, [&](OSSL_PARAM_BLD* b) {
    return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, priv.get()) &&
           OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, octets.data(),
                                            octets.size());
  });
  if (!key) return std::nullopt;
  auto impl = std::make_unique<Impl>();
  impl->key = std::move(key);
  return DhKeyPair(g, std::move(impl), std::vector<std::byte>(octets.begin() + 1, octets.end()));
}

std::optional<std::vector<std::byte>> DhKeyPair::shared_secret(ByteView peer) const {
  if (peer.size() != dh_public_size(group_)) return std::nullopt;
  Pkey peer_key;
  if (is_ecp(group_)) {
    std::vector<std::byte> octets(1 + peer.size());
    octets[0] = std::byte{0x04};
    std::copy(peer.begin(), peer.end(), octets.begin() + 1);
    peer_key = from_data(group_, false, [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, octets.data(),
                                              octets.size()) == 1;
    });
  } else {
    Bn y(BN_bin2bn(u8(peer.data()), static_cast<int>(peer.size()), nullptr));
    if (!y) return std::nullopt;
    peer_key = from_data(group_, false, [&](OSSL_PARAM_BLD* b) {
      return OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PUB_KEY, y.get()) == 1;
    });
  }
  if (!peer_key) return std::nullopt;
  Ctx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, impl_->key.get(), nullptr));
  // validate_peer = 1: the point must be on the curve, y must be in range for MODP.
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer_ex(ctx.get(), peer_key.get(), 1) != 1)
    return std::nullopt;
  if (!is_ecp(group_)) {
    unsigned int pad = 1;  // g^ir padded to the prime's length (RFC 7296 2.14)
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_EXCHANGE_PARAM_PAD, &pad),
                                 OSSL_PARAM_construct_end()};
    if (EVP_PKEY_CTX_set_params(ctx.get(), params) != 1) return std::nullopt;
  }
  std::size_t len = 0;
  if (EVP_PKEY_derive(ctx.get(), nullptr, &len) != 1) return std::nullopt;
  std::vector<std::byte> secret(len);
  if (EVP_PKEY_derive(ctx.get(), u8(secret.data()), &len) != 1) return std::nullopt;
  secret.resize(len);
  return secret;
}

}  // namespace tandem::crypto
