// The state store: accounts, their keys, credentials and address leases, and the event history,
// kept in a database instead of the config file. One interface for every backend: SQLite for one
// gateway (sqlite_store.hpp), PostgreSQL for a fleet that shares accounts and leases.
//
// Every mutation is one transaction that also bumps revision() and records which accounts it
// touched, and appends an event saying what it did. A daemon polls changes_since() (a single
// indexed read) every second or so and rebuilds only the accounts named, which is how one
// gateway sees another's revocation within seconds.
//
// Leases come from the address plan the store was opened with (the gateway's [accounts] pools):
// an account without a fixed address of a family gets one when it is added, in the same
// transaction, and gives it back when it is removed. No address is ever held by two accounts,
// whichever gateway adds them: the database refuses it (a unique address column), so two
// writers racing for one address cannot both win.
//
// Secrets (pre-shared keys, NT hashes, passwords) are stored because the gateway needs them to
// authenticate, but no error message or event ever carries one.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "store/error.hpp"
#include "store/records.hpp"

namespace tandem::store {

class Store {
 public:
  virtual ~Store() = default;

  // Accounts. add_account refuses a repeated name, a key or address another account has, and a
  // pool with nothing free, with a message naming the other account.
  virtual StoreResult<AccountRecord> add_account(const NewAccount& account) = 0;
  // Removes the account with its keys, credential and leases (the leased addresses become free).
  virtual StoreResult<Ok> remove_account(const std::string& name) = 0;
  // Active <-> disabled; revoked is final (add a new account instead) and records revoked_at.
  virtual StoreResult<Ok> set_state(const std::string& name, AccountState state) = 0;
  virtual StoreResult<Ok> set_subnets(const std::string& name, const std::vector<IpPrefix>&) = 0;
  // No psk: the account has no IKEv2 login.
  virtual StoreResult<Ok> set_ike(const std::string& name, std::optional<std::string> ike_id,
                                  std::optional<std::string> ike_psk) = 0;
  // Where a gateway probes the account's path MTU (AccountRecord::mtu_probe_target); none: the
  // gateway's [accounts] mtu_probing decides.
  virtual StoreResult<Ok> set_mtu_probe_target(const std::string& name,
                                               std::optional<IpAddress> target) = 0;
  // The account's class (AccountRecord::account_class); none: no class. A name that is no class
  // name (hybrid::account_class_problem) is refused.
  virtual StoreResult<Ok> set_account_class(const std::string& name,
                                            std::optional<std::string> account_class) = 0;
  virtual StoreResult<std::optional<AccountRecord>> find_account(const std::string& name) = 0;
  virtual StoreResult<std::vector<AccountRecord>> list_accounts() = 0;
  virtual StoreResult<std::size_t> account_count() = 0;

  // WireGuard keys. A public key belongs to one account at most, expired or not.
  virtual StoreResult<Ok> add_wireguard_key(const std::string& name, const NewWireguardKey&) = 0;
  virtual StoreResult<Ok> remove_wireguard_key(const std::string& name,
                                               const crypto::PublicKey& key) = 0;
  // Adds `next` and ends `previous` at now + overlap, both in one transaction.
  virtual StoreResult<Ok> rotate_wireguard_key(const std::string& name,
                                               const crypto::PublicKey& previous,
                                               const NewWireguardKey& next, Duration overlap) = 0;

  // PPP credential: replaced whole; none removes the L2TP login.
  virtual StoreResult<Ok> set_ppp_login(const std::string& name, std::optional<PppLogin>) = 0;

  // Every lease, lowest address first.
  virtual StoreResult<std::vector<Lease>> list_leases() = 0;

  // Events, newest first; `account` empty: every account's and the ones about none. Events are
  // history, not account state: appending one does not bump the revision, so that a busy
  // gateway's logins do not wake every poller (the mutations' own events share their revision).
  virtual StoreResult<Ok> append_event(const std::string& kind, const std::string& account,
                                       const std::string& detail_json) = 0;
  virtual StoreResult<std::vector<Event>> list_events(std::size_t limit,
                                                      const std::string& account = {}) = 0;

  // Many accounts in one transaction: every row is checked (against the store and against the
  // other rows) before anything is written, and any rejection applies none of them.
  virtual StoreResult<ImportReport> import_accounts(const std::vector<NewAccount>& rows) = 0;

  // Change tracking (see the file comment).
  virtual StoreResult<std::uint64_t> revision() = 0;
  virtual StoreResult<Changes> changes_since(std::uint64_t revision) = 0;
};

}  // namespace tandem::store
