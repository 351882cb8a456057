#include "ipsec/ike/v2/cookie.hpp"

#include "crypto/constant_time.hpp"
#include "crypto/hmac.hpp"
#include "ipsec/ike/wire.hpp"

namespace tandem::ipsec::ike::v2 {

void CookieJar::rotate(TimePoint now) {
  if (have_secret_ && now < rotate_at_) return;
  previous_ = current_;
  rng_->fill(current_);
  ++version_;
  have_secret_ = true;
  rotate_at_ = now + lifetime_;
}

std::vector<std::byte> CookieJar::compute(std::uint8_t version, const Secret& secret, ByteView ni,
                                          const IpAddress& initiator, std::uint64_t spi_i) {
  std::vector<std::byte> cookie(1 + 32);
  cookie[0] = std::byte(version);
  std::vector<std::byte> spi;
  wire::put64(spi, spi_i);
  const ByteView ip(reinterpret_cast<const std::byte*>(initiator.data()), initiator.size());
  auto mac = crypto::Hmac::create(crypto::HashAlgorithm::kSha256, secret);
  if (!mac || !mac->compute({ni, ip, spi}, MutableByteView(cookie).subspan(1))) cookie.clear();
  return cookie;
}

std::vector<std::byte> CookieJar::make(ByteView ni, const IpAddress& initiator, std::uint64_t spi_i,
                                       TimePoint now) {
  rotate(now);
  return compute(version_, current_, ni, initiator, spi_i);
}

bool CookieJar::check(ByteView cookie, ByteView ni, const IpAddress& initiator, std::uint64_t spi_i,
                      TimePoint now) {
  rotate(now);
  if (cookie.size() != 33) return false;
  const auto version = std::to_integer<std::uint8_t>(cookie[0]);
  const Secret* secret = version == version_                                  ? &current_
                         : version == static_cast<std::uint8_t>(version_ - 1) ? &previous_
                                                                              : nullptr;
  if (secret == nullptr) return false;
  const auto expected = compute(version, *secret, ni, initiator, spi_i);
  return expected.size() == cookie.size() && crypto::constant_time_equal(expected, cookie);
}

}  // namespace tandem::ipsec::ike::v2
