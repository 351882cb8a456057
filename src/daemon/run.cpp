#include "daemon/run.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <iostream>

#include "control/config.hpp"
#include "daemon/account_store_sync.hpp"
#include "daemon/admin_server.hpp"
#include "daemon/config_reload.hpp"
#include "daemon/dns_service.hpp"
#include "daemon/event_sink.hpp"
#include "daemon/host_resolver.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/instance_lock.hpp"
#include "daemon/interface_hooks.hpp"
#include "daemon/ipsec_tunnel_interface.hpp"
#include "daemon/l2tp_interface.hpp"
#include "daemon/log_level.hpp"
#include "daemon/log_target.hpp"
#include "daemon/metrics_endpoint.hpp"
#include "daemon/nested_interface.hpp"
#include "daemon/node_startup.hpp"
#include "daemon/store_event_log.hpp"
#include "daemon/uapi_client.hpp"
#include "daemon/wireguard_interface.hpp"
#include "daemon/wireguard_setup.hpp"
#include "io/daemonize.hpp"
#include "io/event_loop.hpp"
#include "io/resolve.hpp"
#include "io/service_notify.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {
namespace {

// After go_background: a detached daemon's stderr is /dev/null (log_target.hpp).
// Returns where the lines go (the journal takes the node's events too).
LogTarget setup_logging(const std::string& interface_name, spdlog::level::level_enum level,
                        LogTarget requested, bool detached) {
  const LogTarget target = choose_log_target(requested, probe_log_surroundings(detached));
  install_logger(target, interface_name, level);
  return target;
}

// Forks when asked; returns the exit code for the parent, or nullopt in the process that goes on.
struct Background {
  std::optional<io::Daemonization> daemon;
  std::optional<int> parent_exit;
};
Background go_background(bool background) {
  Background b;
  if (!background) return b;
  auto d = io::Daemonization::start();
  if (!d) {
    std::cerr << "tandem: cannot daemonize: " << d.error() << "\n";
    b.parent_exit = 1;
    return b;
  }
  if (!d->is_child()) {
    auto ready = d->wait_for_child();
    if (!ready) std::cerr << "tandem: " << ready.error() << "\n";
    b.parent_exit = ready ? 0 : 1;
    return b;
  }
  b.daemon = std::move(*d);
  return b;
}

int fail(Background& b, const std::string& message) {
  spdlog::error("{}", message);
  if (b.daemon) b.daemon->report_failure(message);
  io::notify_status(message);  // `systemctl status` shows why
  return 1;
}

int serve(Background& b, WireguardInterface& iface) {
  if (b.daemon) b.daemon->report_ready();
  io::notify_ready("interface " + iface.name() + " up");  // every interface is up by now
  spdlog::info("interface {} up", iface.name());
  auto ran = iface.run();
  io::notify_stopping();
  if (!ran) {
    spdlog::error("{}", ran.error());
    return 1;
  }
  spdlog::info("interface {} down", iface.name());
  return 0;
}

}  // namespace

int run_userspace(const UserspaceOptions& options) {
  if (!control::valid_interface_name(options.interface_name)) {
    std::cerr << "tandem: invalid interface name '" << options.interface_name << "'\n";
    return 1;
  }
  auto level = parse_log_level(options.log_level);
  auto target = parse_log_target_option(options.log_target, !options.foreground);
  if (!level || !target) {
    std::cerr << "tandem: " << (level ? target.error() : level.error()) << "\n";
    return 1;
  }
  Background b = go_background(!options.foreground);
  if (b.parent_exit) return *b.parent_exit;
  setup_logging(options.interface_name, *level, *target, b.daemon.has_value());
  auto iface = WireguardInterface::create(options.interface_name, 1420, 0);
  if (!iface) return fail(b, "cannot create interface: " + iface.error());
  const std::string socket = uapi_socket_path(kUapiSocketDir, options.interface_name);
  if (auto ok = (*iface)->serve_uapi(socket); !ok)
    return fail(b, "cannot serve UAPI at " + socket + ": " + ok.error());
  return serve(b, **iface);
}

