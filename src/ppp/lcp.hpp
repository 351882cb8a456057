// LCP option negotiation (RFC 1661 section 6): MRU, Authentication-Protocol, Magic-Number, and
// refusal of the compression options L2TP does not need (PFC, ACFC). The authenticator asks for
// its preferred method and falls back along its list when the peer Naks; the peer accepts any
// method it allows and otherwise Naks with its own preference.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/rng.hpp"
#include "ppp/option_fsm.hpp"

namespace tandem::ppp {

enum class AuthMethod : std::uint8_t { kNone, kPap, kChapMd5, kMsChapV2 };
const char* auth_method_name(AuthMethod m);

class LcpNegotiator final : public Negotiator {
 public:
  // `demand`: methods we require of the peer, most preferred first (empty: no authentication).
  // `allow`: methods we will answer when the peer demands one.
  LcpNegotiator(Rng& rng, std::uint16_t mru, std::vector<AuthMethod> demand,
                std::vector<AuthMethod> allow)
      : rng_(&rng), our_mru_(mru), demand_(std::move(demand)), allow_(std::move(allow)) {}

  void reset() override;
  std::vector<std::byte> request() override;
  Verdict check(const std::vector<Option>& options, std::vector<std::byte>& reply) override;
  void acked(const std::vector<Option>&) override {}
  void naked(const std::vector<Option>& options) override;
  void rejected(const std::vector<Option>& options) override;

  // What was settled once LCP is opened.
  AuthMethod we_authenticate_with() const {  // the method we demanded and the peer accepted
    return demand_index_ < demand_.size() ? demand_[demand_index_] : AuthMethod::kNone;
  }
  AuthMethod peer_authenticates_with() const { return peer_auth_; }
  std::uint16_t peer_mru() const { return peer_mru_; }
  std::uint32_t our_magic() const { return our_magic_; }
  std::uint32_t peer_magic() const { return peer_magic_; }
  // True when the peer refused every method we demand: authentication cannot happen.
  bool auth_refused() const { return !demand_.empty() && demand_index_ >= demand_.size(); }

 private:
  std::uint32_t new_magic();

  Rng* rng_;
  std::uint16_t our_mru_;
  std::vector<AuthMethod> demand_;
  std::vector<AuthMethod> allow_;
  std::size_t demand_index_ = 0;
  bool send_magic_ = true;
  bool send_mru_ = true;
  std::uint32_t our_magic_ = 0;
  std::uint32_t peer_magic_ = 0;
  std::uint16_t peer_mru_ = kDefaultMru;
  AuthMethod peer_auth_ = AuthMethod::kNone;
};

// Encodes and decodes the Authentication-Protocol option value.
std::vector<std::byte> auth_option_value(AuthMethod m);
std::optional<AuthMethod> parse_auth_option(ByteView value);

}  // namespace tandem::ppp
