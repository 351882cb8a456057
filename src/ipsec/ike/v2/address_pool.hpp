// The inner IPv4 addresses a responder hands out in CP(CFG_REPLY) (RFC 7296 section 3.15). Each
// identity gets back the address it had before while that address is free, so a client that
// reconnects keeps its inner address; addresses are released when their IKE SA goes away and
// follow it when it is rekeyed.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "ipsec/ike/v2/config.hpp"

namespace tandem::ipsec::ike::v2 {

class AddressPool {
 public:
  explicit AddressPool(std::optional<AddressPoolConfig> config) : config_(std::move(config)) {}

  bool enabled() const { return config_ && config_->size > 0; }
  // An address for `identity`, held by the IKE SA `owner`; nullopt when the pool is exhausted.
  std::optional<IpAddress> lease(const std::string& identity, std::uint64_t owner);
  void release(std::uint64_t owner);
  void transfer(std::uint64_t from, std::uint64_t to);
  const std::vector<IpAddress>& dns() const;
  const std::vector<std::string>& dns_domains() const;
  std::size_t leased() const { return in_use_.size(); }

 private:
  bool in_pool(std::uint32_t address) const;

  std::optional<AddressPoolConfig> config_;
  std::map<std::uint32_t, std::uint64_t> in_use_;         // address -> owning IKE SA
  std::map<std::string, std::uint32_t> last_address_of_;  // identity -> its last address
};

}  // namespace tandem::ipsec::ike::v2
