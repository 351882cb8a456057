// Stateless cookies against IKE_SA_INIT floods (RFC 7296 section 2.6). Once too many IKE SAs are
// half open, a responder answers IKE_SA_INIT with a COOKIE instead of state and only continues
// for requests that repeat it. Cookie = <secret version> | HMAC-SHA256(secret, Ni | IPi | SPIi);
// the secret is replaced now and then, and cookies made with the one before stay good until the
// next replacement so that an initiator in the middle of the exchange is not refused.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"

namespace tandem::ipsec::ike::v2 {

class CookieJar {
 public:
  CookieJar(Rng& rng, Duration secret_lifetime) : rng_(&rng), lifetime_(secret_lifetime) {}

  std::vector<std::byte> make(ByteView ni, const IpAddress& initiator, std::uint64_t spi_i,
                              TimePoint now);
  bool check(ByteView cookie, ByteView ni, const IpAddress& initiator, std::uint64_t spi_i,
             TimePoint now);

 private:
  using Secret = std::array<std::byte, 32>;
  void rotate(TimePoint now);
  static std::vector<std::byte> compute(std::uint8_t version, const Secret& secret, ByteView ni,
                                        const IpAddress& initiator, std::uint64_t spi_i);

  Rng* rng_;
  Duration lifetime_;
  bool have_secret_ = false;
  TimePoint rotate_at_{};
  std::uint8_t version_ = 0;
  Secret current_{};
  Secret previous_{};
};

}  // namespace tandem::ipsec::ike::v2
