// The state store in one SQLite file, for a gateway on its own. Several SqliteStore objects, in
// one process or several, may open the same file: SQLite lets one writer in at a time and every
// mutation takes the write lock before it reads (BEGIN IMMEDIATE), so two of them never lease
// one address. One object serialises its own callers, so threads may share it.
//
// The file is created mode 0600 (it holds pre-shared keys and password hashes) and an existing
// one that others may read is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "hybrid/accounts.hpp"
#include "store/batch_check.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace tandem::store {

struct SqliteOptions {
  // The pools leases come from, and the gateway's own addresses that are never an account's.
  hybrid::AddressPlan plan;
  // How long a writer waits for another to finish before it gives up with kBusy.
  std::chrono::milliseconds busy_timeout{5000};
  // Where times come from; null: the system clock.
  WallClock* clock = nullptr;
  // How many revisions back changes_since() can answer by name; a reader further behind is told
  // to reload everything.
  std::uint64_t change_log_revisions = 100000;
};

class SqliteStore final : public Store {
 public:
  // Opens the database at `path`, creating it (and its schema) when absent and bringing an older
  // schema up to date.
  static StoreResult<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                        SqliteOptions options = {});

  StoreResult<AccountRecord> add_account(const NewAccount& account) override;
  StoreResult<Ok> remove_account(const std::string& name) override;
  StoreResult<Ok> set_state(const std::string& name, AccountState state) override;
  StoreResult<Ok> set_subnets(const std::string& name, const std::vector<IpPrefix>&) override;
  StoreResult<Ok> set_ike(const std::string& name, std::optional<std::string> ike_id,
                          std::optional<std::string> ike_psk) override;
  StoreResult<std::optional<AccountRecord>> find_account(const std::string& name) override;
  StoreResult<std::vector<AccountRecord>> list_accounts() override;
  StoreResult<std::size_t> account_count() override;

  StoreResult<Ok> add_wireguard_key(const std::string& name, const NewWireguardKey&) override;
  StoreResult<Ok> remove_wireguard_key(const std::string& name,
                                       const crypto::PublicKey& key) override;
  StoreResult<Ok> rotate_wireguard_key(const std::string& name, const crypto::PublicKey& previous,
                                       const NewWireguardKey& next, Duration overlap) override;

  StoreResult<Ok> set_ppp_login(const std::string& name, std::optional<PppLogin>) override;

  StoreResult<std::vector<Lease>> list_leases() override;

  StoreResult<Ok> append_event(const std::string& kind, const std::string& account,
                               const std::string& detail_json) override;
  StoreResult<std::vector<Event>> list_events(std::size_t limit,
                                              const std::string& account = {}) override;

  StoreResult<ImportReport> import_accounts(const std::vector<NewAccount>& rows) override;

  StoreResult<std::uint64_t> revision() override;
  StoreResult<Changes> changes_since(std::uint64_t revision) override;

  // SQLite's own consistency checks (integrity_check, foreign_key_check): Ok, or what is wrong.
  StoreResult<Ok> check_integrity();

 private:
  struct Mutation;

  SqliteStore(sqlite::Connection connection, SqliteOptions options)
      : db_(std::move(connection)), options_(std::move(options)) {}

  std::int64_t now_ms();
  // Runs `body` in one write transaction, then bumps the revision for the accounts it touched.
  template <typename Body>
  StoreResult<Ok> write(Body&& body);
  StoreResult<Ok> bump_revision(const std::vector<std::string>& touched);
  StoreResult<Ok> record_event(std::int64_t at, const std::string& kind, const std::string& account,
                               const std::string& detail);
  StoreResult<std::int64_t> account_id(const std::string& name);
  StoreResult<Ok> insert_key(std::int64_t account, const NewWireguardKey& key, std::int64_t at);
  StoreResult<Ok> add_key_checked(std::int64_t account, const std::string& name,
                                  const NewWireguardKey& key, std::int64_t at);
  StoreResult<Ok> write_credential(std::int64_t account, const PppCredential& credential);
  StoreResult<Ok> insert_planned(const PlannedAccount& planned, std::int64_t at);
  StoreResult<Ok> touch(std::int64_t account, std::int64_t at);
  StoreResult<std::vector<AccountRecord>> read_accounts(std::optional<std::int64_t> only);
  StoreResult<ImportReport> import_locked(const std::vector<NewAccount>& rows);

  std::mutex mutex_;
  sqlite::Connection db_;
  SqliteOptions options_;
};

}  // namespace tandem::store
