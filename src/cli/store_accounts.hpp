// The CLI's way into a gateway's accounts' store ([accounts] store in its config): opened with
// the plan the daemon uses, so that leases land where the running gateway expects them.
#pragma once

#include <memory>
#include <string>

#include "base/result.hpp"
#include "control/config.hpp"
#include "store/store.hpp"

namespace tandem::cli {

// The store `config` (read from `config_path`) names; refused, saying how to set one up, when it
// names none.
Result<std::unique_ptr<store::Store>, std::string> open_config_store(
    const control::NodeConfig& config, const std::string& config_path);

// A config with [accounts] store gets the store's accounts, as the daemon reads them; any other
// is left as it is.
Result<Ok, std::string> read_store_accounts(control::NodeConfig& config);

}  // namespace tandem::cli
