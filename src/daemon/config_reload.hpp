// Reloading a running node's config, on SIGHUP (`tandem reload NAME`, `systemctl reload
// tandem@NAME`). The file the daemon was started with is read and validated as a whole before
// anything changes; reload_plan.hpp decides whether the differences can be applied live. The
// outcome is all or nothing: the new peers are applied, or the daemon runs on exactly as before.
// Either way it logs one line ("reload: 1 peer added (far2), 0 removed, 0 changed", or "reload
// refused, nothing changed ...: " and why), tells systemd (RELOADING=1, then READY=1), and writes
// the report `tandem reload` waits for (reload_report.hpp).
#pragma once

#include <cstdint>
#include <string>

#include "control/config.hpp"
#include "daemon/wireguard_interface.hpp"

namespace tandem::daemon {

class ConfigReload {
 public:
  // `config_path` absolute (the daemon may have changed directory); `running` the config it
  // runs; `wg` its plain WireGuard interface, null when it has none (or is hybrid).
  ConfigReload(std::string config_path, control::NodeConfig running, WireguardInterface* wg);
  // Removes the report it wrote: it describes a daemon that is gone.
  ~ConfigReload();
  ConfigReload(const ConfigReload&) = delete;
  ConfigReload& operator=(const ConfigReload&) = delete;
  // On the control thread, from the signal handler.
  void reload();

 private:
  struct Outcome {
    bool applied;
    std::string message;
  };
  Outcome attempt();
  Outcome refused(const std::string& why) const;

  std::string config_path_;
  std::string name_;  // the instance name, for the restart hint and the report's file
  control::NodeConfig running_;
  WireguardInterface* wg_;
  std::uint64_t generation_ = 0;
};

}  // namespace tandem::daemon
