#include "ipsec/ike/v2/address_pool.hpp"

#include <algorithm>

namespace tandem::ipsec::ike::v2 {

bool AddressPool::in_pool(std::uint32_t address) const {
  const std::uint32_t first = config_->first.v4_u32();
  return address >= first && address - first < config_->size;
}

std::optional<IpAddress> AddressPool::lease(const std::string& identity, std::uint64_t owner) {
  if (!enabled()) return std::nullopt;
  auto remembered = last_address_of_.find(identity);
  if (remembered != last_address_of_.end() && in_pool(remembered->second) &&
      !in_use_.contains(remembered->second)) {
    in_use_[remembered->second] = owner;
    return IpAddress::v4_from_u32(remembered->second);
  }
  // Prefer addresses nobody had before, so that others find theirs free when they come back.
  const auto remembered_by_other = [&](std::uint32_t a) {
    return std::any_of(last_address_of_.begin(), last_address_of_.end(),
                       [&](const auto& e) { return e.second == a && e.first != identity; });
  };
  const std::uint32_t first = config_->first.v4_u32();
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint32_t i = 0; i < config_->size; ++i) {
      const std::uint32_t a = first + i;
      if (in_use_.contains(a) || (pass == 0 && remembered_by_other(a))) continue;
      in_use_[a] = owner;
      last_address_of_[identity] = a;
      return IpAddress::v4_from_u32(a);
    }
  }
  return std::nullopt;
}

void AddressPool::release(std::uint64_t owner) {
  std::erase_if(in_use_, [&](const auto& e) { return e.second == owner; });
}

void AddressPool::transfer(std::uint64_t from, std::uint64_t to) {
  for (auto& [address, owner] : in_use_)
    if (owner == from) owner = to;
}

const std::vector<IpAddress>& AddressPool::dns() const {
  static const std::vector<IpAddress> kNone;
  return config_ ? config_->dns : kNone;
}

const std::vector<std::string>& AddressPool::dns_domains() const {
  static const std::vector<std::string> kNone;
  return config_ ? config_->dns_domains : kNone;
}

}  // namespace tandem::ipsec::ike::v2
