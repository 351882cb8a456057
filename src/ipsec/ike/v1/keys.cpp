#include "ipsec/ike/v1/keys.hpp"

#include <cstdlib>

namespace tandem::ipsec::ike::v1 {
namespace {

std::array<std::byte, 8> be64(std::uint64_t v) {
  std::array<std::byte, 8> out{};
  for (std::size_t i = 0; i < 8; ++i) out[i] = std::byte(v >> (56 - 8 * i));
  return out;
}
std::array<std::byte, 4> be32(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

}  // namespace

std::optional<Hash> hash_from_id(std::uint32_t id) {
  switch (id) {
    case 2:
    case 4:
    case 5:
    case 6:
      return static_cast<Hash>(id);
    default:
      return std::nullopt;
  }
}

crypto::HashAlgorithm hash_algorithm(Hash h) {
  switch (h) {
    case Hash::kSha1:
      return crypto::HashAlgorithm::kSha1;
    case Hash::kSha256:
      return crypto::HashAlgorithm::kSha256;
    case Hash::kSha384:
      return crypto::HashAlgorithm::kSha384;
    case Hash::kSha512:
      return crypto::HashAlgorithm::kSha512;
  }
  return crypto::HashAlgorithm::kSha256;
}

std::size_t hash_size(Hash h) {
  return crypto::digest_size(hash_algorithm(h));
}

const char* hash_name(Hash h) {
  switch (h) {
    case Hash::kSha1:
      return "SHA1";
    case Hash::kSha256:
      return "SHA2_256";
    case Hash::kSha384:
      return "SHA2_384";
    case Hash::kSha512:
      return "SHA2_512";
  }
  return "?";
}

std::vector<std::byte> prf(Hash h, ByteView key, std::initializer_list<ByteView> data) {
  auto mac = crypto::Hmac::create(hash_algorithm(h), key);
  std::vector<std::byte> out(hash_size(h));
  if (!mac || !mac->compute(data, out)) std::abort();  // only a broken OpenSSL fails here
  return out;
}

Phase1Keys derive_phase1_keys(Hash h, ByteView psk, ByteView ni_b, ByteView nr_b, ByteView g_xy,
                              std::uint64_t cky_i, std::uint64_t cky_r, std::size_t key_size) {
  const auto ci = be64(cky_i);
  const auto cr = be64(cky_r);
  const std::byte zero{0}, one{1}, two{2};
  Phase1Keys k;
  k.skeyid = prf(h, psk, {ni_b, nr_b});
  k.skeyid_d = prf(h, k.skeyid, {g_xy, ci, cr, ByteView(&zero, 1)});
  k.skeyid_a = prf(h, k.skeyid, {k.skeyid_d, g_xy, ci, cr, ByteView(&one, 1)});
  k.skeyid_e = prf(h, k.skeyid, {k.skeyid_a, g_xy, ci, cr, ByteView(&two, 1)});
  k.encryption = encryption_key(h, k.skeyid_e, key_size);
  return k;
}

std::vector<std::byte> encryption_key(Hash h, ByteView skeyid_e, std::size_t size) {
  if (skeyid_e.size() >= size) return {skeyid_e.begin(), skeyid_e.begin() + size};
  std::vector<std::byte> out;
  const std::byte zero{0};
  std::vector<std::byte> block = prf(h, skeyid_e, {ByteView(&zero, 1)});
  while (true) {
    out.insert(out.end(), block.begin(), block.end());
    if (out.size() >= size) break;
    block = prf(h, skeyid_e, {block});
  }
  out.resize(size);
  return out;
}

std::vector<std::byte> phase1_iv(Hash h, ByteView g_xi, ByteView g_xr, std::size_t block) {
  auto iv = crypto::digest(hash_algorithm(h), {g_xi, g_xr});
  iv.resize(block);
  return iv;
}

std::vector<std::byte> phase2_iv(Hash h, ByteView last_phase1_block, std::uint32_t message_id,
                                 std::size_t block) {
  const auto mid = be32(message_id);
  auto iv = crypto::digest(hash_algorithm(h), {last_phase1_block, mid});
  iv.resize(block);
  return iv;
}

std::vector<std::byte> hash_i(Hash h, ByteView skeyid, ByteView g_xi, ByteView g_xr,
                              std::uint64_t cky_i, std::uint64_t cky_r, ByteView sai_b,
                              ByteView idii_b) {
  return prf(h, skeyid, {g_xi, g_xr, be64(cky_i), be64(cky_r), sai_b, idii_b});
}

std::vector<std::byte> hash_r(Hash h, ByteView skeyid, ByteView g_xi, ByteView g_xr,
                              std::uint64_t cky_i, std::uint64_t cky_r, ByteView sai_b,
                              ByteView idir_b) {
  return prf(h, skeyid, {g_xr, g_xi, be64(cky_r), be64(cky_i), sai_b, idir_b});
}

std::vector<std::byte> quick_hash_1(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView rest) {
  return prf(h, skeyid_a, {be32(message_id), rest});
}

std::vector<std::byte> quick_hash_2(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView ni_b, ByteView rest) {
  return prf(h, skeyid_a, {be32(message_id), ni_b, rest});
}

std::vector<std::byte> quick_hash_3(Hash h, ByteView skeyid_a, std::uint32_t message_id,
                                    ByteView ni_b, ByteView nr_b) {
  const std::byte zero{0};
  return prf(h, skeyid_a, {ByteView(&zero, 1), be32(message_id), ni_b, nr_b});
}

std::vector<std::byte> keymat(Hash h, ByteView skeyid_d, std::optional<ByteView> g_xy,
                              std::uint8_t protocol, std::uint32_t spi, ByteView ni_b,
                              ByteView nr_b, std::size_t size) {
  const std::byte proto{protocol};
  const auto spi_b = be32(spi);
  const ByteView pfs = g_xy.value_or(ByteView{});
  std::vector<std::byte> out;
  std::vector<std::byte> block;
  while (out.size() < size) {
    block = prf(h, skeyid_d, {block, pfs, ByteView(&proto, 1), spi_b, ni_b, nr_b});
    out.insert(out.end(), block.begin(), block.end());
  }
  out.resize(size);
  return out;
}

}  // namespace tandem::ipsec::ike::v1
