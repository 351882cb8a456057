#include "hybrid/address_pool.hpp"

#include <algorithm>

namespace tandem::hybrid {

AddressPool::AddressPool(const IpAddress& first, const IpAddress& last) : first_(first.v4_u32()) {
  const std::uint32_t end = last.v4_u32();
  const std::size_t count = end >= first_ ? std::min<std::size_t>(end - first_ + 1, 65536) : 0;
  in_use_.assign(count, false);
}

std::optional<std::size_t> AddressPool::index_of(const IpAddress& address) const {
  if (!address.is_v4()) return std::nullopt;
  const std::uint32_t v = address.v4_u32();
  if (v < first_ || v - first_ >= in_use_.size()) return std::nullopt;
  return v - first_;
}

bool AddressPool::contains(const IpAddress& address) const {
  return index_of(address).has_value();
}

std::optional<IpAddress> AddressPool::allocate(const std::string& account) {
  if (used_count_ == in_use_.size()) return std::nullopt;
  std::size_t chosen = in_use_.size();
  if (auto it = remembered_.find(account); it != remembered_.end() && !in_use_[it->second])
    chosen = it->second;
  for (std::size_t k = 0; chosen == in_use_.size() && k < in_use_.size(); ++k) {
    const std::size_t i = (next_free_hint_ + k) % in_use_.size();
    if (!in_use_[i]) chosen = i;
  }
  in_use_[chosen] = true;
  ++used_count_;
  next_free_hint_ = (chosen + 1) % in_use_.size();
  remembered_[account] = chosen;
  return IpAddress::v4_from_u32(first_ + static_cast<std::uint32_t>(chosen));
}

bool AddressPool::reserve(const IpAddress& address) {
  const auto i = index_of(address);
  if (!i) return true;
  if (in_use_[*i]) return false;
  in_use_[*i] = true;
  ++used_count_;
  return true;
}

void AddressPool::release(const IpAddress& address) {
  const auto i = index_of(address);
  if (!i || !in_use_[*i]) return;
  in_use_[*i] = false;
  --used_count_;
}

}  // namespace tandem::hybrid
