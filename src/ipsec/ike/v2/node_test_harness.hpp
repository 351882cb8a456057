// Two IKEv2 nodes back to back in memory for tests: a fake clock, every datagram of one node's
// Actions delivered to the other, a filter that drops chosen datagrams, and an optional NAT in
// front of the initiator that rewrites its address and ports. Installs, removals and events are
// collected per side, and ESP SAs built from the installs check that the keys really work.
#pragma once

#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <map>
#include <optional>

#include "base/seeded_rng.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/ike/v2/node.hpp"

namespace tandem::ipsec::ike::v2::testing {

inline IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

inline Selector range(const char* first, const char* last) {
  return {ip(first), ip(last), 0, 0, 65535};
}

struct Log {
  std::vector<ChildSa> installs;
  std::vector<ChildSaRemoval> removals;
  std::vector<Event> events;
  std::size_t datagrams = 0;
  std::size_t keepalives = 0;
  std::vector<std::uint16_t> ports_used;  // local port of each IKE datagram sent
  std::size_t count(EventType type) const {
    std::size_t n = 0;
    for (const Event& e : events) n += e.type == type ? 1 : 0;
    return n;
  }
  const Event* find(EventType type) const {
    for (const Event& e : events)
      if (e.type == type) return &e;
    return nullptr;
  }
  bool removed(std::uint32_t inbound_spi) const {
    for (const ChildSaRemoval& r : removals)
      if (r.inbound_spi == inbound_spi) return true;
    return false;
  }
};

// The usual pair: an initiator "client" at 192.0.2.1 and a gateway at 198.51.100.1, with
// 10.1.0.0/16 behind the client and 10.2.0.0/16 behind the gateway.
inline Config initiator_config() {
  Config c;
  c.identity = Identity::fqdn("client.example");
  c.local_address = ip("192.0.2.1");
  PeerConfig p;
  p.name = "gw";
  p.remote_address = ip("198.51.100.1");
  p.remote_id = Identity::fqdn("gw.example");
  p.psk = {std::byte{'s'}, std::byte{'e'}, std::byte{'c'},
           std::byte{'r'}, std::byte{'e'}, std::byte{'t'}};
  p.local_selectors = {range("10.1.0.0", "10.1.255.255")};
  p.remote_selectors = {range("10.2.0.0", "10.2.255.255")};
  c.peers.push_back(p);
  return c;
}

inline Config responder_config() {
  Config c;
  c.identity = Identity::fqdn("gw.example");
  c.local_address = ip("198.51.100.1");
  PeerConfig p;
  p.name = "client";
  p.remote_id = Identity::fqdn("client.example");
  p.psk = initiator_config().peers[0].psk;
  p.local_selectors = {range("10.2.0.0", "10.2.255.255")};
  p.remote_selectors = {range("10.1.0.0", "10.1.255.255")};
  c.peers.push_back(p);
  return c;
}

class Pair {
 public:
  struct Flight {
    int from = 0;  // 0: the initiator side (a), 1: the responder side (b)
    OutDatagram d;
  };

  Pair(Config a_config, Config b_config, std::uint64_t seed = 1)
      : rng_a_(seed),
        rng_b_(seed + 1000),
        a(std::move(a_config), rng_a_),
        b(std::move(b_config), rng_b_) {}

  TimePoint now{std::chrono::hours(1)};
  SeededRng rng_a_, rng_b_;
  Node a;
  Node b;
  Log log_a, log_b;
  // Return true to lose the datagram (the count is of all IKE datagrams so far, from 0).
  std::function<bool(const Flight&, std::size_t)> lose;
  std::size_t delivered = 0;
  // A NAT in front of a: its datagrams seem to come from nat_address, ports 500/4500 mapped.
  std::optional<IpAddress> nat_address;
  std::map<std::uint16_t, std::uint16_t> nat_ports{{500, 40500}, {4500, 44500}};
  bool b_reachable = true;  // false: b has vanished, datagrams to it are lost

  const IpAddress address_a = ip("192.0.2.1");
  const IpAddress address_b = ip("198.51.100.1");

