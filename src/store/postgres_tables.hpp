// The PostgreSQL store's rows: the answers to batch_check's questions and the writes of every
// mutation (mutations.hpp), inside the caller's transaction. Free addresses are found by asking
// the database for the lowest address nobody holds, through the address index, instead of
// reading every lease of the pool (many at once: one read of the pool's leases). Every statement
// is a round trip to the server, so an import asks about all its rows' names, keys and
// addresses in three statements (prefetch) and writes up to a thousand rows per statement.
#pragma once

#include <map>
#include <optional>
#include <set>

#include "store/mutations.hpp"
#include "store/pg.hpp"

namespace tandem::store::postgres {

class PostgresTables final : public Tables {
 public:
  explicit PostgresTables(pg::Connection& db) : db_(db) {}

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

  StoreResult<Ok> prefetch(const std::vector<NewAccount>& rows) override;
  StoreResult<Ok> insert_accounts(const std::vector<PlannedAccount>& planned,
                                  std::int64_t at) override;

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

  // The lowest address from `from` to `last` that no account holds.
  StoreResult<std::optional<IpAddress>> lowest_unheld(const IpAddress& from, const IpAddress& last);

 private:
  // What prefetch() found for the rows of an import: the names, keys and addresses asked about,
  // and the owners of those taken. Cleared by the import's writes.
  struct Prefetched {
    std::set<std::string> names_asked;
    std::set<std::string> names_taken;
    std::set<crypto::PublicKey> keys_asked;
    std::map<crypto::PublicKey, std::string> key_owners;
    std::set<IpAddress> addresses_asked;
    std::map<IpAddress, std::string> address_owners;
  };

  StoreResult<Ok> touch(std::int64_t id, std::int64_t at);
  // The planned accounts' subnets, keys, credentials and addresses, by account id.
  StoreResult<Ok> insert_account_parts(const std::vector<PlannedAccount>& planned,
                                       const std::vector<std::int64_t>& ids, std::int64_t at);

  pg::Connection& db_;
  std::optional<Prefetched> prefetched_;
};

}  // namespace tandem::store::postgres
