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
#include "store/mutations.hpp"
#include "store/sqlite.hpp"

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

class SqliteStore final : public MutatingStore {
 public:
  // Opens the database at `path`, creating it (and its schema) when absent and bringing an older
  // schema up to date.
  static StoreResult<std::unique_ptr<SqliteStore>> open(const std::string& path,
                                                        SqliteOptions options = {});

  StoreResult<std::optional<AccountRecord>> find_account(const std::string& name) override;
  StoreResult<std::vector<AccountRecord>> list_accounts() override;
  StoreResult<std::size_t> account_count() override;
  StoreResult<std::vector<Lease>> list_leases() override;
  StoreResult<std::vector<Event>> list_events(std::size_t limit,
                                              const std::string& account = {}) override;
  StoreResult<std::uint64_t> revision() override;
  StoreResult<Changes> changes_since(std::uint64_t revision) override;

  // SQLite's own consistency checks (integrity_check, foreign_key_check): Ok, or what is wrong.
  StoreResult<Ok> check_integrity();

 private:
  SqliteStore(sqlite::Connection connection, SqliteOptions options)
      : MutatingStore(options.plan, options.clock),
        db_(std::move(connection)),
        options_(std::move(options)) {}

  StoreResult<Ok> write(const Body& body) override;
  StoreResult<Ok> append(std::int64_t at, const std::string& kind, const std::string& account,
                         const std::string& detail) override;
  StoreResult<Ok> bump_revision(const std::vector<std::string>& touched);
  StoreResult<std::vector<AccountRecord>> read_accounts(std::optional<std::int64_t> only);

  std::mutex mutex_;
  sqlite::Connection db_;
  SqliteOptions options_;
};

}  // namespace tandem::store
