// The SQLite answers to batch_check's questions, read inside the caller's write transaction.
#pragma once

#include "store/batch_check.hpp"
#include "store/sqlite.hpp"

namespace tandem::store::sqlite {

class SqliteLookup final : public StateLookup {
 public:
  explicit SqliteLookup(Connection& db) : db_(db) {}

  StoreResult<bool> name_exists(const std::string& name) override;
  StoreResult<std::optional<std::string>> key_owner(const crypto::PublicKey& key) override;
  StoreResult<std::optional<std::string>> address_owner(const IpAddress& address) override;
  StoreResult<std::vector<std::pair<IpAddress, std::string>>> held_in(
      const IpAddress& first, const IpAddress& last) override;
  StoreResult<std::vector<std::pair<IpPrefix, std::string>>> subnets() override;

 private:
  Connection& db_;
};

}  // namespace tandem::store::sqlite
