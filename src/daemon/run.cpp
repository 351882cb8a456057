#include "daemon/run.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <iostream>

#include "control/config.hpp"
#include "daemon/uapi_client.hpp"
#include "daemon/wireguard_interface.hpp"
#include "io/daemonize.hpp"
#include "io/netlink.hpp"
#include "io/resolve.hpp"

namespace tandem::daemon {
namespace {

void setup_logging(const std::string& interface_name) {
  auto logger = spdlog::stderr_color_mt("tandem");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + interface_name + "] %v");
  spdlog::set_default_logger(logger);
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
  return 1;
}

int serve(Background& b, WireguardInterface& iface) {
  if (b.daemon) b.daemon->report_ready();
  spdlog::info("interface {} up", iface.name());
  auto ran = iface.run();
  if (!ran) {
    spdlog::error("{}", ran.error());
    return 1;
  }
  spdlog::info("interface {} down", iface.name());
  return 0;
}

control::UapiSet config_to_set(const control::NodeConfig& cfg) {
  control::UapiSet set;
  set.private_key = cfg.interface.private_key;
  set.fwmark = cfg.interface.fwmark;
  set.replace_peers = true;
  return set;
}

}  // namespace

int run_userspace(const UserspaceOptions& options) {
  if (!control::valid_interface_name(options.interface_name)) {
    std::cerr << "tandem: invalid interface name '" << options.interface_name << "'\n";
    return 1;
  }
  Background b = go_background(!options.foreground);
  if (b.parent_exit) return *b.parent_exit;
  setup_logging(options.interface_name);
  auto iface = WireguardInterface::create(options.interface_name, 1420, 0);
  if (!iface) return fail(b, "cannot create interface: " + iface.error());
  const std::string socket = uapi_socket_path(kUapiSocketDir, options.interface_name);
  if (auto ok = (*iface)->serve_uapi(socket); !ok)
    return fail(b, "cannot serve UAPI at " + socket + ": " + ok.error());
  return serve(b, **iface);
}

int run_up(const UpOptions& options) {
  auto cfg = control::load_node_config(options.config_path);
  if (!cfg) {
    std::cerr << "tandem: " << cfg.error().to_string() << "\n";
    return 1;
  }
  Background b = go_background(options.daemonize);
  if (b.parent_exit) return *b.parent_exit;
  const auto& ic = cfg->interface;
  setup_logging(ic.name);

  control::UapiSet set = config_to_set(*cfg);
  for (const auto& p : cfg->peers) {
    control::UapiPeerSet ps;
    ps.public_key = p.public_key;
    ps.preshared_key = p.preshared_key;
    if (p.endpoint_host) {
      auto ep = io::resolve_endpoint(*p.endpoint_host, p.endpoint_port);
      if (!ep) return fail(b, "peer " + (p.name.empty() ? "?" : p.name) + ": " + ep.error());
      ps.endpoint = *ep;
    }
    ps.persistent_keepalive_interval = p.persistent_keepalive;
    ps.replace_allowed_ips = true;
    ps.allowed_ips = p.allowed_ips;
    set.peers.push_back(std::move(ps));
  }

  auto iface = WireguardInterface::create(ic.name, ic.mtu, ic.listen_port);
  if (!iface) return fail(b, "cannot create interface: " + iface.error());
  if (int err = (*iface)->apply(set); err != 0)
    return fail(b, "cannot apply configuration (errno " + std::to_string(err) + ")");

  auto nl = io::Netlink::open();
  if (!nl) return fail(b, nl.error());
  const int ifindex = (*iface)->ifindex();
  for (const auto& a : ic.addresses)
    if (auto ok = nl->add_address(ifindex, a); !ok)
      return fail(b, "cannot add address " + a.to_string() + ": " + ok.error());
  if (auto ok = nl->set_link_up(ifindex); !ok) return fail(b, ok.error());
  for (const auto& p : cfg->peers)
    for (const auto& prefix : p.allowed_ips) {
      if (prefix.length() == 0) {
        spdlog::warn(
            "allowed IP {} is not routed automatically (default routes need policy "
            "routing, which this version does not set up)",
            prefix.to_string());
        continue;
      }
      // A prefix inside one of our own connected subnets is reached through that route.
      if (auto ok = nl->add_route(io::Route{prefix, ifindex, std::nullopt, std::nullopt});
          !ok && ok.error().find("exists") == std::string::npos)
        spdlog::warn("route {}: {}", prefix.to_string(), ok.error());
    }
  const std::string socket = uapi_socket_path(kUapiSocketDir, ic.name);
  if (auto ok = (*iface)->serve_uapi(socket); !ok)
    return fail(b, "cannot serve UAPI at " + socket + ": " + ok.error());
  return serve(b, **iface);
}

}  // namespace tandem::daemon