  void absorb(int from, Actions& act) {
    Log& log = from == 0 ? log_a : log_b;
    for (auto& d : act.datagrams) {
      if (d.keepalive) {
        ++log.keepalives;
        continue;
      }
      ++log.datagrams;
      log.ports_used.push_back(d.local_port);
      flights_.push_back({from, std::move(d)});
    }
    for (auto& i : act.installs) log.installs.push_back(std::move(i));
    for (auto& r : act.removals) log.removals.push_back(r);
    for (auto& e : act.events) log.events.push_back(std::move(e));
    act.clear();
  }

  std::uint64_t initiate(const char* peer = "gw") {
    Actions act;
    auto id = a.initiate(peer, now, act);
    EXPECT_TRUE(id) << (id ? "" : id.error());
    absorb(0, act);
    deliver_all();
    return id ? *id : 0;
  }

  void deliver_all() {
    while (!flights_.empty()) {
      Flight f = std::move(flights_.front());
      flights_.pop_front();
      const std::size_t n = delivered++;
      if (lose && lose(f, n)) continue;
      Actions act;
      if (f.from == 0) {
        if (!b_reachable) continue;
        Endpoint from{address_a, f.d.local_port};
        if (nat_address) from = {*nat_address, nat_ports.at(f.d.local_port)};
        b.on_datagram(f.d.bytes, f.d.to, from, now, act);
        absorb(1, act);
      } else {
        Endpoint to = f.d.to;
        if (nat_address && to.address == *nat_address) {
          for (const auto& [inside, outside] : nat_ports)
            if (outside == to.port) to = {address_a, inside};
        }
        a.on_datagram(f.d.bytes, to, {address_b, f.d.local_port}, now, act);
        absorb(0, act);
      }
    }
  }

  // Runs both nodes' timers and the link until `until`.
  void run_until(TimePoint until) {
    deliver_all();
    for (int guard = 0; guard < 100000; ++guard) {
      const TimePoint next = std::min(a.next_deadline(), b.next_deadline());
      if (next > until) break;
      now = std::max(now, next);
      Actions act;
      a.on_timer(now, act);
      absorb(0, act);
      b.on_timer(now, act);
      absorb(1, act);
      deliver_all();
    }
    now = std::max(now, until);
  }
  void run_for(Duration d) { run_until(now + d); }

  std::deque<Flight>& in_flight() { return flights_; }

 private:
  std::deque<Flight> flights_;
};

// The install on the other side that pairs with `c` (its inbound SPI is c's outbound SPI).
inline const ChildSa* peer_of(const Log& other, const ChildSa& c) {
  for (const ChildSa& o : other.installs)
    if (o.inbound_spi == c.outbound_spi && o.outbound_spi == c.inbound_spi) return &o;
  return nullptr;
}

// Seals a packet with `from`'s outbound keys and opens it with `to`'s inbound keys.
inline bool esp_carries(const ChildSa& from, const ChildSa& to, std::uint8_t next_header) {
  auto out = esp::OutboundSa::create(from.outbound_spi, from.outbound_keys);
  auto in = esp::InboundSa::create(to.inbound_spi, to.inbound_keys);
  if (!out || !in) return false;
  std::vector<std::byte> storage(256);
  const std::size_t payload = 40;
  for (std::size_t i = 0; i < payload; ++i) storage[64 + i] = std::byte(i * 7);
  Packet packet{storage.data(), storage.size(), 64, payload, {}};
  SeededRng rng(9);
  if (!out->seal(packet, next_header, rng)) return false;
  auto opened = in->open(packet);
  if (!opened || *opened != next_header || packet.length != payload) return false;
  for (std::size_t i = 0; i < payload; ++i)
    if (packet.bytes()[i] != std::byte(i * 7)) return false;
  return true;
}

// Both directions of a Child SA pair work.
inline void expect_esp_both_ways(const Log& a, const Log& b, const ChildSa& ca) {
  const ChildSa* cb = peer_of(b, ca);
  ASSERT_NE(cb, nullptr) << "no matching install on the other side";
  EXPECT_TRUE(esp_carries(ca, *cb, esp::kNextIpv4));
  EXPECT_TRUE(esp_carries(*cb, ca, esp::kNextIpv4));
  (void)a;
}

}  // namespace tandem::ipsec::ike::v2::testing
