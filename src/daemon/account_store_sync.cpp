#include "daemon/account_store_sync.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <string_view>
#include <unordered_map>

#include "crypto/key_encoding.hpp"
#include "daemon/event_sink.hpp"
#include "store/account_table.hpp"
#include "store/config_accounts.hpp"

namespace tandem::daemon {
namespace {

WallTime wall_now() {
  return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
}

// A change naming at most this many accounts is applied by reading those accounts alone; a
// larger one (an import) reads them all, in one statement rather than one per account.
constexpr std::size_t kReadEachAtMost = 64;

std::string store_error(const control::NodeConfig& config, const store::Error& e) {
  return "[accounts] store " + config.account_pool.store.value_or("") + ": " + e.message;
}

}  // namespace

Result<std::unique_ptr<AccountStoreSync>, std::string> AccountStoreSync::open(
    control::NodeConfig& config) {
  auto opened = store::open_account_store(config);
  if (!opened) return Err(store_error(config, opened.error()));
  std::unique_ptr<AccountStoreSync> sync(new AccountStoreSync(std::move(*opened)));
  if (auto ok = sync->fill(config); !ok) return Err(ok.error());
  spdlog::info("accounts: {} in the store {} (revision {})", config.accounts.size(),
               *config.account_pool.store, sync->applied_revision_);
  return sync;
}

Result<std::vector<control::AccountConfig>, std::string> AccountStoreSync::accounts(WallTime now) {
  auto records = store_->list_accounts();
  if (!records) return Err(records.error().message);
  next_key_expiry_ = store::next_key_expiry(*records, now);
  return store::config_accounts(*records, now);
}

Result<Ok, std::string> AccountStoreSync::fill_changed(control::NodeConfig& config,
                                                       const store::Changes& changes,
                                                       WallTime now) {
  std::vector<store::AccountRecord> records;
  for (const auto& name : changes.accounts) {
    auto found = store_->find_account(name);
    if (!found) return Err(store_error(config, found.error()));
    if (*found) records.push_back(std::move(**found));
  }
  config.accounts = store::with_changes(std::move(config.accounts), changes.accounts,
                                        store::config_accounts(records, now));
  if (const auto expiry = store::next_key_expiry(records, now))
    next_key_expiry_ = next_key_expiry_ ? std::min(*next_key_expiry_, *expiry) : *expiry;
  // A change made while they were read has a later revision: it is seen again next time.
  applied_revision_ = changes.revision;
  return Ok{};
}

Result<Ok, std::string> AccountStoreSync::fill(control::NodeConfig& config) {
  // The revision first: a change made while the accounts are read is seen again next time.
  auto revision = store_->revision();
  if (!revision) return Err(store_error(config, revision.error()));
  auto now_accounts = accounts(wall_now());
  if (!now_accounts) return Err("[accounts] store: " + now_accounts.error());
  config.accounts = std::move(*now_accounts);
  applied_revision_ = *revision;
  return Ok{};
}

void AccountStoreSync::emit_changes(const std::vector<control::AccountConfig>& before,
                                    const std::vector<control::AccountConfig>& after) {
  if (!events().enabled()) return;
  // By name: a gateway may have tens of thousands of accounts.
  using ByName = std::unordered_map<std::string_view, const control::AccountConfig*>;
  const auto index = [](const std::vector<control::AccountConfig>& list) {
    ByName by_name;
    for (const auto& a : list) by_name.emplace(a.name, &a);
    return by_name;
  };
  const ByName before_by_name = index(before), after_by_name = index(after);
  const auto find = [](const ByName& by_name, const std::string& name) {
    const auto it = by_name.find(name);
    return it == by_name.end() ? nullptr : it->second;
  };
  const auto keys = [](const std::vector<crypto::PublicKey>& from,
                       const std::vector<crypto::PublicKey>& without) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : from)
      if (std::find(without.begin(), without.end(), k) == without.end())
        list.push_back(crypto::base64_encode(k));
    return list;
  };
  for (const auto& a : before)
    if (!find(after_by_name, a.name)) events().emit("account.removed", {{"account", a.name}});
  for (const auto& a : after) {
    const control::AccountConfig* was = find(before_by_name, a.name);
    if (!was) {
      events().emit("account.added", {{"account", a.name}, {"disabled", a.disabled}});
      continue;
    }
    if (a.disabled != was->disabled) {
      // Revoked and disabled look alike to the gateway; the store knows which.
      std::string kind = a.disabled ? "account.disabled" : "account.enabled";
      if (a.disabled)
        if (auto record = store_->find_account(a.name);
            record && *record && (*record)->state == store::AccountState::kRevoked)
          kind = "account.revoked";
      events().emit(kind, {{"account", a.name}});
    }
    if (a.public_keys != was->public_keys)
      events().emit("account.keys_changed", {{"account", a.name},
                                             {"added", keys(a.public_keys, was->public_keys)},
                                             {"ended", keys(was->public_keys, a.public_keys)}});
  }
}

Result<std::vector<std::string>, std::string> AccountStoreSync::poll(
    const control::NodeConfig& running, const Apply& apply) {
  const WallTime now = wall_now();
  auto changes = store_->changes_since(applied_revision_);
  if (!changes) {
    if (changes.error().message != last_refusal_)
      spdlog::warn("accounts: cannot read the store: {}", changes.error().message);
    last_refusal_ = changes.error().message;
    return Err("cannot read the store: " + changes.error().message);
  }
  const bool expired = next_key_expiry_ && now >= *next_key_expiry_;
  if (changes->accounts.empty() && !changes->reload_all && !expired) {
    applied_revision_ = changes->revision;
    return std::vector<std::string>{};
  }
  const std::uint64_t before = applied_revision_;
  const auto started = std::chrono::steady_clock::now();
  // `apply` may update `running` itself: what it was, for the events.
  const std::vector<control::AccountConfig> previous = running.accounts;
  control::NodeConfig next = running;
  const bool each = !changes->reload_all && !expired && changes->accounts.size() <= kReadEachAtMost;
  if (auto ok = each ? fill_changed(next, *changes, now) : fill(next); !ok) {
    applied_revision_ = before;
    spdlog::warn("accounts: {}", ok.error());
    return Err(ok.error());
  }
  if (auto ok = apply(next); !ok) {
    // Tried again at the next look (from the same revision); said once.
    applied_revision_ = before;
    if (ok.error() != last_refusal_)
      spdlog::warn("accounts: a change in the store is not applied yet: {}", ok.error());
    last_refusal_ = ok.error();
    return Err("a change in the store is not applied yet: " + ok.error());
  }
  last_refusal_.clear();
  emit_changes(previous, next.accounts);
  std::string names;
  for (const auto& name : changes->accounts) names += (names.empty() ? "" : ", ") + name;
  const auto took =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
  spdlog::info(
      "accounts: the store's revision {} applied{}{} in {:.1f} ms ({} of {} accounts read)",
      applied_revision_, names.empty() ? "" : " (" + names + ")",
      expired ? "; a rotated key's overlap is over" : "", took.count(),
      each ? changes->accounts.size() : next.accounts.size(), next.accounts.size());
  return changes->accounts;
}

}  // namespace tandem::daemon
