// The node's events for operators' tools: one JSON object per line for each handshake, login and
// refusal (with the reason, never a secret), failover, IKE SA, account change, revocation and
// key rotation, written to [events] file and, where the daemon logs to the systemd journal, to
// the journal as well (MESSAGE the JSON, TANDEM_EVENT its kind, so `journalctl TANDEM_EVENT=...`
// finds them). Each object has "time" (UTC, milliseconds), "node" (the interface) and "event"
// (e.g. "wireguard.handshake"), then the event's own fields.
//
// One sink for the process, reached through events(): the places that see an event (the
// WireGuard device's callbacks, the L2TP logins, the fallback, the store sync) are many, and
// threading a reference through them all would say nothing more. Thread-safe; an event costs a
// write only when a destination is set.
#pragma once

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::daemon {

class EventSink {
 public:
  // `file` (empty: none) is opened for appending, created mode 0640; `journal` sends each event
  // to the journal too.
  Result<Ok, std::string> configure(std::string node, const std::string& file, bool journal);
  bool enabled() const { return file_.valid() || journal_; }
  // One event of `kind` with `fields` (an object).
  void emit(std::string_view kind, nlohmann::json fields = nlohmann::json::object());
  // Closes the file (tests).
  void reset();

  // Also hands every event (kind and fields, before "time" and "node" are added) to `forward`,
  // whatever the destinations; empty stops it. It is called under the sink's lock: it must be
  // quick and must not emit (StoreEventLog::offer queues).
  using Forward = std::function<void(std::string_view kind, const nlohmann::json& fields)>;
  void set_forward(Forward forward);

 private:
  std::mutex mutex_;
  std::string node_;
  io::UniqueFd file_;
  bool journal_ = false;
  Forward forward_;
};

// The process's sink.
EventSink& events();

}  // namespace tandem::daemon
