// The state store in a PostgreSQL database, for a fleet of gateways that share accounts and
// leases. Same interface and same answers as SqliteStore; what differs is how several writers on
// several machines are kept apart:
//
// - Every mutation runs as one SERIALIZABLE transaction: its checks (batch_check) and its writes
//   behave as if no other gateway wrote at the same time. When PostgreSQL finds they did (a
//   serialization failure or deadlock), or a unique constraint refuses a name, key or address
//   another gateway took a moment earlier, the whole transaction is run again from its checks,
//   which then see the other's write and lease another address or refuse with its usual
//   message. The primary key on addresses stays the last word: one address, one account.
// - Free addresses are found by a query on the address index (the lowest address nobody holds),
//   not by reading every lease of the pool.
// - Each mutation bumps the revision in the same transaction (a row every writer updates, so
//   revisions follow commit order), and records the accounts it touched; another gateway's
//   changes_since() sees them as soon as it is committed.
//
// The connection comes from a libpq conninfo; a lost one is made again once per call. One object
// serialises its own callers, so threads may share it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "hybrid/accounts.hpp"
#include "store/mutations.hpp"
#include "store/pg.hpp"

namespace tandem::store {

struct PostgresOptions {
  // The pools leases come from, and the gateway's own addresses that are never an account's.
  // Every gateway sharing a database must be given the same plan.
  hybrid::AddressPlan plan;
  // Where times come from; null: the system clock.
  WallClock* clock = nullptr;
  // How many revisions back changes_since() can answer by name; a reader further behind is told
  // to reload everything.
  std::uint64_t change_log_revisions = 100000;
  // How many times a mutation that collided with another gateway's is run before it gives up
  // with kBusy.
  int max_attempts = 200;
};

class PostgresStore final : public MutatingStore {
 public:
  // Connects with `conninfo` (libpq's "host=/run/postgresql dbname=tandem user=tandem", or a
  // postgresql:// URI; a password belongs in a password file, passfile= or PGPASSFILE, never in
  // the string) and brings the schema up to date.
  static StoreResult<std::unique_ptr<PostgresStore>> open(const std::string& conninfo,
                                                          PostgresOptions options = {});

  StoreResult<std::optional<AccountRecord>> find_account(const std::string& name) override;
  StoreResult<std::vector<AccountRecord>> list_accounts() override;
  StoreResult<std::size_t> account_count() override;
  StoreResult<std::vector<Lease>> list_leases() override;
  StoreResult<std::vector<Event>> list_events(std::size_t limit,
                                              const std::string& account = {}) override;
  StoreResult<std::uint64_t> revision() override;
  StoreResult<Changes> changes_since(std::uint64_t revision) override;

 private:
  PostgresStore(pg::Connection connection, PostgresOptions options)
      : MutatingStore(options.plan, options.clock),
        db_(std::move(connection)),
        options_(std::move(options)) {}

  using Statements = std::function<StoreResult<Ok>()>;
  // Runs `body` in one transaction of `begin` ("BEGIN ..."), again after a collision with
  // another writer or once after a lost connection. The caller holds mutex_.
  StoreResult<Ok> transact(const char* begin, const Statements& body);
  StoreResult<Ok> write(const Body& body) override;
  StoreResult<Ok> append(std::int64_t at, const std::string& kind, const std::string& account,
                         const std::string& detail) override;
  // A consistent read (one snapshot for all its statements); the caller holds mutex_.
  StoreResult<Ok> read(const Statements& body);
  StoreResult<Ok> bump_revision(const std::vector<std::string>& touched);
  StoreResult<std::vector<AccountRecord>> read_accounts(std::optional<std::int64_t> only);

  std::mutex mutex_;
  pg::Connection db_;
  PostgresOptions options_;
};

}  // namespace tandem::store
