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
#include "store/batch_check.hpp"
#include "store/pg.hpp"
#include "store/store.hpp"

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

class PostgresStore final : public Store {
 public:
  // Connects with `conninfo` (libpq's "host=/run/postgresql dbname=tandem user=tandem", or a
  // postgresql:// URI; a password belongs in a password file, passfile= or PGPASSFILE, never in
  // the string) and brings the schema up to date.
  static StoreResult<std::unique_ptr<PostgresStore>> open(const std::string& conninfo,
                                                          PostgresOptions options = {});

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

 private:
  struct Mutation;

  PostgresStore(pg::Connection connection, PostgresOptions options)
      : db_(std::move(connection)), options_(std::move(options)) {}

  std::int64_t now_ms();
  // Runs `body` in one transaction of `begin` ("BEGIN ..."), again after a collision with
  // another writer or once after a lost connection.
  using Body = std::function<StoreResult<Ok>()>;
  StoreResult<Ok> transact(const char* begin, const Body& body);
  // A mutation: `body` writes, then the revision is bumped for the accounts it touched.
  template <typename F>
  StoreResult<Ok> write(F&& body);
  // A consistent read (one snapshot for all its statements).
  StoreResult<Ok> read(const Body& body);
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
  pg::Connection db_;
  PostgresOptions options_;
};

}  // namespace tandem::store
