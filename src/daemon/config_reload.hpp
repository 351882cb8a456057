// Reloading a running node's config, on SIGHUP (`tandem reload NAME`, `systemctl reload
// tandem@NAME`). The file the daemon was started with is read and validated as a whole before
// anything changes; reload_plan.hpp decides whether the differences can be applied live, and the
// interface that applies them (a plain WireGuard interface's peers, a hybrid gateway's accounts)
// may still refuse them for what only it knows, before it changes anything. The outcome is all
// or nothing: the new file is applied, or the daemon runs on exactly as before. Either way it
// logs one line ("reload: 1 peer added (far2), 0 removed, 0 changed", or "reload refused, nothing
// changed ...: " and why), tells systemd (RELOADING=1, then READY=1), and writes the report
// `tandem reload` waits for (reload_report.hpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/result.hpp"
#include "control/config.hpp"
#include "daemon/reload_plan.hpp"

namespace tandem::daemon {

class ConfigReload {
 public:
  // Puts a plan into effect, given the new config; an error means nothing of it was (the reload
  // is then refused with that reason).
  using Apply = std::function<Result<Ok, std::string>(const control::NodeConfig& next,
                                                      const ReloadPlan& plan)>;
  // `config_path` absolute (the daemon may have changed directory); `running` the config it
  // runs; `apply` what changes its peers (a plain WireGuard interface) or accounts (a hybrid
  // gateway), empty when nothing of it changes live.
  ConfigReload(std::string config_path, control::NodeConfig running, Apply apply);
  // Removes the report it wrote: it describes a daemon that is gone.
  ~ConfigReload();
  ConfigReload(const ConfigReload&) = delete;
  ConfigReload& operator=(const ConfigReload&) = delete;
  struct Outcome {
    bool applied;
    std::string message;  // what changed, or why nothing did
  };
  // On the control thread, from the signal handler or the admin socket.
  Outcome reload();
  // Completes a config just read before it is compared (a gateway whose accounts live in a
  // store takes them from there); an error refuses the reload.
  using Prepare = std::function<Result<Ok, std::string>(control::NodeConfig& next)>;
  void set_prepare(Prepare prepare) { prepare_ = std::move(prepare); }
  // The accounts changed outside a reload (the store): what the next reload compares with.
  void set_running_accounts(std::vector<control::AccountConfig> accounts) {
    running_.accounts = std::move(accounts);
  }

 private:
  Outcome attempt();
  Outcome refused(const std::string& why) const;

  std::string config_path_;
  std::string name_;  // the instance name, for the restart hint and the report's file
  control::NodeConfig running_;
  Apply apply_;
  Prepare prepare_;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::daemon
