#include "ipsec/ike/v2/keys.hpp"

#include <cstdlib>
#include <string_view>

#include "crypto/hmac.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

crypto::HashAlgorithm hash_of(Prf p) {
  switch (p) {
    case Prf::kHmacSha1:
      return crypto::HashAlgorithm::kSha1;
    case Prf::kHmacSha256:
      return crypto::HashAlgorithm::kSha256;
    case Prf::kHmacSha384:
      return crypto::HashAlgorithm::kSha384;
    case Prf::kHmacSha512:
      return crypto::HashAlgorithm::kSha512;
  }
  return crypto::HashAlgorithm::kSha256;
}

std::vector<std::byte> cat(std::initializer_list<ByteView> parts) {
  std::vector<std::byte> out;
  for (const ByteView p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::vector<std::byte> spi_bytes(std::uint64_t spi_i, std::uint64_t spi_r) {
  std::vector<std::byte> out(16);
  store_be64(out.data(), spi_i);
  store_be64(out.data() + 8, spi_r);
  return out;
}

// Cuts `keymat` into consecutive pieces of the given sizes.
class Splitter {
 public:
  explicit Splitter(std::vector<std::byte> keymat) : keymat_(std::move(keymat)) {}
  std::vector<std::byte> take(std::size_t n) {
    std::vector<std::byte> out(keymat_.begin() + static_cast<std::ptrdiff_t>(at_),
                               keymat_.begin() + static_cast<std::ptrdiff_t>(at_ + n));
    at_ += n;
    return out;
  }

 private:
  std::vector<std::byte> keymat_;
  std::size_t at_ = 0;
};

IkeSaKeys split_ike_sa_keys(Prf p, ByteView skeyseed, ByteView ni, ByteView nr, std::uint64_t spi_i,
                            std::uint64_t spi_r, KeySizes s) {
  const std::size_t n = prf_size(p);
  const auto seed = cat({ni, nr, spi_bytes(spi_i, spi_r)});
  Splitter keymat(prf_plus(p, skeyseed, seed, 3 * n + 2 * s.integrity + 2 * s.encryption));
  IkeSaKeys k;
  k.sk_d = keymat.take(n);
  k.sk_ai = keymat.take(s.integrity);
  k.sk_ar = keymat.take(s.integrity);
  k.sk_ei = keymat.take(s.encryption);
  k.sk_er = keymat.take(s.encryption);
  k.sk_pi = keymat.take(n);
  k.sk_pr = keymat.take(n);
  return k;
}

}  // namespace

std::optional<Prf> prf_from_id(std::uint16_t id) {
  switch (id) {
    case 2:
    case 5:
    case 6:
    case 7:
      return static_cast<Prf>(id);
    default:
      return std::nullopt;
  }
}

std::size_t prf_size(Prf p) {
  return crypto::digest_size(hash_of(p));
}

std::vector<std::byte> prf(Prf p, ByteView key, std::initializer_list<ByteView> data) {
  auto mac = crypto::Hmac::create(hash_of(p), key);
  if (!mac) std::abort();  // OpenSSL without HMAC: nothing below can work
  std::vector<std::byte> out(mac->size());
  const auto joined = cat(data);
  if (!mac->compute({joined}, out)) std::abort();
  return out;
}

std::vector<std::byte> prf_plus(Prf p, ByteView key, ByteView seed, std::size_t length) {
  std::vector<std::byte> out;
  std::vector<std::byte> t;
  for (unsigned n = 1; out.size() < length && n <= 255; ++n) {
    const std::byte counter{static_cast<std::uint8_t>(n)};
    t = prf(p, key, {t, seed, ByteView(&counter, 1)});
    out.insert(out.end(), t.begin(), t.end());
  }
  out.resize(std::min(out.size(), length));
  return out;
}

IkeSaKeys derive_ike_sa_keys(Prf p, ByteView ni, ByteView nr, ByteView g_ir, std::uint64_t spi_i,
                             std::uint64_t spi_r, KeySizes sizes) {
  const auto nonces = cat({ni, nr});
  const auto skeyseed = prf(p, nonces, {g_ir});
  return split_ike_sa_keys(p, skeyseed, ni, nr, spi_i, spi_r, sizes);
}

IkeSaKeys derive_rekeyed_ike_sa_keys(Prf p, ByteView old_sk_d, ByteView g_ir, ByteView ni,
                                     ByteView nr, std::uint64_t spi_i, std::uint64_t spi_r,
                                     KeySizes sizes) {
  const auto skeyseed = prf(p, old_sk_d, {g_ir, ni, nr});
  return split_ike_sa_keys(p, skeyseed, ni, nr, spi_i, spi_r, sizes);
}

ChildSaKeys derive_child_sa_keys(Prf p, ByteView sk_d, std::optional<ByteView> g_ir, ByteView ni,
                                 ByteView nr, KeySizes s) {
  const auto seed = g_ir ? cat({*g_ir, ni, nr}) : cat({ni, nr});
  Splitter keymat(prf_plus(p, sk_d, seed, 2 * (s.encryption + s.integrity)));
  ChildSaKeys k;
  k.encryption_i2r = keymat.take(s.encryption);
  k.integrity_i2r = keymat.take(s.integrity);
  k.encryption_r2i = keymat.take(s.encryption);
  k.integrity_r2i = keymat.take(s.integrity);
  return k;
}

std::vector<std::byte> psk_auth(Prf p, ByteView psk, ByteView message, ByteView peer_nonce,
                                ByteView sk_p, ByteView id_body) {
  constexpr std::string_view kKeyPad = "Key Pad for IKEv2";
  const auto key = prf(p, psk, {as_bytes(kKeyPad)});
  const auto maced_id = prf(p, sk_p, {id_body});
  return prf(p, key, {message, peer_nonce, maced_id});
}

}  // namespace tandem::ipsec::ike::v2
