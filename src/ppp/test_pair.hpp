// Test harness: a gateway and a client PPP link back to back in memory, with a fake clock, a
// lossy link and a local user list that answers the gateway's authentication requests.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/seeded_rng.hpp"
#include "ppp/link.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::ppp::testing {

struct End {
  End(LinkConfig config, std::uint64_t seed)
      : rng(seed), link(std::make_unique<Link>(config, rng)) {}
  SeededRng rng;
  std::unique_ptr<Link> link;
  std::vector<LinkEvent> events;
  std::vector<std::vector<std::byte>> ipv4;
  std::vector<EchoProbeReply> probe_replies;
  int count(LinkEventType t) const {
    int n = 0;
    for (const auto& e : events) n += e.type == t ? 1 : 0;
    return n;
  }
  const LinkEvent* last(LinkEventType t) const {
    for (auto it = events.rbegin(); it != events.rend(); ++it)
      if (it->type == t) return &*it;
    return nullptr;
  }
};

inline LinkConfig gateway_config(std::vector<AuthMethod> demand) {
  LinkConfig c;
  c.name = "gateway";
  c.demand_auth = std::move(demand);
  c.ipcp.local_address = IpAddress::parse("10.9.0.1");
  c.ipcp.peer_address = IpAddress::parse("10.9.0.77");
  c.ipcp.primary_dns = IpAddress::parse("10.9.0.53");
  c.ipcp.secondary_dns = IpAddress::parse("10.9.0.54");
  return c;
}

inline LinkConfig client_config(std::vector<AuthMethod> allow, std::string user,
                                std::string password) {
  LinkConfig c;
  c.name = "client";
  c.allow_auth = std::move(allow);
  c.username = std::move(user);
  c.password = std::move(password);
  c.ipcp.request_dns = true;
  return c;
}

class Pair {
 public:
  Pair(LinkConfig gateway_cfg, LinkConfig client_cfg, std::uint64_t seed = 1)
      : gateway(std::move(gateway_cfg), seed), client(std::move(client_cfg), seed + 100) {}

  // Starts both ends; their first frames wait in `queue` until pump().
  void start_without_delivery() {
    LinkOutput a, b;
    gateway.link->start(now, a);
    client.link->start(now, b);
    absorb(gateway, client, a);
    absorb(client, gateway, b);
  }
  void start() {
    start_without_delivery();
    pump();
  }

  void absorb(End& from, End& to, LinkOutput& out) {
    for (auto& e : out.events) {
      if (e.type == LinkEventType::kAuthRequest && e.auth) pending_auth.push_back(*e.auth);
      from.events.push_back(e);
    }
    for (auto p : out.ipv4_packets) from.ipv4.emplace_back(p.begin(), p.end());
    for (const auto& r : out.probe_replies) from.probe_replies.push_back(r);
    for (auto& f : out.frames) {
      ++sent;
      if (tap) tap(from, f);
      if (!filter || filter(f)) queue.push_back({&to, std::move(f)});
    }
    out.clear();
  }

  void pump() {
    for (int round = 0; round < 10000; ++round) {
      // Answer the gateway's authentication requests from the user list.
      while (!pending_auth.empty()) {
        AuthRequest r = pending_auth.front();
        pending_auth.erase(pending_auth.begin());
        auto it = users.find(r.username);
        AuthVerdict v = it == users.end() ? AuthVerdict{false, "", "unknown user"}
                                          : verify_locally(r, it->second);
        LinkOutput out;
        gateway.link->auth_verdict(v, now, out);
        absorb(gateway, client, out);
      }
      if (queue.empty()) return;
      auto [to, frame] = std::move(queue.front());
      queue.erase(queue.begin());
      End& from = to == &gateway ? client : gateway;
      LinkOutput out;
      to->link->on_frame(frame, now, out);
      absorb(*to, from, out);
    }
  }

  void advance(Duration d, Duration step = std::chrono::milliseconds(250)) {
    const TimePoint end = now + d;
    while (now < end) {
      now = std::min(end, now + step);
      for (End* e : {&gateway, &client}) {
        if (e->link->next_deadline() > now) continue;
        LinkOutput out;
        e->link->on_timer(now, out);
        absorb(*e, e == &gateway ? client : gateway, out);
      }
      pump();
    }
  }

  // Sends an IPv4 packet from one end through the data path; true if it was accepted.
  bool send_ipv4(End& from, const std::vector<std::byte>& packet) {
    std::vector<std::byte> slot(16 + packet.size());
    std::copy(packet.begin(), packet.end(), slot.begin() + 16);
    Packet p{slot.data(), slot.size(), 16, packet.size(), {}};
    if (!from.link->encapsulate(Protocol::kIpv4, p)) return false;
    End& to = &from == &gateway ? client : gateway;
    LinkOutput out;
    to.link->on_frame(p.bytes(), now, out);
    absorb(to, from, out);
    pump();
    return true;
  }

  // Sends an echo probe from one end; true if the link took it.
  bool send_echo_probe(End& from, std::uint32_t probe_id, std::size_t size) {
    LinkOutput out;
    const bool taken = from.link->send_echo_probe(probe_id, size, out);
    absorb(from, &from == &gateway ? client : gateway, out);
    pump();
    return taken;
  }

  TimePoint now{std::chrono::seconds(500)};
  End gateway;
  End client;
  std::map<std::string, LocalCredential> users;
  std::vector<AuthRequest> pending_auth;
  std::vector<std::pair<End*, std::vector<std::byte>>> queue;
  std::function<bool(const std::vector<std::byte>&)> filter;
  // Sees every frame either end sends, before the filter.
  std::function<void(const End& from, const std::vector<std::byte>&)> tap;
  int sent = 0;
};

}  // namespace tandem::ppp::testing
