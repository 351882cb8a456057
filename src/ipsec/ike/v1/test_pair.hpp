// Two IKEv1 nodes back to back in memory, with a fake clock, an optional NAT that rewrites the
// client's address and ports, and a hook to drop datagrams. Everything each node asks for is
// collected, so tests can check installs, removals and events.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>

#include "base/seeded_rng.hpp"
#include "ipsec/ike/v1/node.hpp"

namespace tandem::ipsec::ike::v1::testing {

using namespace std::chrono_literals;

inline IpAddress addr(const char* text) {
  return *IpAddress::parse(text);
}

struct Side {
  std::unique_ptr<Node> node;
  IpAddress address;
  Actions all;  // everything asked for so far
  std::vector<ChildSa> live() const {
    std::vector<ChildSa> out;
    for (const auto& c : all.installs) {
      const bool removed =
          std::any_of(all.removals.begin(), all.removals.end(),
                      [&](const auto& r) { return r.inbound_spi == c.inbound_spi; });
      if (!removed) out.push_back(c);
    }
    return out;
  }
  bool has_event(EventType t) const {
    return std::any_of(all.events.begin(), all.events.end(),
                       [&](const Event& e) { return e.type == t; });
  }
  std::string events_text() const {
    std::string s;
    for (const auto& e : all.events)
      s += std::string(event_type_name(e.type)) + ": " + e.detail + "\n";
    return s;
  }
};

struct InFlight {
  bool from_client = true;
  OutDatagram d;
};

class Pair {
 public:
  // `client` dials the peer named "gateway"; `gateway` answers any address.
  Pair(PeerConfig client, PeerConfig gateway, Config base = {}) : client_rng_(1), gateway_rng_(2) {
    client.name = "gateway";
    client.address = gateway_address();
    gateway.name = "clients";
    gateway.address.reset();
    Config c = base;
    c.peers = {client};
    Config g = base;
    g.peers = {gateway};
    client_.address = addr("10.1.0.2");
    gateway_.address = gateway_address();
    client_.node = std::make_unique<Node>(c, client_rng_);
    gateway_.node = std::make_unique<Node>(g, gateway_rng_);
  }

  static IpAddress gateway_address() { return addr("192.0.2.1"); }

  // The client's datagrams appear to come from this address, each local port mapped to another.
  void enable_nat() { nat_ = true; }
  std::function<bool(const InFlight&)> drop;       // true: lose this datagram
  std::function<bool(const InFlight&)> duplicate;  // true: deliver this datagram twice
  std::size_t delivered = 0;
  std::vector<InFlight> wire;  // every datagram sent, in order

  Side& client() { return client_; }
  Side& gateway() { return gateway_; }
  TimePoint now() const { return now_; }

  std::uint64_t start() {
    Actions a;
    auto h = client_.node->initiate("gateway", {client_.address, kIkePort}, now_, a);
    EXPECT_TRUE(h.ok());
    take(true, a);
    pump();
    return h ? *h : 0;
  }

  void pump() {
    for (int guard = 0; guard < 10000 && !queue_.empty(); ++guard) {
      InFlight f = std::move(queue_.front());
      queue_.pop_front();
      if (f.d.keepalive) continue;
      if (drop && drop(f)) continue;
      if (duplicate && duplicate(f)) queue_.push_front(f);
      ++delivered;
      Actions a;
      if (f.from_client) {
        Endpoint from{client_.address, f.d.local_port};
        if (nat_) from = {addr("203.0.113.7"), static_cast<std::uint16_t>(f.d.local_port + 30000)};
        gateway_.node->on_datagram(f.d.bytes, f.d.to, from, now_, a);
        take(false, a);
      } else {
        // Back through the NAT: the gateway writes to the mapped address.
        std::uint16_t port = f.d.to.port;
        if (nat_) port = static_cast<std::uint16_t>(port - 30000);
        client_.node->on_datagram(f.d.bytes, {client_.address, port},
                                  {gateway_.address, f.d.local_port}, now_, a);
        take(true, a);
      }
    }
  }

  // Advances the clock in steps, running both nodes' timers.
  void advance(Duration total, Duration step = 1s) {
    for (Duration t{}; t < total; t += step) {
      now_ += step;
      Actions a;
      client_.node->on_timer(now_, a);
      take(true, a);
      Actions b;
      gateway_.node->on_timer(now_, b);
      take(false, b);
      pump();
    }
  }

  void take(bool from_client, Actions& a) {
    Side& s = from_client ? client_ : gateway_;
    for (auto& d : a.datagrams) {
      wire.push_back({from_client, d});
      queue_.push_back({from_client, d});
    }
    for (auto& c : a.installs) s.all.installs.push_back(c);
    for (auto& r : a.removals) s.all.removals.push_back(r);
    for (auto& e : a.events) s.all.events.push_back(e);
  }

 private:
  SeededRng client_rng_;
  SeededRng gateway_rng_;
  Side client_;
  Side gateway_;
  TimePoint now_{};
  bool nat_ = false;
  std::deque<InFlight> queue_;
};

}  // namespace tandem::ipsec::ike::v1::testing
