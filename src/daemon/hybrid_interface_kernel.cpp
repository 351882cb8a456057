// Kernel policy routing on a hybrid client or site ([policy_routing] mode = "kernel",
// kernel_policy.hpp): the secondary path's own device, the ip rules and tables, and the device
// routes that follow each path's health.
#include <spdlog/spdlog.h>

#include "daemon/hybrid_interface.hpp"
#include "daemon/node_startup.hpp"
#include "io/netlink.hpp"

namespace tandem::daemon {

Result<Ok, std::string> HybridInterface::start_kernel_policy() {
  const auto& settings = config_.policy_routing;
  // The secondary's device carries the same inner address: the kernel then picks it as the
  // source of what it routes there, as on the primary's. Host prefixes, so that the main table
  // gets no second route for the subnet.
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  const int ifindex = secondary_tun_->index();
  for (const auto& a : config_.interface->addresses) {
    const InterfaceAddress host{a.address, a.address.is_v4() ? 32u : 128u};
    if (auto ok = nl->add_address(ifindex, host); !ok)
      return Err("address " + host.to_string() + " on " + secondary_tun_->name() + ": " +
                 ok.error());
  }
  if (auto ok = nl->set_link_up(ifindex); !ok) return ok;

  auto routes = io::PolicyRoutes::open();
  if (!routes) return Err("kernel policy routing: " + routes.error());
  policy_routes_ = std::move(*routes);
  auto plan = plan_kernel_policy(config_.policies, settings.table, settings.priority,
                                 plan_peer_routes(config_).routes, {tun_.index(), ifindex});
  if (!plan) return Err(plan.error());
  kernel_policy_ = std::move(*plan);
  // What a run that was killed (kill -9, a crash) left in these tables stays until removed: a
  // second install of the same rules would fail, and stale rules would point at devices gone.
  auto stale = policy_routes_->remove_stale(kernel_policy_->tables);
  if (!stale) return Err("kernel policy routing: removing stale rules: " + stale.error());
  if (stale->rules + stale->routes > 0)
    spdlog::warn(
        "kernel policy routing: removed {} rules and {} routes left in tables {}-{} by "
        "an earlier run that did not stop cleanly",
        stale->rules, stale->routes, kernel_policy_->tables.first, kernel_policy_->tables.last);
  if (auto ok = policy_routes_->install(kernel_policy_->fixed); !ok)
    return Err("kernel policy routing: " + ok.error());
  kernel_fixed_in_ = true;
  spdlog::info(
      "kernel policy routing: {} rules from preference {}, tables {}-{}; the secondary "
      "path's device is {}",
      kernel_policy_->fixed.rules.size(), settings.priority, kernel_policy_->tables.first,
      kernel_policy_->tables.last, secondary_tun_->name());
  if (auto ok =
          loop_->watch_readable(secondary_tun_->fd(), [this] { on_secondary_tun_readable(); });
      !ok)
    return ok;
  sync_kernel_routes();
  return Ok{};
}

void HybridInterface::sync_kernel_routes() {
  if (!kernel_policy_ || !kernel_fixed_in_) return;
  for (const auto role : {hybrid::PathRole::kPrimary, hybrid::PathRole::kSecondary}) {
    bool usable = false;
    {
      std::lock_guard lock(mutex_);
      usable = path_usable(role);
    }
    const auto i = static_cast<std::size_t>(role);
    if (usable == kernel_routes_in_[i]) continue;
    const io::PolicyPlan& routes = kernel_policy_->device_routes[i];
    auto ok = usable ? policy_routes_->install(routes) : policy_routes_->remove(routes);
    if (!ok) {
      spdlog::error("kernel policy routing: {} routes of {}: {}", usable ? "adding" : "removing",
                    hybrid::path_kind_name(kind_for(role)), ok.error());
      continue;
    }
    kernel_routes_in_[i] = usable;
    spdlog::info("kernel policy routing: {} {} its tables", hybrid::path_kind_name(kind_for(role)),
                 usable ? "usable, its routes back in" : "down, its routes out of");
  }
}

void HybridInterface::on_secondary_tun_readable() {
  auto n = secondary_tun_->read_batch(secondary_read_);
  if (!n || *n == 0) return;
  ControlSlot& slot = secondary();
  if (!slot.path || hanging_up_) {
    std::lock_guard lock(mutex_);
    counters_.dropped_no_route += *n;
    return;
  }
  {
    std::lock_guard lock(mutex_);
    counters_.to_control_path += *n;
    for (const Packet& p : secondary_read_) count_sent(slot.kind, p.length);
  }
  fit_to_path(*slot.path, secondary_read_);
  slot.path->send_inner(secondary_read_);
  if (!fragments_.empty()) slot.path->send_inner(fragments_);
}

void HybridInterface::stop_kernel_policy() {
  if (!policy_routes_ || !kernel_policy_) return;
  if (loop_ && secondary_tun_) loop_->unwatch(secondary_tun_->fd());
  for (std::size_t i = 0; i < 2; ++i)
    if (kernel_routes_in_[i]) (void)policy_routes_->remove(kernel_policy_->device_routes[i]);
  kernel_routes_in_ = {};
  if (kernel_fixed_in_) {
    if (auto ok = policy_routes_->remove(kernel_policy_->fixed); !ok)
      spdlog::error("kernel policy routing: {}", ok.error());
    else
      spdlog::info("kernel policy routing: rules and tables {}-{} removed",
                   kernel_policy_->tables.first, kernel_policy_->tables.last);
  }
  kernel_fixed_in_ = false;
}

nlohmann::json HybridInterface::kernel_policy_json() const {
  nlohmann::json j{{"mode", kernel_policy_ ? "kernel" : "daemon"}};
  if (!kernel_policy_) return j;
  j["secondary_device"] = secondary_tun_->name();
  j["tables"] = {kernel_policy_->tables.first, kernel_policy_->tables.last};
  j["rules"] = kernel_policy_->fixed.rules.size();
  j["routes_in"] = {
      {hybrid::path_kind_name(kind_for(hybrid::PathRole::kPrimary)), kernel_routes_in_[0]},
      {hybrid::path_kind_name(kind_for(hybrid::PathRole::kSecondary)), kernel_routes_in_[1]}};
  return j;
}

}  // namespace tandem::daemon
