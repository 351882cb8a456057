// L2tpSessionProbers (l2tp_session_probers.hpp).
#include "daemon/l2tp_session_probers.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "daemon/mtu_probe_status.hpp"

namespace tandem::daemon {
namespace {

using State = hybrid::PmtuSearch::State;

// Between two probes of a session. SoftEther (5.01) answers one queued PPP control packet each
// time its session thread wakes, and a burst of datagrams wakes it once: the replies to a burst
// of eight probes trickle back over seconds, late enough to count as lost. Apart, each probe
// wakes it and is answered at once; a round of eight still leaves within a fifth of the 1 s
// probe timer.
constexpr Duration kProbeSpacing = std::chrono::milliseconds(25);

std::string held_name(const std::optional<std::size_t>& mtu) {
  return mtu ? std::to_string(*mtu) : std::string("the configured MTU");
}

}  // namespace

L2tpSessionProbers::L2tpSessionProbers(std::string interface_name, std::string off_reason,
                                       L2tpProbingSettings settings)
    : interface_name_(std::move(interface_name)),
      off_reason_(std::move(off_reason)),
      settings_(settings) {}

Duration L2tpSessionProbers::first_search_delay() {
  if (settings_.first_search_spread <= Duration::zero() || !settings_.rng) return Duration::zero();
  const auto spread =
      std::chrono::duration_cast<std::chrono::milliseconds>(settings_.first_search_spread);
  const auto ms = static_cast<std::uint64_t>(spread.count());
  return std::chrono::milliseconds(ms == 0 ? 0 : settings_.rng->next_u64() % ms);
}

void L2tpSessionProbers::sync(const std::vector<hybrid::L2tpSessionInfo>& sessions,
                              const std::function<std::size_t(const Endpoint&)>& max_mtu,
                              TimePoint now) {
  if (!enabled()) return;
  ++sync_round_;
  for (const auto& s : sessions) {
    if (!s.up || s.peer_mru == 0) continue;
    // A probe is an LCP packet, which the peer takes up to its MRU (RFC 1661 section 5.8).
    const std::size_t max = std::min<std::size_t>(max_mtu(s.peer), s.peer_mru);
    auto it = probers_.find(s.ref);
    if (it == probers_.end()) {
      hybrid::MtuProberSettings settings;
      settings.search.max_mtu = max;
      settings.search.base_mtu = std::min(settings.search.base_mtu, max);
      settings.search.raise_interval = settings_.raise_interval;
      it = probers_.try_emplace(s.ref, hybrid::MtuProber(settings), s.user, s.peer.address).first;
      it->second.start_at = now + first_search_delay();
      spdlog::info("L2TP on {}, session {}/{} (user '{}'): path MTU probing, at most {}",
                   interface_name_, s.ref.tunnel_id, s.ref.session_id, s.user, max);
    } else {
      it->second.prober.set_max_mtu(max, now);
    }
    it->second.synced = sync_round_;
    schedule(s.ref, it->second);
  }
  std::erase_if(probers_, [&](const auto& entry) {
    if (entry.second.synced == sync_round_) return false;
    deadlines_.erase(entry.first);
    return true;
  });
}

bool L2tpSessionProbers::on_large_retransmit(l2tp::SessionRef ref, TimePoint now) {
  const auto it = probers_.find(ref);
  if (it == probers_.end() || !it->second.prober.on_large_retransmit(now)) return false;
  schedule(ref, it->second);
  return true;
}

void L2tpSessionProbers::restart_all(TimePoint now) {
  for (auto& [ref, p] : probers_) {
    p.prober.restart(now);
    schedule(ref, p);
  }
}

void L2tpSessionProbers::restart_moved(
    const std::function<std::optional<std::string>(const IpAddress&)>& moved, TimePoint now) {
  for (auto& [ref, p] : probers_) {
    const auto route = moved(p.client);
    if (!route || !p.prober.live()) continue;
    spdlog::info(
        "L2TP on {}, session {}/{} (user '{}'): the underlay route to {} is now {}: path MTU "
        "probing searches again",
        interface_name_, ref.tunnel_id, ref.session_id, p.user, p.client.to_string(), *route);
    p.prober.restart(now);
    schedule(ref, p);
  }
}

bool L2tpSessionProbers::note_traffic(l2tp::SessionRef ref) {
  const auto it = probers_.find(ref);
  if (it == probers_.end() || it->second.traffic_noted) return false;
  it->second.traffic_noted = true;
  it->second.prober.note_traffic();
  schedule(ref, it->second);
  return true;
}

void L2tpSessionProbers::poll(hybrid::L2tpStack& stack, TimePoint now,
                              hybrid::L2tpStackOutput& out) {
  replied_.clear();
  for (auto& [ref, p] : probers_) poll_one(ref, p, stack, now, out);
}

void L2tpSessionProbers::poll_replied(hybrid::L2tpStack& stack, TimePoint now,
                                      hybrid::L2tpStackOutput& out) {
  for (const auto ref : replied_)
    if (const auto it = probers_.find(ref); it != probers_.end())
      poll_one(ref, it->second, stack, now, out);
  replied_.clear();
}

void L2tpSessionProbers::poll_one(l2tp::SessionRef ref, SessionProber& p, hybrid::L2tpStack& stack,
                                  TimePoint now, hybrid::L2tpStackOutput& out) {
  p.traffic_noted = false;
  if (!p.prober.live() && now >= p.start_at) p.prober.set_live(true, now);
  due_.clear();
  p.prober.poll(now, due_);
  p.queued.insert(p.queued.end(), due_.begin(), due_.end());
  if (!p.queued.empty() && now >= p.next_send) {
    const auto probe = p.queued.front();
    p.queued.pop_front();
    p.next_send = now + kProbeSpacing;
    if (!stack.send_echo_probe(ref, probe.id, probe.size, now, out))
      spdlog::debug("L2TP on {}, session {}/{}: echo probe of {} bytes not sent", interface_name_,
                    ref.tunnel_id, ref.session_id, probe.size);
  }
  report(ref, p, stack);
  schedule(ref, p);
}

void L2tpSessionProbers::on_replies(const std::vector<hybrid::L2tpProbeReply>& replies,
                                    hybrid::L2tpStack& stack, TimePoint now) {
  for (const auto& r : replies) {
    auto it = probers_.find(r.ref);
    if (it == probers_.end()) continue;
    it->second.prober.on_ack(r.reply.probe_id, now);
    report(r.ref, it->second, stack);
    schedule(r.ref, it->second);
    if (replied_.empty() || replied_.back() != r.ref) replied_.push_back(r.ref);
  }
}

void L2tpSessionProbers::report(l2tp::SessionRef ref, SessionProber& p, hybrid::L2tpStack& stack) {
  hybrid::MtuProber& prober = p.prober;
  // Packets follow every step of a search at once; the log tells the whole of it when it ends,
  // not each size as its reply comes in.
  if (const auto held = prober.held_mtu(); p.applied != held) {
    stack.hold_session_mtu(ref, held);
    p.applied = held;
  }
  const State state = prober.search().state();
  if (state == State::kBase || state == State::kSearching) return;
  if (const auto change = prober.take_change()) {
    const std::string session =
        std::to_string(ref.tunnel_id) + "/" + std::to_string(ref.session_id);
    report_mtu_change(
        {"L2TP on " + interface_name_ + ", session " + session + " (user '" + p.user + "')",
         {{"path", "l2tp-ipsec"}, {"session", session}, {"user", p.user}},
         change->before,
         change->after,
         prober.search().settings().max_mtu,
         change->black_hole});
  }
  if (state == p.reported_state) return;
  p.reported_state = state;
  if (state == State::kError && !prober.held_mtu())
    spdlog::warn(
        "L2TP on {}, session {}/{} (user '{}'): no LCP echo with data was answered, not even {} "
        "bytes, while the link stays up: the peer does not answer echoes with data, {} stays",
        interface_name_, ref.tunnel_id, ref.session_id, p.user, prober.search().settings().base_mtu,
        held_name(std::nullopt));
}

std::optional<TimePoint> L2tpSessionProbers::deadline_of(const SessionProber& p) {
  if (!p.prober.live()) return p.start_at;
  std::optional<TimePoint> next = p.prober.next_deadline();
  if (!p.queued.empty() && (!next || p.next_send < *next)) next = p.next_send;
  return next;
}

std::optional<TimePoint> L2tpSessionProbers::next_deadline_walked() const {
  std::optional<TimePoint> next;
  for (const auto& [ref, p] : probers_)
    if (const auto due = deadline_of(p); due && (!next || *due < *next)) next = due;
  return next;
}

std::optional<std::size_t> L2tpSessionProbers::held_mtu(l2tp::SessionRef ref) const {
  const auto it = probers_.find(ref);
  return it == probers_.end() ? std::nullopt : it->second.prober.held_mtu();
}

std::optional<std::size_t> L2tpSessionProbers::held_mtu() const {
  std::optional<std::size_t> smallest;
  for (const auto& [ref, p] : probers_)
    if (const auto held = p.prober.held_mtu(); held && (!smallest || *held < *smallest))
      smallest = held;
  return smallest;
}

nlohmann::json L2tpSessionProbers::status_json(l2tp::SessionRef ref) const {
  if (!enabled()) return mtu_probe_off_json(off_reason_);
  const auto it = probers_.find(ref);
  if (it == probers_.end()) return mtu_probe_off_json("the session is not up");
  nlohmann::json j = mtu_probe_json(it->second.prober);
  // A gateway's session whose first search is yet to start (spread after it came up).
  if (!it->second.prober.live()) j["state"] = "pending";
  return j;
}

}  // namespace tandem::daemon
