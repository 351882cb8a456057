// The gateway's pool of inner IPv4 addresses for clients. An account that comes back gets the
// address it had before when that address is still free, so a reconnecting client keeps its
// inner address (and the connections bound to it) across re-dials.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"

namespace tandem::hybrid {

class AddressPool {
 public:
  // Every address from `first` to `last` inclusive (IPv4; first <= last, at most 65536).
  AddressPool(const IpAddress& first, const IpAddress& last);

  // An address for `account`: its previous one when free, otherwise the lowest free one.
  std::optional<IpAddress> allocate(const std::string& account);
  // Takes `address`, chosen elsewhere (a RADIUS Framed-IP-Address), out of the pool; false when it
  // is handed out already. An address outside the pool is no concern of it: true.
  bool reserve(const IpAddress& address);
  // Returns an address to the pool; the account still remembers it for next time.
  void release(const IpAddress& address);

  std::size_t size() const { return in_use_.size(); }
  std::size_t in_use() const { return used_count_; }
  bool contains(const IpAddress& address) const;

 private:
  std::optional<std::size_t> index_of(const IpAddress& address) const;

  std::uint32_t first_;
  std::vector<bool> in_use_;
  std::size_t used_count_ = 0;
  std::size_t next_free_hint_ = 0;
  std::map<std::string, std::size_t> remembered_;
};

}  // namespace tandem::hybrid
