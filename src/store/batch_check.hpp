// Checking accounts before they are written, shared by every backend: each row against the store
// (through a StateLookup the backend answers inside its write transaction) and against the other
// rows of the same batch, then leasing the addresses the rows need. The checks follow
// hybrid::AccountTable's, so that the table built from the store is never refused: names, keys,
// fixed addresses, subnets, then leases. Nothing is written here; the backend writes the plan,
// and its unique constraints stay the last word should two writers ever race past these reads.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hybrid/accounts.hpp"
#include "store/records.hpp"
#include "store/store.hpp"

namespace tandem::store {

// What a batch must not collide with, read by the backend.
class StateLookup {
 public:
  virtual ~StateLookup() = default;
  virtual StoreResult<bool> name_exists(const std::string& name) = 0;
  virtual StoreResult<std::optional<std::string>> key_owner(const crypto::PublicKey& key) = 0;
  virtual StoreResult<std::optional<std::string>> address_owner(const IpAddress& address) = 0;
  // Every address held from first to last (one family) and its account, lowest first.
  virtual StoreResult<std::vector<std::pair<IpAddress, std::string>>> held_in(
      const IpAddress& first, const IpAddress& last) = 0;
  // Every account's subnets.
  virtual StoreResult<std::vector<std::pair<IpPrefix, std::string>>> subnets() = 0;
  // The lowest `count` addresses from first to last (one family) that no account holds, that are
  // not in `taken` (sorted) nor `reserved` nor in `subnets`. Fewer when the pool runs out. This
  // default reads every address held in the range (held_in); a backend that can ask its database
  // for the lowest address nobody holds overrides it (see free_addresses_probing).
  virtual StoreResult<std::vector<IpAddress>> free_in(const IpAddress& first, const IpAddress& last,
                                                      const std::vector<IpAddress>& taken,
                                                      const std::vector<IpAddress>& reserved,
                                                      const std::vector<IpPrefix>& subnets,
                                                      std::size_t count);
};

// One row as it will be written.
struct PlannedAccount {
  const NewAccount* row = nullptr;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  bool ipv4_leased = false;
  bool ipv6_leased = false;
  std::optional<PppCredential> ppp;
};

struct BatchPlan {
  std::vector<PlannedAccount> accounts;  // empty when any row was rejected
  std::vector<Rejection> rejections;
};

// Checks `rows` and leases their addresses from `plan`'s pools.
StoreResult<BatchPlan> check_batch(const std::vector<NewAccount>& rows,
                                   const hybrid::AddressPlan& plan, StateLookup& lookup);

// Whether `account` (in the store) may have `subnets` instead of the ones it has: no overlap with
// another account's subnets or addresses, nor with the gateway's reserved addresses.
StoreResult<std::optional<Rejection>> check_subnets(const std::string& account,
                                                    const std::vector<IpPrefix>& subnets,
                                                    const hybrid::AddressPlan& plan,
                                                    StateLookup& lookup);

// The PPP credential a login is stored as (the NT hash, and the password only when asked to keep
// it); nullopt with a reason when the password is not valid UTF-8 or MD4 is unavailable.
Result<PppCredential, std::string> credential_for(const PppLogin& login);

// The lowest `count` free addresses of a pool (first..last of one family): not held (per `held`,
// sorted), not reserved, not in `subnets`. Fewer when the pool runs out.
std::vector<IpAddress> free_addresses(const IpAddress& first, const IpAddress& last,
                                      const std::vector<IpAddress>& held,
                                      const std::vector<IpAddress>& reserved,
                                      const std::vector<IpPrefix>& subnets, std::size_t count);

// What free_addresses does, for a database too large to read every lease from: asks
// `lowest_unheld(from)` for the lowest address from `from` to `last` that no account holds (none:
// the pool is full) and skips over the ones `taken`, `reserved` or in `subnets` without
// reading the addresses held in between.
using LowestUnheld = std::function<StoreResult<std::optional<IpAddress>>(const IpAddress& from)>;
StoreResult<std::vector<IpAddress>> free_addresses_probing(
    const IpAddress& first, const IpAddress& last, const std::vector<IpAddress>& taken,
    const std::vector<IpAddress>& reserved, const std::vector<IpPrefix>& subnets, std::size_t count,
    const LowestUnheld& lowest_unheld);

// The address after `address`; nullopt past the top of its family.
std::optional<IpAddress> next_address(const IpAddress& address);

// The range a plan leases a family from (hybrid::AccountTable's: the IPv4 range as given, the
// IPv6 prefix from its ::10); nullopt when the plan has no pool of that family or it is empty.
std::optional<std::pair<IpAddress, IpAddress>> lease_range(const hybrid::AddressPlan& plan,
                                                           IpAddress::Family family);

}  // namespace tandem::store
