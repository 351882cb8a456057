// Path MTU probing of an L2TP client's PPP sessions: a hybrid::MtuProber per session, live while
// the session's IPCP is open, whose probes are LCP Echo-Requests carrying data
// (ppp::Link::send_echo_probe) sized as an IP packet in the session would be. What each search
// finds is what the session's packets are held to (the interface applies it as it applies an
// underlay MTU that ICMP reported). The probes of a round go out a little apart, not in one
// burst (kProbeSpacing). Each search's outcome is logged. Runs on the interface's loop
// thread.
#pragma once

#include <cstddef>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/time.hpp"
#include "hybrid/l2tp_stack.hpp"
#include "hybrid/mtu_prober.hpp"

namespace tandem::daemon {

class L2tpSessionProbers {
 public:
  // With an `off_reason` nothing is probed, and the status says why.
  L2tpSessionProbers(std::string interface_name, std::string off_reason, Duration raise_interval);

  // Brings the probers in line with the stack's sessions: one for each session that is up,
  // searching up to `max_mtu` (the device's MTU, or less where ICMP said the underlay carries
  // less) or the peer's MRU if that is smaller; a session that is gone takes its prober along.
  void sync(const std::vector<hybrid::L2tpSessionInfo>& sessions, std::size_t max_mtu,
            TimePoint now);
  // Data went out: the sizes in use are confirmed again while it flows. True the first time
  // since the last poll(), when the caller's timer may need to come earlier.
  bool note_traffic();
  // Sends the probes that are due through `stack`.
  void poll(hybrid::L2tpStack& stack, TimePoint now, hybrid::L2tpStackOutput& out);
  void on_replies(const std::vector<hybrid::L2tpProbeReply>& replies, TimePoint now);
  // Large TCP segments were sent again: each session's size in use is probed now (at most once
  // a second). True when a probe became due, for the caller's timer.
  bool on_large_retransmit(TimePoint now);
  // The way to the server changed (a new underlay route): every session searches again.
  void restart_all(TimePoint now);
  bool any() const { return !probers_.empty(); }
  std::optional<TimePoint> next_deadline() const;

  // What session `ref`'s packets are held to; nullopt where its configured MTU holds.
  std::optional<std::size_t> held_mtu(l2tp::SessionRef ref) const;
  // The smallest of them (a client's sessions all go to its one server).
  std::optional<std::size_t> held_mtu() const;
  nlohmann::json status_json(l2tp::SessionRef ref) const;
  bool enabled() const { return off_reason_.empty(); }

 private:
  struct SessionProber {
    hybrid::MtuProber prober;
    hybrid::PmtuSearch::State reported_state = hybrid::PmtuSearch::State::kBase;
    std::deque<hybrid::PmtuSearch::Probe> queued;  // due, waiting for their turn (kProbeSpacing)
    TimePoint next_send{};
  };
  // Logs what changed since the last search ended: the size held, a search that found no answer.
  void report(l2tp::SessionRef ref, SessionProber& p);

  std::string interface_name_;
  std::string off_reason_;
  Duration raise_interval_;
  bool traffic_noted_ = false;
  std::map<l2tp::SessionRef, SessionProber> probers_;
  std::vector<hybrid::PmtuSearch::Probe> due_;  // scratch
};

}  // namespace tandem::daemon
