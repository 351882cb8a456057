// The store's mutations, written once for every backend. Each checks (batch_check), writes
// through the backend's Tables, records what it touched and appends its event; a backend
// supplies the tables (its SQL) and the transaction each mutation runs in (write()), which also
// bumps the revision for the accounts touched.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hybrid/accounts.hpp"
#include "store/batch_check.hpp"
#include "store/store.hpp"

namespace tandem::store {

// One mutation in progress.
struct Mutation {
  std::int64_t now = 0;              // unix milliseconds, the same for all it writes
  std::vector<std::string> touched;  // the accounts changed, for the change log
};

// A backend's rows, read and written inside the caller's transaction. Ids are the backend's
// own account keys.
class Tables : public StateLookup {
 public:
  // The account's id and state; nullopt when there is none of that name.
  virtual StoreResult<std::optional<std::pair<std::int64_t, AccountState>>> account(
      const std::string& name) = 0;
  // The account with its subnets, keys, credential and addresses (from the rows below).
  StoreResult<Ok> insert_account(const PlannedAccount& planned, std::int64_t at);
  // Before an import's checks: the backend may look up every name, key and address the rows
  // name at once, so that the checks that follow ask it nothing row by row. This default does
  // nothing.
  virtual StoreResult<Ok> prefetch(const std::vector<NewAccount>& rows) {
    (void)rows;
    return Ok{};
  }
  // An import's accounts, each with its account.added event. This default writes them one at a
  // time; a backend that pays a round trip per statement writes many rows per statement.
  virtual StoreResult<Ok> insert_accounts(const std::vector<PlannedAccount>& planned,
                                          std::int64_t at);
  // The accounts row alone; returns its id.
  virtual StoreResult<std::int64_t> insert_account_row(const NewAccount& row, std::int64_t at) = 0;
  virtual StoreResult<Ok> insert_address(std::int64_t id, const IpAddress& address, bool leased,
                                         std::int64_t at) = 0;
  // Deletes the account with all it owns; returns the addresses it had leased, lowest first.
  virtual StoreResult<std::vector<IpAddress>> delete_account(std::int64_t id) = 0;
  virtual StoreResult<Ok> update_state(std::int64_t id, AccountState state, std::int64_t at) = 0;
  virtual StoreResult<Ok> replace_subnets(std::int64_t id, const std::vector<IpPrefix>& subnets,
                                          std::int64_t at) = 0;
  virtual StoreResult<Ok> update_ike(std::int64_t id, const std::optional<std::string>& ike_id,
                                     const std::optional<std::string>& ike_psk,
                                     std::int64_t at) = 0;
  virtual StoreResult<Ok> update_mtu_probe_target(std::int64_t id,
                                                  const std::optional<std::string>& target,
                                                  std::int64_t at) = 0;
  virtual StoreResult<Ok> update_account_class(std::int64_t id,
                                               const std::optional<std::string>& account_class,
                                               std::int64_t at) = 0;
  virtual StoreResult<Ok> insert_key(std::int64_t id, const NewWireguardKey& key,
                                     std::int64_t at) = 0;
  // false: the account has no such key.
  virtual StoreResult<bool> delete_key(std::int64_t id, const crypto::PublicKey& key) = 0;
  // Ends the key at `not_after` unless it ends earlier already; false: no such key.
  virtual StoreResult<bool> end_key(std::int64_t id, const crypto::PublicKey& key,
                                    std::int64_t not_after) = 0;
  // None: the account has no PPP login any more.
  virtual StoreResult<Ok> replace_credential(std::int64_t id,
                                             const std::optional<PppCredential>& credential,
                                             std::int64_t at) = 0;
  virtual StoreResult<Ok> record_event(std::int64_t at, const std::string& kind,
                                       const std::string& account, const std::string& detail) = 0;
};

// The mutations of the Store interface on top of Tables and a backend's transactions.
class MutatingStore : public Store {
 public:
  StoreResult<AccountRecord> add_account(const NewAccount& account) final;
  StoreResult<Ok> remove_account(const std::string& name) final;
  StoreResult<Ok> set_state(const std::string& name, AccountState state) final;
  StoreResult<Ok> set_subnets(const std::string& name, const std::vector<IpPrefix>&) final;
  StoreResult<Ok> set_ike(const std::string& name, std::optional<std::string> ike_id,
                          std::optional<std::string> ike_psk) final;
  StoreResult<Ok> set_mtu_probe_target(const std::string& name,
                                       std::optional<IpAddress> target) final;
  StoreResult<Ok> set_account_class(const std::string& name,
                                    std::optional<std::string> account_class) final;
  StoreResult<Ok> add_wireguard_key(const std::string& name, const NewWireguardKey&) final;
  StoreResult<Ok> remove_wireguard_key(const std::string& name, const crypto::PublicKey& key) final;
  StoreResult<Ok> rotate_wireguard_key(const std::string& name, const crypto::PublicKey& previous,
                                       const NewWireguardKey& next, Duration overlap) final;
  StoreResult<Ok> set_ppp_login(const std::string& name, std::optional<PppLogin>) final;
  StoreResult<Ok> append_event(const std::string& kind, const std::string& account,
                               const std::string& detail_json) final;
  StoreResult<ImportReport> import_accounts(const std::vector<NewAccount>& rows) final;

 protected:
  MutatingStore(hybrid::AddressPlan plan, WallClock* clock)
      : plan_(std::move(plan)), clock_(clock) {}

  using Body = std::function<StoreResult<Ok>(Tables&, Mutation&)>;
  // Runs `body` in one write transaction that then bumps the revision for the accounts it
  // touched (none: no bump), serialised with this store's other callers. `body` may run more
  // than once (a backend that retries a transaction another writer collided with).
  virtual StoreResult<Ok> write(const Body& body) = 0;
  // Appends an event on its own, without a revision.
  virtual StoreResult<Ok> append(std::int64_t at, const std::string& kind,
                                 const std::string& account, const std::string& detail) = 0;

  std::int64_t now_ms() const;

 private:
  // The id of `name` in `tables`, or kNotFound.
  static StoreResult<std::int64_t> id_of(Tables& tables, const std::string& name);
  StoreResult<Ok> add_key_checked(Tables& tables, std::int64_t id, const std::string& name,
                                  const NewWireguardKey& key, std::int64_t at);

  hybrid::AddressPlan plan_;
  WallClock* clock_;
};

}  // namespace tandem::store
