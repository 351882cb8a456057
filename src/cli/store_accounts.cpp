#include "cli/store_accounts.hpp"

#include <chrono>

#include "store/config_accounts.hpp"

namespace tandem::cli {

Result<std::unique_ptr<store::Store>, std::string> open_config_store(
    const control::NodeConfig& config, const std::string& config_path) {
  if (!config.account_pool.store)
    return Err(config_path +
               " keeps its accounts in [[account]] sections; to manage them with tandem account, "
               "add store = \"/var/lib/tandem/NAME.db\" to its [accounts] section and move the "
               "accounts there with tandem account import-config");
  auto opened = store::open_account_store(config);
  if (!opened) return Err(*config.account_pool.store + ": " + opened.error().message);
  return std::move(*opened);
}

Result<Ok, std::string> read_store_accounts(control::NodeConfig& config) {
  if (!config.account_pool.store) return Ok{};
  auto opened = store::open_account_store(config);
  if (!opened) return Err(*config.account_pool.store + ": " + opened.error().message);
  auto records = (*opened)->list_accounts();
  if (!records) return Err(*config.account_pool.store + ": " + records.error().message);
  const auto now = std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now());
  config.accounts = store::config_accounts(*records, now);
  return Ok{};
}

}  // namespace tandem::cli
