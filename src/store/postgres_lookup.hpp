// The PostgreSQL answers to batch_check's questions, read inside the caller's transaction. Free
// addresses are found by asking the database for the lowest address nobody holds, through the
// address index, instead of reading every lease of the pool.
#pragma once

#include "store/batch_check.hpp"
#include "store/pg.hpp"

namespace tandem::store::postgres {

class PostgresLookup final : public StateLookup {
 public:
  explicit PostgresLookup(pg::Connection& db) : db_(db) {}

  StoreResult<bool> name_exists(const std::string& name) override;
  StoreResult<std::optional<std::string>> key_owner(const crypto::PublicKey& key) override;
  StoreResult<std::optional<std::string>> address_owner(const IpAddress& address) override;
  StoreResult<std::vector<std::pair<IpAddress, std::string>>> held_in(
      const IpAddress& first, const IpAddress& last) override;
  StoreResult<std::vector<std::pair<IpPrefix, std::string>>> subnets() override;
  StoreResult<std::vector<IpAddress>> free_in(const IpAddress& first, const IpAddress& last,
                                              const std::vector<IpAddress>& taken,
                                              const std::vector<IpAddress>& reserved,
                                              const std::vector<IpPrefix>& subnets,
                                              std::size_t count) override;

  // The lowest address from `from` to `last` that no account holds.
  StoreResult<std::optional<IpAddress>> lowest_unheld(const IpAddress& from, const IpAddress& last);

 private:
  pg::Connection& db_;
};

}  // namespace tandem::store::postgres
