// IPV6CP (RFC 5072): each end picks a random 64-bit Interface-Identifier for its link-local
// address; a collision or a zero identifier is answered with a Nak carrying a fresh one.
#pragma once

#include <cstdint>

#include "base/rng.hpp"
#include "ppp/option_fsm.hpp"

namespace tandem::ppp {

class Ipv6cpNegotiator final : public Negotiator {
 public:
  explicit Ipv6cpNegotiator(Rng& rng) : rng_(&rng) {}

  void reset() override;
  std::vector<std::byte> request() override;
  Verdict check(const std::vector<Option>& options, std::vector<std::byte>& reply) override;
  void acked(const std::vector<Option>&) override {}
  void naked(const std::vector<Option>& options) override;
  void rejected(const std::vector<Option>&) override {}

  std::uint64_t our_identifier() const { return ours_; }
  std::uint64_t peer_identifier() const { return peers_; }

 private:
  std::uint64_t fresh();

  Rng* rng_;
  std::uint64_t ours_ = 0;
  std::uint64_t peers_ = 0;
};

}  // namespace tandem::ppp
