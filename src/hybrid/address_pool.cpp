#include "hybrid/address_pool.hpp"

#include <algorithm>

namespace tandem::hybrid {
namespace {

std::uint32_t to_u32(const IpAddress& a) {
  const std::uint8_t* b = a.data();
  return (std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) | (std::uint32_t{b[2]} << 8) |
         b[3];
}

}  // namespace

AddressPool::AddressPool(const IpAddress& first, const IpAddress& last) : first_(to_u32(first)) {
  const std::uint32_t end = to_u32(last);
  const std::size_t count = end >= first_ ? std::min<std::size_t>(end - first_ + 1, 65536) : 0;
  in_use_.assign(count, false);
}

std::optional<std::size_t> AddressPool::index_of(const IpAddress& address) const {
  if (!address.is_v4()) return std::nullopt;
  const std::uint32_t v = to_u32(address);
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

void AddressPool::release(const IpAddress& address) {
  const auto i = index_of(address);
  if (!i || !in_use_[*i]) return;
  in_use_[*i] = false;
  --used_count_;
}

}  // namespace tandem::hybrid