namespace {

// How often a gateway looks for changes in its accounts' store: a revocation ends sessions within
// about this long.
constexpr Duration kAccountStorePoll = std::chrono::milliseconds(250);

// The WireGuard half of `tandem up`: pre_up, then the interface, its peers, addresses and
// routes. DNS and post_up follow once every section is up (interface_hooks.hpp).
Result<std::unique_ptr<WireguardInterface>, std::string> start_wireguard(
    const control::NodeConfig& cfg, InterfaceHooks& hooks) {
  const auto& ic = *cfg.interface;
  if (auto ok = hooks.pre_up(); !ok) return Err(ok.error());
  std::string why;
  const unsigned mtu = wireguard_device_mtu(cfg, &why);
  spdlog::info("{}: MTU {} ({})", ic.name, mtu, why);
  auto iface = WireguardInterface::create(ic.name, mtu, ic.listen_port);
  if (!iface) return Err("cannot create interface: " + iface.error());
  if (auto ok = apply_peers(**iface, cfg); !ok) return Err(ok.error());
  if (auto ok = configure_device((*iface)->ifindex(), cfg); !ok) return Err(ok.error());
  (*iface)->start();
  const std::string socket = uapi_socket_path(kUapiSocketDir, ic.name);
  if (auto ok = (*iface)->serve_uapi(socket); !ok)
    return Err("cannot serve UAPI at " + socket + ": " + ok.error());
  return std::move(*iface);
}

// The L2TP half: resolves the server (client role), creates the device and joins `loop`.
Result<std::unique_ptr<L2tpInterface>, std::string> start_l2tp(const control::L2tpConfig& cfg,
                                                               io::EventLoop& loop) {
  Endpoint server;
  if (cfg.role == control::L2tpRole::kLac) {
    auto ep = io::resolve_endpoint(cfg.server_host, cfg.server_port);
    if (!ep) return Err("L2TP server " + cfg.server_host + ": " + ep.error());
    server = *ep;
  }
  auto l2tp = L2tpInterface::create(cfg, server);
  if (!l2tp) return Err(l2tp.error());
  if (auto ok = (*l2tp)->attach(loop); !ok) return Err(ok.error());
  return std::move(*l2tp);
}

// The site-to-site IPsec half: the tunnel device, IKE and ESP, on `loop`.
Result<std::unique_ptr<IpsecTunnelInterface>, std::string> start_ipsec(
    const control::IpsecConfig& cfg, io::EventLoop& loop) {
  auto ipsec = IpsecTunnelInterface::create(cfg);
  if (!ipsec) return Err(ipsec.error());
  if (auto ok = (*ipsec)->attach(loop); !ok) return Err(ok.error());
  return std::move(*ipsec);
}

// A hybrid node: one interface, its paths and router (hybrid_interface.hpp), or its nested
// stack (nested_interface.hpp).
// Ends the event sink's forwarding when it goes out of scope (run_hybrid's store event log).
struct StopForwarding {
  StopForwarding() = default;
  StopForwarding(const StopForwarding&) = delete;
  StopForwarding& operator=(const StopForwarding&) = delete;
  ~StopForwarding() { events().set_forward(nullptr); }
};

// The admin socket's answer to a reload: what SIGHUP does, with its outcome.
nlohmann::json reload_reply(ConfigReload& reload) {
  const ConfigReload::Outcome outcome = reload.reload();
  return {{"applied", outcome.applied}, {"message", outcome.message}};
}

// A hybrid node: one interface, its paths and router (hybrid_interface.hpp), or its nested
// stack (nested_interface.hpp).
template <typename Interface>
int run_hybrid(Background& b, const std::string& config_path, const std::string& instance,
               control::NodeConfig cfg) {
  // A gateway whose accounts live in a store starts with the store's, and follows it.
  std::unique_ptr<AccountStoreSync> store_sync;
  std::unique_ptr<StoreEventLog> store_events;  // the accounts' logins and refusals, kept there
  if (cfg.account_pool.store) {
    auto opened = AccountStoreSync::open(cfg);
    if (!opened) return fail(b, opened.error());
    store_sync = std::move(*opened);
    auto log = StoreEventLog::open(cfg);
    if (!log) return fail(b, log.error());
    store_events = std::move(*log);
    events().set_forward(
        [log = store_events.get()](std::string_view kind, const nlohmann::json& fields) {
          log->offer(kind, fields);
        });
  }
  // Before store_events goes: nothing may be handed to it once it is gone.
  const StopForwarding stop_forwarding;
  InterfaceHooks hooks(*cfg.interface);
  if (auto ok = hooks.pre_up(); !ok) return fail(b, ok.error());
  auto iface = Interface::create(cfg);
  if (!iface) return fail(b, iface.error());
  if (auto ok = (*iface)->start(); !ok) return fail(b, ok.error());
  auto metrics = MetricsEndpoint::start(cfg, admin_socket_path(instance));  // [metrics]
  if (!metrics) return fail(b, metrics.error());
  std::unique_ptr<DnsService> dns;  // [dns], on the control loop
  if (cfg.dns) {
    auto started = DnsService::start((*iface)->control_loop(), *cfg.dns, (*iface)->name());
    if (!started) return fail(b, started.error());
    dns = std::move(*started);
  }
  std::unique_ptr<HostResolver> host_resolver;  // [dns] host_resolver: restored when it goes
  if (cfg.dns && cfg.dns->host_resolver) {
    auto applied = HostResolver::apply(*cfg.dns, instance, (*iface)->name());
    if (!applied) return fail(b, applied.error());
    host_resolver = std::move(*applied);
  }
  // A gateway's accounts change live; a client's fallback and peer do not.
  ConfigReload reload(
      config_path, cfg,
      [&](const control::NodeConfig& next, const ReloadPlan&) -> Result<Ok, std::string> {
        if constexpr (std::is_same_v<Interface, HybridInterface>)
          return (*iface)->reload_accounts(next);
        (void)next;
        return Err(std::string("a nested stack takes a changed config only on a restart"));
      });
  io::EventLoop& loop = (*iface)->control_loop();
  AdminHandlers admin;
  admin.interfaces = [&] {
    nlohmann::json doc = (*iface)->admin_document();
    if (dns) doc["dns"] = dns->status_json();
    return nlohmann::json::array({std::move(doc)});
  };
  admin.reload = [&] { return reload_reply(reload); };
  admin.stop = stop_by_signal;
  std::optional<io::EventLoop::TimerId> store_timer;
  if constexpr (std::is_same_v<Interface, HybridInterface>) {
    admin.drill = [&](unsigned seconds) { return (*iface)->drill(seconds); };
    if (store_sync) {
      reload.set_prepare([&](control::NodeConfig& next) { return store_sync->fill(next); });
      auto running = std::make_shared<control::NodeConfig>(cfg);
      auto sync = [&, running]() {
        return store_sync->poll(
            *running, [&](const control::NodeConfig& next) -> Result<Ok, std::string> {
              if (auto ok = (*iface)->reload_accounts(next, HybridInterface::LiveSessions::kHangUp);
                  !ok)
                return ok;
              running->accounts = next.accounts;
              reload.set_running_accounts(next.accounts);
              return Ok{};
            });
      };
      admin.sync_accounts = [sync]() -> Result<nlohmann::json, std::string> {
        auto applied = sync();
        if (!applied) return Err(applied.error());
        return nlohmann::json{{"changed", !applied->empty()}, {"accounts", *applied}};
      };
      auto timer = loop.add_timer([&, sync] {
        (void)sync();  // what it could not apply, it logged; the next look tries again
        loop.arm_timer(*store_timer, io::SystemClock::now() + kAccountStorePoll);
      });
      if (!timer) return fail(b, timer.error());
      store_timer = *timer;
      loop.arm_timer(*store_timer, io::SystemClock::now() + kAccountStorePoll);
    }
  }
  auto admin_server = AdminServer::start(loop, instance, cfg.admin_group, std::move(admin));
  if (!admin_server) return fail(b, admin_server.error());
  if (auto ok = hooks.post_up(); !ok) return fail(b, ok.error());
  if (b.daemon) b.daemon->report_ready();
  io::notify_ready("interface " + (*iface)->name() + " up");
  spdlog::info("interface {} up", (*iface)->name());
  auto ran = (*iface)->run([&] { reload.reload(); });
  admin_server->reset();
  if (store_timer) loop.remove_timer(*store_timer);
  host_resolver.reset();
  dns.reset();
  hooks.pre_down();
  const std::string name = (*iface)->name();
  iface->reset();
  hooks.post_down();
  if (!ran) {
    spdlog::error("{}", ran.error());
    return 1;
  }
  spdlog::info("interface {} down", name);
  return 0;
}

}  // namespace

