// A hybrid gateway whose accounts live in a state store ([accounts] store): the store read at
// start-up, then watched while the gateway runs, so that `tandem account add`, `disable`,
// `revoke` or `remove` (or another gateway sharing the store) take effect within a second,
// without a restart or a reload. A change is applied as a reload of the accounts is
// (HybridInterface::reload_accounts): the store's accounts become the config's, checked whole.
// Only the accounts the change names are read again (a few at most; more, or a change log that
// no longer reaches back, and every account is read).
// A change the gateway cannot apply yet (an account disabled while its L2TP session is being
// hung up) is tried again at the next look, and logged once. A WireGuard key whose rotation
// overlap ends is dropped at that moment. Control thread only.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "control/config.hpp"
#include "store/store.hpp"

namespace tandem::daemon {

class AccountStoreSync {
 public:
  // Applies a config with the store's accounts to the running gateway.
  using Apply = std::function<Result<Ok, std::string>(const control::NodeConfig&)>;

  // Opens the store `config` names and reads its accounts into `config` (the gateway starts
  // with them).
  static Result<std::unique_ptr<AccountStoreSync>, std::string> open(control::NodeConfig& config);

  // `config` with the store's accounts now (a reload of the file keeps the store's accounts).
  Result<Ok, std::string> fill(control::NodeConfig& config);
  // Looks for changes since the last look and applies them to `running` (the config the gateway
  // runs, whose accounts are replaced). Call about once a second. The names of the accounts a
  // change applied (none: nothing changed), or why the store's change is not applied yet.
  Result<std::vector<std::string>, std::string> poll(const control::NodeConfig& running,
                                                     const Apply& apply);

 private:
  explicit AccountStoreSync(std::unique_ptr<store::Store> store) : store_(std::move(store)) {}
  Result<std::vector<control::AccountConfig>, std::string> accounts(WallTime now);
  // `config` with the accounts `changes` names read again (the others as they run).
  Result<Ok, std::string> fill_changed(control::NodeConfig& config, const store::Changes& changes,
                                       WallTime now);
  // The event log's account.* lines for what an applied change did.
  void emit_changes(const std::vector<control::AccountConfig>& before,
                    const std::vector<control::AccountConfig>& after);

  std::unique_ptr<store::Store> store_;
  std::uint64_t applied_revision_ = 0;
  std::optional<WallTime> next_key_expiry_;  // a rotation's overlap ends: apply again then
  std::string last_refusal_;                 // logged once, until the next success
};

}  // namespace tandem::daemon
