#include "daemon/underlay_route_watch.hpp"

#include <spdlog/spdlog.h>

namespace tandem::daemon {

UnderlayRouteWatch::UnderlayRouteWatch(std::string owner) : owner_(std::move(owner)) {
  auto monitor = io::RouteMonitor::open();
  if (!monitor) {
    spdlog::warn(
        "{}: cannot watch the routing table ({}): a path whose underlay route changes is "
        "measured again only when its data black-holes or at the next periodic search",
        owner_, monitor.error());
    return;
  }
  monitor_.emplace(std::move(*monitor));
}

void UnderlayRouteWatch::begin_round() {
  if (monitor_ && monitor_->drain()) changed_ = true;
  for (auto& [destination, r] : known_) r.asked = false;
}

std::optional<io::RouteChoice> UnderlayRouteWatch::look_up(const IpAddress& destination) {
  auto route = monitor_->lookup(destination);
  if (!route) return std::nullopt;
  return *route;
}

std::optional<io::RouteChoice> UnderlayRouteWatch::moved(const IpAddress& destination) {
  if (!monitor_) return std::nullopt;
  auto [it, first] = known_.try_emplace(destination);
  it->second.asked = true;
  if (first) {
    it->second.route = look_up(destination);
    return std::nullopt;
  }
  if (!changed_) return std::nullopt;
  auto now = look_up(destination);
  if (now == it->second.route) return std::nullopt;
  it->second.route = now;
  // No route now: nothing to probe over either; the path's own liveness notices.
  return now;
}

bool UnderlayRouteWatch::changed() {
  if (monitor_ && monitor_->drain()) changed_ = true;
  return changed_;
}

void UnderlayRouteWatch::end_round() {
  std::erase_if(known_, [](const auto& entry) { return !entry.second.asked; });
  changed_ = false;
}

}  // namespace tandem::daemon
