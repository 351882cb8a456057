// How `tandem account list` and `tandem account show` print accounts: a table of one line per
// account, one account in full, or JSON for scripts. Never a secret: keys are public, and a
// login shows only which kind it has.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "store/records.hpp"

namespace tandem::cli {

// One JSON object per account (name, state, addresses, keys with their end, login kinds).
nlohmann::json account_json(const store::AccountRecord& account, WallTime now);
// NAME, STATE, IPV4, IPV6, KEYS (valid now), LOGINS (wireguard, l2tp, ikev2), aligned.
std::string render_account_table(const std::vector<store::AccountRecord>& accounts, WallTime now);
// Every field of one account, a line each.
std::string render_account(const store::AccountRecord& account, WallTime now);
// The store's events (newest first), a line each: time, kind, account, detail.
std::string render_events(const std::vector<store::Event>& events);
nlohmann::json events_json(const std::vector<store::Event>& events);

}  // namespace tandem::cli
