#include "daemon/log_target.hpp"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <syslog.h>

#include <array>
#include <mutex>
#include <utility>

#include "io/system_log.hpp"

namespace tandem::daemon {
namespace {

constexpr const char* kIdentifier = "tandem";

constexpr std::array<std::pair<const char*, LogTarget>, 4> kTargets{{
    {"auto", LogTarget::kAuto},
    {"stderr", LogTarget::kStderr},
    {"journal", LogTarget::kJournal},
    {"syslog", LogTarget::kSyslog},
}};

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug:
      return LOG_DEBUG;
    case spdlog::level::warn:
      return LOG_WARNING;
    case spdlog::level::err:
      return LOG_ERR;
    case spdlog::level::critical:
      return LOG_CRIT;
    default:
      return LOG_INFO;
  }
}

// The journal stamps time and priority itself, so MESSAGE is the bare text.
class JournalSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit JournalSink(std::string interface_name) : interface_(std::move(interface_name)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    io::journal_send(syslog_priority(msg.level), kIdentifier, interface_,
                     std::string_view(msg.payload.data(), msg.payload.size()));
  }
  void flush_() override {}

 private:
  std::string interface_;
};

// syslog stamps time, host and "tandem[PID]:"; the line keeps the interface in brackets.
class SyslogSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  SyslogSink() { io::syslog_open(kIdentifier); }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line(formatted.data(), formatted.size());
    while (!line.empty() && line.back() == '\n') line.pop_back();
    io::syslog_send(syslog_priority(msg.level), line);
  }
  void flush_() override {}
};

}  // namespace

Result<LogTarget, std::string> parse_log_target(std::string_view text) {
  if (text.empty()) return LogTarget::kAuto;
  for (const auto& [name, target] : kTargets)
    if (text == name) return target;
  return Err("unknown log target '" + std::string(text) +
             "' (expected auto, stderr, journal or syslog)");
}

Result<LogTarget, std::string> parse_log_target_option(std::string_view text, bool detaching) {
  auto target = parse_log_target(text);
  if (target && detaching && *target == LogTarget::kStderr)
    return Err(
        std::string("--log-target stderr cannot be used with a daemon that detaches: its "
                    "stderr is /dev/null (use journal, syslog or auto)"));
  return target;
}

const char* log_target_name(LogTarget target) {
  for (const auto& [name, t] : kTargets)
    if (t == target) return name;
  return "auto";
}

LogSurroundings probe_log_surroundings(bool detached) {
  return LogSurroundings{detached, io::stderr_is_journal_stream(), io::journal_socket_present()};
}

LogTarget choose_log_target(LogTarget requested, const LogSurroundings& around) {
  if (requested != LogTarget::kAuto) return requested;
  if (around.detached) return around.journal_socket ? LogTarget::kJournal : LogTarget::kSyslog;
  if (around.stderr_is_journal && around.journal_socket) return LogTarget::kJournal;
  return LogTarget::kStderr;
}

void install_logger(LogTarget target, const std::string& interface_name,
                    spdlog::level::level_enum level) {
  std::shared_ptr<spdlog::logger> logger;
  switch (target) {
    case LogTarget::kJournal:
      logger = std::make_shared<spdlog::logger>(kIdentifier,
                                                std::make_shared<JournalSink>(interface_name));
      break;
    case LogTarget::kSyslog:
      logger = std::make_shared<spdlog::logger>(kIdentifier, std::make_shared<SyslogSink>());
      logger->set_pattern("[" + interface_name + "] %v");
      break;
    default:
      logger = spdlog::stderr_color_mt(kIdentifier);
      logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + interface_name + "] %v");
      break;
  }
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  logger->debug("logging to {}", log_target_name(target));
}

}  // namespace tandem::daemon
