#include "daemon/config_reload.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "daemon/instance_lock.hpp"
#include "daemon/node_startup.hpp"
#include "daemon/reload_plan.hpp"
#include "daemon/reload_report.hpp"
#include "io/service_notify.hpp"

namespace tandem::daemon {

ConfigReload::ConfigReload(std::string config_path, control::NodeConfig running, Apply apply)
    : config_path_(std::move(config_path)),
      name_(instance_name(config_path_)),
      running_(std::move(running)),
      apply_(std::move(apply)) {}

ConfigReload::~ConfigReload() {
  if (generation_ != 0) ::unlink(reload_report_path(name_).c_str());
}

ConfigReload::Outcome ConfigReload::refused(const std::string& why) const {
  return {false, why};
}

ConfigReload::Outcome ConfigReload::attempt() {
  auto next = control::load_node_config(config_path_);
  if (!next) return refused(next.error().to_string());
  if (prepare_)
    if (auto ok = prepare_(*next); !ok) return refused(config_path_ + ": " + ok.error());
  auto plan = plan_reload(running_, *next);
  if (!plan)
    return refused(config_path_ + ": " + plan.error().to_string() +
                   ": this needs a restart (tandem down " + name_ + " && tandem up " + name_ + ")");
  if (!plan->empty()) {
    if (!apply_) return refused(config_path_ + ": the peers of this node cannot change live");
    if (auto ok = apply_(*next, *plan); !ok) return refused(config_path_ + ": " + ok.error());
  }
  log_config_warnings(*next);
  running_ = std::move(*next);
  return {true, plan->summary()};
}

ConfigReload::Outcome ConfigReload::reload() {
  io::notify_reloading();
  spdlog::debug("SIGHUP: reading {} again", config_path_);
  const Outcome outcome = attempt();
  if (outcome.applied)
    spdlog::info("reload: {}", outcome.message);
  else
    spdlog::error("reload refused, nothing changed (running on with the previous config): {}",
                  outcome.message);
  io::notify_status(std::string(outcome.applied ? "reload: " : "reload refused: ") +
                    outcome.message);
  // READY=1 before the report: `systemctl reload` runs `tandem reload`, which returns on the
  // report, so systemd has heard that the reload ended by the time its ExecReload= exits.
  io::notify_ready();
  ReloadReport report{::getpid(), ++generation_, outcome.applied, outcome.message};
  if (auto ok = write_reload_report(reload_report_path(name_), report); !ok)
    spdlog::warn("{} (tandem reload will not learn the outcome)", ok.error());
  return outcome;
}

}  // namespace tandem::daemon
