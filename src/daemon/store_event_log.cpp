#include "daemon/store_event_log.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "store/config_accounts.hpp"

namespace tandem::daemon {

Result<std::unique_ptr<StoreEventLog>, std::string> StoreEventLog::open(
    const control::NodeConfig& config) {
  auto opened = store::open_account_store(config);
  if (!opened)
    return Err("[accounts] store " + config.account_pool.store.value_or("") +
               " (for the accounts' event history): " + opened.error().message);
  return std::make_unique<StoreEventLog>(std::move(*opened));
}

StoreEventLog::StoreEventLog(std::unique_ptr<store::Store> store)
    : store_(std::move(store)), thread_([this] { run(); }) {}

StoreEventLog::~StoreEventLog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool StoreEventLog::belongs_in_store(std::string_view kind, const nlohmann::json& fields) {
  if (kind.starts_with("account.")) return false;  // written by the change itself
  const auto account = fields.find("account");
  return account != fields.end() && account->is_string() &&
         !account->get_ref<const std::string&>().empty();
}

void StoreEventLog::offer(std::string_view kind, const nlohmann::json& fields) {
  if (!belongs_in_store(kind, fields)) return;
  nlohmann::json detail = fields;
  const std::string account = detail["account"].get<std::string>();
  detail.erase("account");
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= kMaxQueued) {
      if (shed_++ == 0)
        spdlog::warn(
            "accounts: the store does not keep up with the accounts' events; new ones "
            "go to the event log only until it does");
      return;
    }
    queue_.push_back({std::string(kind), account,
                      detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)});
  }
  wake_.notify_one();
}

void StoreEventLog::flush() {
  std::unique_lock lock(mutex_);
  written_.wait(lock, [&] { return queue_.empty() && in_flight_ == 0; });
}

void StoreEventLog::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty() && stopping_) return;
    std::vector<Pending> batch(std::make_move_iterator(queue_.begin()),
                               std::make_move_iterator(queue_.end()));
    queue_.clear();
    in_flight_ = batch.size();
    if (shed_ != 0) {
      spdlog::warn("accounts: {} events were not kept in the store (it did not keep up)", shed_);
      shed_ = 0;
    }
    lock.unlock();
    for (const auto& e : batch) {
      auto ok = store_->append_event(e.kind, e.account, e.detail_json);
      // Said once per kind of failure: a store that is away fails every event alike.
      if (!ok && ok.error().message != last_error_) {
        last_error_ = ok.error().message;
        spdlog::warn("accounts: cannot keep {} of {} in the store: {}", e.kind, e.account,
                     last_error_);
      } else if (ok) {
        last_error_.clear();
      }
    }
    lock.lock();
    in_flight_ = 0;
    written_.notify_all();
  }
}

}  // namespace tandem::daemon
