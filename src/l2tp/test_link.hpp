// Test harness: two L2TP nodes (a LAC and an LNS) back to back in memory over a link that can
// lose, duplicate and reorder datagrams, with a fake clock. Time only moves when the test says.
#pragma once

#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/seeded_rng.hpp"
#include "l2tp/node.hpp"

namespace tandem::l2tp::testing {

struct Wire {
  Endpoint from;
  Endpoint to;
  std::vector<std::byte> bytes;
  TimePoint at{};
};

// One node and everything it reported.
struct Side {
  Side(NodeConfig config, Endpoint at, std::uint64_t seed)
      : address(at), rng(seed), node(std::make_unique<Node>(std::move(config), rng)) {}
  // A fresh node at the same address that remembers nothing: a restarted peer, on the same port
  // or (`port`) on a new one, as a client with an ephemeral port comes back.
  void restart(std::uint64_t seed, std::optional<std::uint16_t> port = std::nullopt) {
    if (port) address.port = *port;
    rng = SeededRng(seed);
    events.clear();
    frames.clear();
    node = std::make_unique<Node>(node->config(), rng);
  }
  Endpoint address;
  SeededRng rng;
  std::unique_ptr<Node> node;
  std::vector<Event> events;
  std::vector<std::pair<SessionRef, std::vector<std::byte>>> frames;

  int count(EventType type) const {
    return static_cast<int>(std::count_if(events.begin(), events.end(),
                                          [&](const Event& e) { return e.type == type; }));
  }
  const Event* last(EventType type) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == type) return &*it;
    return nullptr;
  }
};

class Link {
 public:
  Link(NodeConfig lac_config, NodeConfig lns_config, std::uint64_t seed = 1)
      : lac(std::move(lac_config), *Endpoint::parse("10.0.0.1:1701"), seed),
        lns(std::move(lns_config), *Endpoint::parse("10.0.0.2:1701"), seed + 1) {}

  // Applies what a call into `side` produced: events and frames are recorded, datagrams go on
  // the wire (through the filter).
  void absorb(Side& side, Actions& actions) {
    for (auto& e : actions.events) side.events.push_back(e);
    for (auto& f : actions.frames)
      side.frames.push_back({f.session, {f.frame.begin(), f.frame.end()}});
    for (auto& d : actions.datagrams) {
      Wire w{side.address, d.to, std::move(d.bytes), now};
      all_sent.push_back(w);
      if (!filter || filter(w)) in_flight.push_back(std::move(w));
      if (duplicate_all) in_flight.push_back(all_sent.back());
    }
    actions.clear();
  }

  // By address: a restarted LAC on a new port still receives what is sent to its old one (and
  // ignores it, as a fresh node knows no tunnel).
  Side& side_at(const Endpoint& e) { return e.address == lac.address.address ? lac : lns; }

  // Delivers datagrams in flight until none are left (bounded); `reverse` delivers each batch
  // newest first, which reorders every burst.
  void pump() {
    for (int round = 0; round < 10000 && !in_flight.empty(); ++round) {
      std::vector<Wire> batch;
      batch.swap(in_flight);
      if (reverse) std::reverse(batch.begin(), batch.end());
      for (auto& w : batch) {
        if (!(w.to == lac.address) && !(w.to == lns.address)) continue;
        Side& to = side_at(w.to);
        Actions actions;
        to.node->on_datagram(w.bytes, w.from, now, actions);
        absorb(to, actions);
      }
    }
  }

  // Moves time forward in steps of at most `step`, firing timers on the way.
  void advance(Duration d, Duration step = std::chrono::milliseconds(100)) {
    const TimePoint end = now + d;
    while (now < end) {
      now = std::min(end, now + step);
      for (Side* s : {&lac, &lns}) {
        if (s->node->next_deadline() > now) continue;
        Actions actions;
        s->node->on_timer(now, actions);
        absorb(*s, actions);
      }
      pump();
    }
  }

  // LAC dials; returns the LAC's tunnel id.
  std::uint16_t dial() {
    Actions actions;
    auto id = lac.node->open_tunnel(lns.address, now, actions);
    absorb(lac, actions);
    pump();
    return id.ok() ? *id : 0;
  }
  SessionRef call(std::uint16_t tunnel) {
    Actions actions;
    auto ref = lac.node->open_session(tunnel, now, actions);
    absorb(lac, actions);
    pump();
    return ref.ok() ? *ref : SessionRef{};
  }
  // Closes a session or a tunnel from `side` and delivers what that sends.
  void close_session(Side& side, SessionRef ref, CdnResult result, std::string_view reason) {
    Actions actions;
    side.node->close_session(ref, result, reason, now, actions);
    absorb(side, actions);
    pump();
  }
  void close_tunnel(Side& side, std::uint16_t tunnel, StopCcnResult result,
                    std::string_view reason) {
    Actions actions;
    side.node->close_tunnel(tunnel, result, reason, now, actions);
    absorb(side, actions);
    pump();
  }

  // Sends a PPP frame from `side` on `ref` through the data plane.
  bool send_frame(Side& side, SessionRef ref, const std::vector<std::byte>& frame) {
    std::vector<std::byte> slot(64 + frame.size());
    std::copy(frame.begin(), frame.end(), slot.begin() + 64);
    Packet p{slot.data(), slot.size(), 64, frame.size(), {}};
    if (!side.node->encapsulate(ref, p)) return false;
    Wire w{side.address, p.endpoint, {p.bytes().begin(), p.bytes().end()}, now};
    all_sent.push_back(w);
    if (!filter || filter(w)) in_flight.push_back(std::move(w));
    pump();
    return true;
  }

  TimePoint now{std::chrono::seconds(1000)};
  Side lac;
  Side lns;
  std::vector<Wire> in_flight;
  std::vector<Wire> all_sent;
  std::function<bool(const Wire&)> filter;  // false: the datagram is lost
  bool reverse = false;
  bool duplicate_all = false;
};

inline NodeConfig lac_config(std::string secret = "") {
  NodeConfig c;
  c.host_name = "lac";
  c.secret = std::move(secret);
  return c;
}
inline NodeConfig lns_config(std::string secret = "") {
  NodeConfig c;
  c.host_name = "lns";
  c.secret = std::move(secret);
  c.accept_tunnels = true;
  return c;
}

}  // namespace tandem::l2tp::testing