int run_up(const UpOptions& options) {
  auto level = parse_log_level(options.log_level);
  auto target = parse_log_target_option(options.log_target, options.daemonize);
  if (!level || !target) {
    std::cerr << "tandem: " << (level ? target.error() : level.error()) << "\n";
    return 1;
  }
  // Blocked before any thread exists, so that every thread the node starts (the store's event
  // log, the resolver, the interfaces' workers) inherits the block and only the control loop's
  // signalfd ever takes them: a SIGTERM landing on another thread would end the process on the
  // spot, with no hang-ups and no cleanup. One that comes while the node starts waits for the
  // control loop (a SIGHUP then reloads) rather than ending the process as its default action
  // would.
  if (auto ok = io::EventLoop::defer_signals(io::EventLoop::daemon_signals()); !ok) {
    std::cerr << "tandem: " << ok.error() << "\n";
    return 1;
  }
  // Absolute: a reload reads the file again after the daemon has changed to /.
  const std::string config_path =
      std::filesystem::absolute(options.config_path).lexically_normal().string();
  auto cfg = control::load_node_config(config_path);
  if (!cfg) {
    std::cerr << "tandem: " << cfg.error().to_string() << "\n";
    return 1;
  }
  // One daemon per config: refused here, before any device or socket exists. Taken before the
  // fork, the lock is shared with the child and stays held by it (instance_lock.hpp).
  const std::string instance = instance_name(options.config_path);
  auto instance_lock = InstanceLock::acquire(instance);
  if (!instance_lock) {
    std::cerr << "tandem: " << instance_lock.error() << "\n";
    return 1;
  }
  Background b = go_background(options.daemonize);
  if (b.parent_exit) return *b.parent_exit;
  if (b.daemon)  // the pidfile must name the process that stays, not the parent that exits
    if (auto ok = instance_lock->record_this_process(); !ok) return fail(b, ok.error());
  const std::string node = cfg->interface ? cfg->interface->name
                           : cfg->l2tp   ? cfg->l2tp->interface
                                         : cfg->ipsec->interface;
  const LogTarget logging = setup_logging(node, *level, *target, b.daemon.has_value());
  if (auto ok = events().configure(node, cfg->events_file, logging == LogTarget::kJournal); !ok)
    return fail(b, ok.error());
  log_config_warnings(*cfg);
  // A killed run's resolv.conf first, so that nothing takes its rewritten file for the original.
  if (auto ok = HostResolver::restore_leftover(instance); !ok) return fail(b, ok.error());
  if (cfg->nesting) return run_hybrid<NestedInterface>(b, config_path, instance, *cfg);
  if (cfg->hybrid()) return run_hybrid<HybridInterface>(b, config_path, instance, *cfg);

  std::optional<InterfaceHooks> hooks;  // outlives the device: post_down runs after it is gone
  std::unique_ptr<WireguardInterface> wg;
  if (cfg->interface) {
    hooks.emplace(*cfg->interface);
    auto started = start_wireguard(*cfg, *hooks);
    if (!started) return fail(b, started.error());
    wg = std::move(*started);
  }
  // L2TP shares WireGuard's control loop when both run; otherwise it has its own.
  std::unique_ptr<io::EventLoop> own_loop;
  io::EventLoop* loop = wg ? &wg->control_loop() : nullptr;
  if (!loop) {
    auto created = io::EventLoop::create();
    if (!created) return fail(b, created.error());
    own_loop = std::move(*created);
    loop = own_loop.get();
  }
  std::unique_ptr<L2tpInterface> l2tp;
  if (cfg->l2tp) {
    auto started = start_l2tp(*cfg->l2tp, *loop);
    if (!started) return fail(b, started.error());
    l2tp = std::move(*started);
  }
  std::unique_ptr<IpsecTunnelInterface> ipsec;
  if (cfg->ipsec) {
    auto started = start_ipsec(*cfg->ipsec, *loop);
    if (!started) return fail(b, started.error());
    ipsec = std::move(*started);
  }
  auto metrics = MetricsEndpoint::start(*cfg, admin_socket_path(instance));  // [metrics]
  if (!metrics) return fail(b, metrics.error());
  std::unique_ptr<DnsService> dns;  // [dns] (config: only beside an [interface]), on its loop
  if (cfg->dns && wg) {
    auto started = DnsService::start(*loop, *cfg->dns, wg->name());
    if (!started) return fail(b, started.error());
    dns = std::move(*started);
  }
  std::unique_ptr<HostResolver> host_resolver;  // [dns] host_resolver: restored when it goes
  if (dns && cfg->dns->host_resolver) {
    auto applied = HostResolver::apply(*cfg->dns, instance, wg->name());
    if (!applied) return fail(b, applied.error());
    host_resolver = std::move(*applied);
  }
  if (hooks)  // DNS and post_up once every section is up
    if (auto ok = hooks->post_up(); !ok) return fail(b, ok.error());
  // SIGHUP reloads the config. A stop hangs up every L2TP session cleanly (CDN, StopCCN) and
  // deletes the IPsec SAs (telling the peers) before the loop ends.
  ConfigReload::Apply apply_peers_live;
  if (wg)
    apply_peers_live = [&](const control::NodeConfig&, const ReloadPlan& plan) {
      return apply_peer_changes(*wg, plan);
    };
  ConfigReload reload(config_path, *cfg, apply_peers_live);
  AdminHandlers admin;
  admin.interfaces = [&] {
    auto list = nlohmann::json::array();
    if (wg) list.push_back(wireguard_document(*wg));
    if (dns) list.back()["dns"] = dns->status_json();
    if (l2tp) list.push_back(status_document("l2tp", l2tp->status_json()));
    if (ipsec) list.push_back(status_document("ipsec", ipsec->status_json()));
    return list;
  };
  admin.reload = [&] { return reload_reply(reload); };
  admin.stop = stop_by_signal;
  auto admin_server = AdminServer::start(*loop, instance, cfg->admin_group, std::move(admin));
  if (!admin_server) return fail(b, admin_server.error());
  bool stopping = false;
  auto on_signal = [&](int sig) {
    if (sig == SIGHUP) {
      if (!stopping) reload.reload();
      return;
    }
    if (stopping) return;
    stopping = true;
    io::notify_stopping();
    if (ipsec) ipsec->shut_down();
    if (!l2tp) {
      spdlog::info("signal {}: shutting down", sig);
      loop->stop();
      return;
    }
    spdlog::info("signal {}: hanging up every L2TP session", sig);
    l2tp->shut_down([&] { loop->stop(); });
  };
  if (wg) {
    loop->set_signal_handler(on_signal);
    const int rc = serve(b, *wg);
    admin_server->reset();
    host_resolver.reset();
    dns.reset();
    hooks->pre_down();
    l2tp.reset();
    ipsec.reset();
    wg.reset();
    hooks->post_down();
    return rc;
  }
  if (auto ok = loop->handle_signals(io::EventLoop::daemon_signals(), on_signal); !ok)
    return fail(b, ok.error());
  if (b.daemon) b.daemon->report_ready();
  io::notify_ready("interfaces up");
  auto ran = loop->run();
  admin_server->reset();
  l2tp.reset();
  ipsec.reset();
  if (!ran) {
    spdlog::error("{}", ran.error());
    return 1;
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace tandem::daemon
