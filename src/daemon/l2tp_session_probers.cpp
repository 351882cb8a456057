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
                                       Duration raise_interval)
    : interface_name_(std::move(interface_name)),
      off_reason_(std::move(off_reason)),
      raise_interval_(raise_interval) {}

void L2tpSessionProbers::sync(const std::vector<hybrid::L2tpSessionInfo>& sessions,
                              std::size_t max_mtu, TimePoint now) {
  if (!enabled()) return;
  std::erase_if(probers_, [&](const auto& entry) {
    return std::none_of(sessions.begin(), sessions.end(),
                        [&](const auto& s) { return s.ref == entry.first && s.up; });
  });
  for (const auto& s : sessions) {
    if (!s.up || s.peer_mru == 0) continue;
    // A probe is an LCP packet, which the peer takes up to its MRU (RFC 1661 section 5.8).
    const std::size_t max = std::min<std::size_t>(max_mtu, s.peer_mru);
    auto it = probers_.find(s.ref);
    if (it == probers_.end()) {
      hybrid::MtuProberSettings settings;
      settings.search.max_mtu = max;
      settings.search.base_mtu = std::min(settings.search.base_mtu, max);
      settings.search.raise_interval = raise_interval_;
      it = probers_.emplace(s.ref, SessionProber{hybrid::MtuProber(settings), State::kBase, {}, {}})
               .first;
      spdlog::info("L2TP on {}, session {}/{}: path MTU probing, at most {}", interface_name_,
                   s.ref.tunnel_id, s.ref.session_id, max);
    } else {
      it->second.prober.set_max_mtu(max, now);
    }
    it->second.prober.set_live(true, now);
  }
}

bool L2tpSessionProbers::on_large_retransmit(TimePoint now) {
  bool due = false;
  for (auto& [ref, p] : probers_) due = p.prober.on_large_retransmit(now) || due;
  return due;
}

void L2tpSessionProbers::restart_all(TimePoint now) {
  for (auto& [ref, p] : probers_) p.prober.restart(now);
}

bool L2tpSessionProbers::note_traffic() {
  if (traffic_noted_ || probers_.empty()) return false;
  traffic_noted_ = true;
  for (auto& [ref, p] : probers_) p.prober.note_traffic();
  return true;
}

void L2tpSessionProbers::poll(hybrid::L2tpStack& stack, TimePoint now,
                              hybrid::L2tpStackOutput& out) {
  traffic_noted_ = false;
  for (auto& [ref, p] : probers_) {
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
    report(ref, p);
  }
}

void L2tpSessionProbers::on_replies(const std::vector<hybrid::L2tpProbeReply>& replies,
                                    TimePoint now) {
  for (const auto& r : replies) {
    auto it = probers_.find(r.ref);
    if (it == probers_.end()) continue;
    it->second.prober.on_ack(r.reply.probe_id, now);
    report(r.ref, it->second);
  }
}

void L2tpSessionProbers::report(l2tp::SessionRef ref, SessionProber& p) {
  hybrid::MtuProber& prober = p.prober;
  const State state = prober.search().state();
  // Packets follow every step of a search at once (held_mtu() is read live); the log tells the
  // whole of it when it ends, not each size as its reply comes in.
  if (state == State::kBase || state == State::kSearching) return;
  if (const auto change = prober.take_change())
    spdlog::info("L2TP on {}, session {}/{}: path MTU {} -> {}{}", interface_name_, ref.tunnel_id,
                 ref.session_id, held_name(change->before), held_name(change->after),
                 change->black_hole ? " (black hole: the size in use stopped arriving)"
                                    : " (probed with LCP echoes)");
  if (state == p.reported_state) return;
  p.reported_state = state;
  if (state == State::kError && !prober.held_mtu())
    spdlog::warn(
        "L2TP on {}, session {}/{}: no LCP echo with data was answered, not even {} bytes, while "
        "the link stays up: the peer does not answer echoes with data, {} stays",
        interface_name_, ref.tunnel_id, ref.session_id, prober.search().settings().base_mtu,
        held_name(std::nullopt));
}

std::optional<TimePoint> L2tpSessionProbers::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [ref, p] : probers_) {
    if (const auto due = p.prober.next_deadline(); due && (!next || *due < *next)) next = due;
    if (!p.queued.empty() && (!next || p.next_send < *next)) next = p.next_send;
  }
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
  return mtu_probe_json(it->second.prober);
}

}  // namespace tandem::daemon
