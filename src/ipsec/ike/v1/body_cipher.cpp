#include "ipsec/ike/v1/body_cipher.hpp"

#include <algorithm>

namespace tandem::ipsec::ike::v1 {

std::optional<BodyCipher> BodyCipher::create(ByteView key) {
  auto cbc = crypto::CbcCipher::create(key);
  if (!cbc) return std::nullopt;
  return BodyCipher(std::move(*cbc));
}

std::vector<std::byte> BodyCipher::encrypt(ByteView body, std::vector<std::byte>& iv) {
  const std::size_t padded = (body.size() + block() - 1) / block() * block();
  std::vector<std::byte> out(std::max(padded, block()));
  std::copy(body.begin(), body.end(), out.begin());
  const std::size_t pad = out.size() - body.size();
  if (pad > 0) out.back() = std::byte(pad - 1);
  std::array<std::byte, crypto::kAesBlockSize> v{};
  std::copy_n(iv.begin(), std::min(iv.size(), v.size()), v.begin());
  if (!cbc_.encrypt(v, out)) out.clear();
  if (!out.empty()) iv.assign(out.end() - static_cast<std::ptrdiff_t>(block()), out.end());
  return out;
}

std::optional<std::vector<std::byte>> BodyCipher::decrypt(ByteView ciphertext,
                                                          std::vector<std::byte>& iv) {
  if (ciphertext.empty() || ciphertext.size() % block() != 0) return std::nullopt;
  std::vector<std::byte> out(ciphertext.begin(), ciphertext.end());
  std::array<std::byte, crypto::kAesBlockSize> v{};
  std::copy_n(iv.begin(), std::min(iv.size(), v.size()), v.begin());
  if (!cbc_.decrypt(v, out)) return std::nullopt;
  iv.assign(ciphertext.end() - static_cast<std::ptrdiff_t>(block()), ciphertext.end());
  return out;
}

}  // namespace tandem::ipsec::ike::v1
