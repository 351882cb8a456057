#include "cli/drill_command.hpp"

#include <poll.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/admin_client.hpp"
#include "cli/drill_report.hpp"
#include "io/icmp_pinger.hpp"

namespace tandem::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kStatusEveryMs = 25;
constexpr std::int64_t kSwitchBoundMs = 2000;
// An on-demand secondary is dialled when the drill starts: IKE, L2TP and PPP (or IKE alone) must
// come up and earn health before traffic can move.
constexpr std::int64_t kOnDemandSwitchBoundMs = 20000;
constexpr std::int64_t kReplyGraceMs = 1000;

// The hybrid interface's document in its daemon's status reply.
std::optional<nlohmann::json> hybrid_status(const std::string& socket, const std::string& name) {
  auto body = ask_daemon(socket, {control::AdminCommand::kStatus, 0});
  if (!body) return std::nullopt;
  for (const auto& doc : body->value("interfaces", nlohmann::json::array()))
    if (doc.is_object() && doc.value("interface", "") == name) return doc;
  return std::nullopt;
}

}  // namespace

int run_drill(const DrillOptions& options, std::ostream& out, std::ostream& err) {
  auto found = find_interface(options.admin_socket_dir, options.interface_name);
  if (!found) {
    err << "drill: " << found.error() << " (is " << options.interface_name
        << " a running hybrid client? drills need a config with [fallback])\n";
    return 1;
  }
  const std::string& socket = found->socket;
  const nlohmann::json* status = &found->document;
  if (status->value("kind", "") != "hybrid") {
    err << "drill: " << options.interface_name
        << " is no hybrid interface; drills run on a hybrid client with [fallback]\n";
    return 1;
  }
  if (status->value("role", "") != "client") {
    err << "drill: " << options.interface_name
        << " is a hybrid gateway; drills run on a client with [fallback]\n";
    return 1;
  }
  if (status->value("active", "") != "wireguard") {
    err << "drill: traffic is on " << status->value("active", "?")
        << " already; drill once WireGuard carries it again (tandem status "
        << options.interface_name << ")\n";
    return 1;
  }
  const auto paths = status->value("paths", nlohmann::json::array());
  const bool on_demand = status->value("secondary_mode", "") == "on-demand";
  if (paths.size() != 2 || (!on_demand && !paths[1].value("healthy", false))) {
    err << "drill: the secondary path is not healthy, so a drill would cut the traffic; see "
           "tandem status "
        << options.interface_name << "\n";
    return 1;
  }
  const auto gateway = IpAddress::parse(status->value("gateway", ""));
  if (!gateway) {
    err << "drill: the daemon did not say which gateway address to ping\n";
    return 1;
  }
  auto pinger = io::IcmpPinger::open(*gateway);
  if (!pinger) {
    err << "drill: " << pinger.error() << "\n";
    return 1;
  }

  const std::int64_t held_ms = std::int64_t{options.seconds} * 1000;
  const std::int64_t deadline_ms =
      held_ms + status->value("failback_hold_max_ms", std::int64_t{60000}) + 15000;
  auto started = ask_daemon(socket, {control::AdminCommand::kDrill, options.seconds});
  if (!started) {
    err << "drill: " << started.error() << "\n";
    return 1;
  }
  const auto t0 = Clock::now();
  const auto now_ms = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  };
  DrillTimeline timeline(held_ms);
  std::uint16_t sequence = 0;
  std::int64_t next_ping = 0, next_status = 0;
  std::optional<std::int64_t> finish_at;
  out << "drill: WireGuard held down for " << options.seconds << " s; pinging "
      << gateway->to_string() << " every " << options.interval_ms << " ms\n";
  if (on_demand)
    out << "drill: the secondary is dialled on demand; the switch waits for it to come up\n";
  while (true) {
    const std::int64_t now = now_ms();
    if (now >= deadline_ms || (finish_at && now >= *finish_at)) break;
    if (now >= next_ping) {
      if (auto sent = pinger->send(sequence); sent) timeline.ping_sent(sequence, now);
      ++sequence;
      next_ping += options.interval_ms;
    }
    if (now >= next_status) {
      if (auto s = hybrid_status(socket, options.interface_name)) {
        timeline.active_path(now, s->value("active", ""));
        if (timeline.failed_back() && !finish_at) finish_at = now + kReplyGraceMs;
      }
      next_status = now + kStatusEveryMs;
    }
    pollfd p{pinger->fd(), POLLIN, 0};
    ::poll(&p, 1, 5);
    for (std::uint16_t answered : pinger->receive()) timeline.ping_answered(answered, now_ms());
  }
  const DrillReport report =
      timeline.report(now_ms(), on_demand ? kOnDemandSwitchBoundMs : kSwitchBoundMs, kReplyGraceMs);
  out << render_drill_text(options.interface_name, held_ms, options.interval_ms, report);
  return report.passed ? 0 : 1;
}

}  // namespace tandem::cli
