// The SQLite store's rows: the answers to batch_check's questions and the writes of every
// mutation (mutations.hpp), inside the caller's write transaction.
#pragma once

#include "store/mutations.hpp"
#include "store/sqlite.hpp"

namespace tandem::store::sqlite {

class SqliteTables final : public Tables {
 public:
  explicit SqliteTables(Connection& db) : db_(db) {}

  StoreResult<bool> name_exists(const std::string& name) override;
  StoreResult<std::optional<std::string>> key_owner(const crypto::PublicKey& key) override;
  StoreResult<std::optional<std::string>> address_owner(const IpAddress& address) override;
  StoreResult<std::vector<std::pair<IpAddress, std::string>>> held_in(
      const IpAddress& first, const IpAddress& last) override;
  StoreResult<std::vector<std::pair<IpPrefix, std::string>>> subnets() override;

  StoreResult<std::optional<std::pair<std::int64_t, AccountState>>> account(
      const std::string& name) override;
  StoreResult<std::int64_t> insert_account_row(const NewAccount& row, std::int64_t at) override;
  StoreResult<Ok> insert_address(std::int64_t id, const IpAddress& address, bool leased,
                                 std::int64_t at) override;
  StoreResult<std::vector<IpAddress>> delete_account(std::int64_t id) override;
  StoreResult<Ok> update_state(std::int64_t id, AccountState state, std::int64_t at) override;
  StoreResult<Ok> replace_subnets(std::int64_t id, const std::vector<IpPrefix>& subnets,
                                  std::int64_t at) override;
  StoreResult<Ok> update_mtu_probe_target(std::int64_t id, const std::optional<std::string>& target,
                                          std::int64_t at) override;
  StoreResult<Ok> update_account_class(std::int64_t id,
                                       const std::optional<std::string>& account_class,
                                       std::int64_t at) override;
  StoreResult<Ok> update_ike(std::int64_t id, const std::optional<std::string>& ike_id,
                             const std::optional<std::string>& ike_psk, std::int64_t at) override;
  StoreResult<Ok> insert_key(std::int64_t id, const NewWireguardKey& key, std::int64_t at) override;
  StoreResult<bool> delete_key(std::int64_t id, const crypto::PublicKey& key) override;
  StoreResult<bool> end_key(std::int64_t id, const crypto::PublicKey& key,
                            std::int64_t not_after) override;
  StoreResult<Ok> replace_credential(std::int64_t id,
                                     const std::optional<PppCredential>& credential,
                                     std::int64_t at) override;
  StoreResult<Ok> record_event(std::int64_t at, const std::string& kind, const std::string& account,
                               const std::string& detail) override;

 private:
  StoreResult<Ok> touch(std::int64_t id, std::int64_t at);

  Connection& db_;
};

}  // namespace tandem::store::sqlite
