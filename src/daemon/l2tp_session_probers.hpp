// Path MTU probing of PPP sessions over L2TP: a hybrid::MtuProber per session, live while the
// session's IPCP is open, whose probes are LCP Echo-Requests carrying data
// (ppp::Link::send_echo_probe, RFC 1661 section 5.8: up to the peer's MRU) sized as an IP packet
// in the session would be. A client probes its sessions to the server; a gateway each session to
// its client, as the built-in clients of Windows, macOS and Android probe nothing. What each
// search finds is what that session's packets are held to (L2tpStack::hold_session_mtu: the
// interface applies it as it applies an underlay MTU that ICMP reported). The size in use is
// confirmed only for a session that carries data; a gateway spreads the first searches of its
// sessions (a restart brings thousands up at once), and the probes of one round go out a little
// apart (kProbeSpacing). Each search's outcome is logged, naming the session and its user. Runs
// on the interface's loop thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/deadline_heap.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "hybrid/l2tp_stack.hpp"
#include "hybrid/mtu_prober.hpp"

namespace tandem::daemon {

struct L2tpProbingSettings {
  Duration raise_interval = std::chrono::seconds(600);  // between searches upwards
  // A session's first search starts at a random time within this much after it came up (with
  // `rng`); zero starts it at once.
  Duration first_search_spread{};
  Rng* rng = nullptr;
};

class L2tpSessionProbers {
 public:
  // With an `off_reason` nothing is probed, and the status says why.
  L2tpSessionProbers(std::string interface_name, std::string off_reason,
                     L2tpProbingSettings settings);

  // Brings the probers in line with the stack's sessions: one for each session that is up,
  // searching up to `max_mtu(peer)` (the MRU, or less where ICMP said the underlay towards that
  // peer carries less) or the peer's MRU if that is smaller; a session that is gone takes its
  // prober along.
  void sync(const std::vector<hybrid::L2tpSessionInfo>& sessions,
            const std::function<std::size_t(const Endpoint&)>& max_mtu, TimePoint now);
  void sync(const std::vector<hybrid::L2tpSessionInfo>& sessions, std::size_t max_mtu,
            TimePoint now) {
    sync(
        sessions, [max_mtu](const Endpoint&) { return max_mtu; }, now);
  }
  // Data went out on session `ref`: its size in use is confirmed again while it flows. True the
  // first time since that session's last poll, when the caller's timer may need to come earlier.
  bool note_traffic(l2tp::SessionRef ref);
  // Sends the probes that are due through `stack`, and holds each session there to what its
  // search found.
  void poll(hybrid::L2tpStack& stack, TimePoint now, hybrid::L2tpStackOutput& out);
  void on_replies(const std::vector<hybrid::L2tpProbeReply>& replies, hybrid::L2tpStack& stack,
                  TimePoint now);
  // What poll() does, for the sessions that had replies since the last poll only: a gateway
  // with thousands of sessions sends the next sizes of a search without going through them all.
  void poll_replied(hybrid::L2tpStack& stack, TimePoint now, hybrid::L2tpStackOutput& out);
  // Large TCP segments were sent again on session `ref`: its size in use is probed now (at most
  // once a second). True when a probe became due, for the caller's timer.
  bool on_large_retransmit(l2tp::SessionRef ref, TimePoint now);
  // The way to the server changed (a new underlay route): every session searches again.
  void restart_all(TimePoint now);
  // A gateway: each session whose client `moved` says the underlay route changed towards (it
  // returns the new route, in words; nullopt: unchanged) searches again, and the log says so.
  void restart_moved(const std::function<std::optional<std::string>(const IpAddress&)>& moved,
                     TimePoint now);
  bool any() const { return !probers_.empty(); }
  // The earliest time a session's probing is due, from a heap kept as each prober changes: the
  // caller asks after every batch, and a gateway has thousands of sessions.
  std::optional<TimePoint> next_deadline() const { return deadlines_.next(); }
  // The same found by walking every prober, for tests.
  std::optional<TimePoint> next_deadline_walked() const;

  // What session `ref`'s packets are held to; nullopt where its configured MTU holds.
  std::optional<std::size_t> held_mtu(l2tp::SessionRef ref) const;
  // The smallest of them (a client's sessions all go to its one server).
  std::optional<std::size_t> held_mtu() const;
  nlohmann::json status_json(l2tp::SessionRef ref) const;
  bool enabled() const { return off_reason_.empty(); }

 private:
  struct SessionProber {
    SessionProber(hybrid::MtuProber p, std::string u, IpAddress c)
        : prober(p), user(std::move(u)), client(c) {}
    hybrid::MtuProber prober;
    std::string user;
    IpAddress client;      // the far end's underlay address
    TimePoint start_at{};  // the first search, spread (settings_.first_search_spread)
    hybrid::PmtuSearch::State reported_state = hybrid::PmtuSearch::State::kBase;
    std::deque<hybrid::PmtuSearch::Probe> queued;  // due, waiting for their turn (kProbeSpacing)
    TimePoint next_send{};
    bool traffic_noted = false;  // since the last poll
    std::uint64_t synced = 0;    // the last sync() that found the session up
    // What the stack holds the session to, as last set (nullopt inside: not set yet).
    std::optional<std::optional<std::size_t>> applied;
  };
  struct RefHash {
    std::size_t operator()(l2tp::SessionRef r) const {
      return (std::size_t{r.tunnel_id} << 16) | r.session_id;
    }
  };
  // Holds the session in `stack` to what its prober holds it to, and logs what changed since the
  // last search ended: the size held, a search that found no answer.
  void report(l2tp::SessionRef ref, SessionProber& p, hybrid::L2tpStack& stack);
  void poll_one(l2tp::SessionRef ref, SessionProber& p, hybrid::L2tpStack& stack, TimePoint now,
                hybrid::L2tpStackOutput& out);
  Duration first_search_delay();
  // When the session's probing is next due: its first search, its prober's timer, its next
  // queued probe.
  static std::optional<TimePoint> deadline_of(const SessionProber& p);
  // After anything that may move the session's deadline.
  void schedule(l2tp::SessionRef ref, const SessionProber& p) {
    deadlines_.set(ref, deadline_of(p));
  }

  std::string interface_name_;
  std::string off_reason_;
  L2tpProbingSettings settings_;
  std::unordered_map<l2tp::SessionRef, SessionProber, RefHash> probers_;
  std::uint64_t sync_round_ = 0;
  std::vector<hybrid::PmtuSearch::Probe> due_;  // scratch
  std::vector<l2tp::SessionRef> replied_;       // since the last poll
  DeadlineHeap<l2tp::SessionRef> deadlines_;    // each session's deadline as last scheduled
};

}  // namespace tandem::daemon
