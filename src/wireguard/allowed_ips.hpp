// The cryptokey routing table (whitepaper section 2): longest-prefix match from an inner IP
// address to the peer allowed to use it, for IPv4 and IPv6. Every packet asks it (the send path
// for the destination, the receive path for the source), so a lookup must cost the same at 100
// or 100,000 peers: each family is a hash table keyed by (network, length), probed for each
// prefix length in use, longest first (prefix_table.hpp). Nearly every entry is a peer's own
// /32 or /128, found by the first probe; a trie would chase a pointer per bit instead, which
// once the table outgrows the caches is a cache miss per bit. Beside it, each value's prefixes,
// so that removing or listing a peer's costs what that peer has, not what the table holds
// (start-up replaces every peer's allowed IPs). Lookups never allocate. Single-threaded.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/ip_address.hpp"
#include "wireguard/prefix_table.hpp"

namespace tandem::wireguard {

template <typename Value>
class AllowedIps {
 public:
  // Inserting a prefix that exists moves it to the new value (as `wg` does).
  void insert(const IpPrefix& prefix, Value value) {
    const auto old = prefix.address().is_v4()
                         ? v4_.insert_or_assign(v4_word(prefix), prefix.length(), value)
                         : v6_.insert_or_assign(v6_word(prefix), prefix.length(), value);
    if (old) {
      if (*old == value) return;
      forget(*old, prefix);
    }
    by_value_[value].push_back(prefix);
  }

  // Removes one prefix, only if it maps to `value`.
  bool remove(const IpPrefix& prefix, const Value& value) {
    const Value* current = prefix.address().is_v4()
                               ? v4_.find_exact(v4_word(prefix), prefix.length())
                               : v6_.find_exact(v6_word(prefix), prefix.length());
    if (!current || !(*current == value)) return false;
    erase(prefix);
    forget(value, prefix);
    return true;
  }

  void remove_value(const Value& value) {
    const auto it = by_value_.find(value);
    if (it == by_value_.end()) return;
    for (const IpPrefix& prefix : it->second) erase(prefix);
    by_value_.erase(it);
  }

  std::optional<Value> lookup(const IpAddress& address) const {
    const auto* bytes = reinterpret_cast<const std::byte*>(address.data());
    return address.is_v4() ? lookup_v4(bytes) : lookup_v6(bytes);
  }
  std::optional<Value> lookup_v4(const std::byte* addr4) const {
    return v4_.longest_match(detail::V4Bits::load(addr4));
  }
  std::optional<Value> lookup_v6(const std::byte* addr16) const {
    return v6_.longest_match(detail::V6Bits::load(addr16));
  }

  // Every prefix of `value`, IPv4 first, each family in address order (a shorter prefix before
  // a longer one at the same address).
  std::vector<IpPrefix> prefixes_of(const Value& value) const {
    const auto it = by_value_.find(value);
    if (it == by_value_.end()) return {};
    std::vector<IpPrefix> out = it->second;
    std::sort(out.begin(), out.end());
    return out;
  }

  std::size_t size() const { return v4_.size() + v6_.size(); }
  void clear() {
    v4_.clear();
    v6_.clear();
    by_value_.clear();
  }

 private:
  static detail::V4Bits::Word v4_word(const IpPrefix& prefix) {
    return detail::V4Bits::load(reinterpret_cast<const std::byte*>(prefix.address().data()));
  }
  static detail::V6Bits::Word v6_word(const IpPrefix& prefix) {
    return detail::V6Bits::load(reinterpret_cast<const std::byte*>(prefix.address().data()));
  }

  void erase(const IpPrefix& prefix) {
    if (prefix.address().is_v4())
      v4_.erase(v4_word(prefix), prefix.length());
    else
      v6_.erase(v6_word(prefix), prefix.length());
  }

  // Drops `prefix` from the list of `value`, which holds it.
  void forget(const Value& value, const IpPrefix& prefix) {
    const auto it = by_value_.find(value);
    if (it == by_value_.end()) return;
    std::erase(it->second, prefix);
    if (it->second.empty()) by_value_.erase(it);
  }

  // IpPrefix clears host bits, so a prefix's address is already its network.
  detail::PrefixTable<detail::V4Bits, Value> v4_;
  detail::PrefixTable<detail::V6Bits, Value> v6_;
  std::unordered_map<Value, std::vector<IpPrefix>> by_value_;
};

}  // namespace tandem::wireguard
