#include "daemon/event_sink.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <vector>

#include "io/system_log.hpp"

namespace tandem::daemon {
namespace {

std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms));
  return text;
}

}  // namespace

Result<Ok, std::string> EventSink::configure(std::string node, const std::string& file,
                                             bool journal) {
  std::lock_guard lock(mutex_);
  node_ = std::move(node);
  journal_ = journal;
  file_.reset();
  if (file.empty()) return Ok{};
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0)
    return Err("[events] file " + file + ": " + std::strerror(errno) +
               " (its directory must exist and be writable by the daemon)");
  file_.reset(fd);
  return Ok{};
}

void EventSink::emit(std::string_view kind, nlohmann::json fields) {
  std::lock_guard lock(mutex_);
  if (forward_) forward_(kind, fields);
  if (!file_.valid() && !journal_) return;
  nlohmann::json event = {{"time", utc_now()}, {"node", node_}, {"event", kind}};
  for (auto& [key, value] : fields.items()) event[key] = std::move(value);
  const std::string line = event.dump();
  if (file_.valid()) {
    const std::string with_newline = line + "\n";
    // One write per event, O_APPEND: lines never interleave, even with another writer.
    if (::write(file_.get(), with_newline.data(), with_newline.size()) < 0) {
      // Nowhere better to say it than the log, once: the file is closed.
      file_.reset();
    }
  }
  if (journal_)
    io::journal_send_fields({"MESSAGE=" + line, "PRIORITY=6", "SYSLOG_IDENTIFIER=tandem",
                             "INTERFACE=" + node_, "TANDEM_EVENT=" + std::string(kind)});
}

void EventSink::set_forward(Forward forward) {
  std::lock_guard lock(mutex_);
  forward_ = std::move(forward);
}

void EventSink::reset() {
  std::lock_guard lock(mutex_);
  file_.reset();
  journal_ = false;
}

EventSink& events() {
  static EventSink sink;
  return sink;
}

}  // namespace tandem::daemon
