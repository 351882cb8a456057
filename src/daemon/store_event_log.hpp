// A store-backed gateway's events about its accounts, kept in the state store's event history
// beside the changes made to them (`tandem account events NAME`): the logins and refusals of its
// L2TP sessions and the hang-ups a revocation causes, so that the history of an account tells
// when it was used and refused as well as when it was changed, on every gateway sharing the store.
// Events about no account stay in the event file and the journal; so do WireGuard handshakes,
// which every live peer repeats every two minutes; the account.* events are the store's own
// already.
//
// The writes run on a thread of their own with its own store connection, so a slow store (a
// PostgreSQL server far away) never holds up the control thread: offer() only queues. A queue
// that outgrows kMaxQueued while the store cannot keep up sheds new events and says so once.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.hpp"
#include "control/config.hpp"
#include "store/store.hpp"

namespace tandem::daemon {

class StoreEventLog {
 public:
  static constexpr std::size_t kMaxQueued = 10000;

  // Opens the store `config` names ([accounts] store) once more, for this log's writes.
  static Result<std::unique_ptr<StoreEventLog>, std::string> open(
      const control::NodeConfig& config);
  // With a store already open (tests).
  explicit StoreEventLog(std::unique_ptr<store::Store> store);
  // Writes what is queued, then stops.
  ~StoreEventLog();
  StoreEventLog(const StoreEventLog&) = delete;
  StoreEventLog& operator=(const StoreEventLog&) = delete;

  // Thread-safe, quick: queues the event when it belongs in an account's history (its fields
  // name the "account"); its other fields become the stored detail.
  void offer(std::string_view kind, const nlohmann::json& fields);
  // Waits until every event queued so far is written (tests).
  void flush();

  // Whether an event of `kind` with `fields` belongs in the store's history.
  static bool belongs_in_store(std::string_view kind, const nlohmann::json& fields);

 private:
  struct Pending {
    std::string kind, account, detail_json;
  };
  void run();

  std::unique_ptr<store::Store> store_;
  std::mutex mutex_;
  std::condition_variable wake_, written_;
  std::deque<Pending> queue_;
  std::size_t in_flight_ = 0;  // taken from the queue, not yet written
  std::size_t shed_ = 0;       // dropped since the queue last had room
  bool stopping_ = false;
  std::string last_error_;
  std::thread thread_;
};

}  // namespace tandem::daemon
