// L2TP data messages carrying PPP (RFC 2661 section 3.1, RFC 1661 section 2) through the whole
// L2TP data path of a client and a gateway (hybrid::L2tpStack) whose session came up in memory:
// sending routes the inner packet to its session and writes the PPP and L2TP headers in front of
// it (ppp::Link::encapsulate, l2tp::Node::encapsulate); receiving parses the L2TP header, finds
// the tunnel and session, parses the PPP frame and checks the inner source against the address
// the session was given. Over IPsec the datagram with its UDP header is ESP payload 18 bytes
// larger than the inner packet: esp_packet_bench gives what sealing and opening that costs.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <deque>
#include <memory>

#include "base/seeded_rng.hpp"
#include "hybrid/l2tp_stack.hpp"
#include "packet_slots.hpp"
#include "wireguard/test_network.hpp"

namespace tandem::bench {
namespace {

using hybrid::L2tpStack;
using hybrid::L2tpStackConfig;
using hybrid::L2tpStackOutput;

const Endpoint kGatewayEndpoint = *Endpoint::parse("192.0.2.1:1701");
const Endpoint kClientEndpoint = *Endpoint::parse("192.0.2.2:40000");
const IpAddress kGatewayAddress = *IpAddress::parse("10.77.0.1");
const IpAddress kClientAddress = *IpAddress::parse("10.77.0.10");  // the pool's first

// Inner packets up to the default MRU (1400, what fits a 1500-byte underlay under L2TP/IPsec);
// larger ones the daemon answers with ICMP before they get here.
L2tpStackConfig gateway_config() {
  L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLns;
  c.auth = {ppp::AuthMethod::kPap};
  c.gateway_address = kGatewayAddress;
  c.pool_first = kClientAddress;
  c.pool_last = kClientAddress;
  return c;
}

L2tpStackConfig client_config() {
  L2tpStackConfig c;
  c.role = hybrid::L2tpRole::kLac;
  c.auth = {ppp::AuthMethod::kPap};
  c.server = kGatewayEndpoint;
  c.calls = {{"user", "password"}};
  return c;
}

// A client and a gateway with one PPP session up between them, every login accepted.
class StackPair {
 public:
  StackPair() : gateway_(gateway_config(), gateway_rng_), client_(client_config(), client_rng_) {
    L2tpStackOutput out;
    client_.start(now_, out);
    take(out, true);
    for (int step = 0; step < 100 && !client_up_; ++step) {
      deliver();
      now_ += std::chrono::milliseconds(100);
      tick(client_, true);
      tick(gateway_, false);
    }
  }

  bool up() const { return client_up_; }
  L2tpStack& client() { return client_; }
  L2tpStack& gateway() { return gateway_; }
  TimePoint now() const { return now_; }

 private:
  void take(L2tpStackOutput& out, bool from_client) {
    for (auto& d : out.datagrams) queue_.push_back({from_client, std::move(d.bytes)});
    for (const auto& e : out.events)
      if (from_client && e.type == hybrid::L2tpEventType::kLinkUp) client_up_ = true;
    for (const auto& ticket : out.auth_requests) {
      L2tpStackOutput verdict;
      gateway_.auth_verdict(ticket.ref, {true, "", ""}, now_, verdict);
      take(verdict, false);
    }
  }
  void tick(L2tpStack& stack, bool from_client) {
    L2tpStackOutput out;
    stack.on_timer(now_, out);
    take(out, from_client);
  }
  void deliver() {
    while (!queue_.empty()) {
      auto [from_client, bytes] = std::move(queue_.front());
      queue_.pop_front();
      L2tpStackOutput out;
      (from_client ? gateway_ : client_)
          .on_datagram(bytes, from_client ? kClientEndpoint : kGatewayEndpoint, now_, out);
      take(out, !from_client);
    }
  }

  TimePoint now_{};
  SeededRng gateway_rng_{1};
  SeededRng client_rng_{2};
  L2tpStack gateway_;
  L2tpStack client_;
  std::deque<std::pair<bool, std::vector<std::byte>>> queue_;
  bool client_up_ = false;
};

// The client's inner packet of `size` bytes to the gateway.
std::vector<std::byte> inner_packet(std::size_t size) {
  return wireguard::testing::ipv4_packet(kClientAddress.to_string(), kGatewayAddress.to_string(),
                                         size - 20);
}

void BM_L2tpSend(benchmark::State& state) {
  const std::size_t size = packet_size(state);
  StackPair pair;
  if (!pair.up()) {
    state.SkipWithError("no PPP session between client and gateway");
    return;
  }
  Slot slot(size);
  const Packet inner = slot.hold(inner_packet(size));
  for (auto _ : state) {
    // Only the headroom is written: the inner packet stays as it was for the next iteration.
    Packet p = inner;
    const auto route = pair.client().on_inner_packet(p);
    benchmark::DoNotOptimize(route);
    benchmark::DoNotOptimize(p.offset);
    benchmark::ClobberMemory();
  }
  if (pair.client().stats().from_tun != static_cast<std::uint64_t>(state.iterations()))
    state.SkipWithError("the client did not send every packet");
  set_packet_rates(state, size);
}
BENCHMARK(BM_L2tpSend)->Arg(64)->Arg(512)->Arg(1400);

void BM_L2tpReceive(benchmark::State& state) {
  const std::size_t size = packet_size(state);
  StackPair pair;
  if (!pair.up()) {
    state.SkipWithError("no PPP session between client and gateway");
    return;
  }
  const auto inner = inner_packet(size);
  Slot slot(size);
  Packet datagram = slot.hold(inner);
  L2tpStackOutput out;
  if (!pair.client().on_inner_packet(datagram)) {
    state.SkipWithError("the client did not send the packet");
    return;
  }
  // Checked once: the gateway delivers what the client sent. L2TP data carries no sequence
  // numbers here, so the same datagram can be received again and again.
  pair.gateway().on_datagram(datagram.bytes(), kClientEndpoint, pair.now(), out);
  if (out.to_tun.size() != 1 ||
      !std::equal(inner.begin(), inner.end(), out.to_tun[0].begin(), out.to_tun[0].end())) {
    state.SkipWithError("the gateway did not deliver what the client sent");
    return;
  }
  for (auto _ : state) {
    out.clear();
    pair.gateway().on_datagram(datagram.bytes(), kClientEndpoint, pair.now(), out);
    benchmark::DoNotOptimize(out.to_tun.data());
  }
  if (pair.gateway().stats().to_tun != static_cast<std::uint64_t>(state.iterations()) + 1)
    state.SkipWithError("the gateway dropped packets");
  set_packet_rates(state, size);
}
BENCHMARK(BM_L2tpReceive)->Arg(64)->Arg(512)->Arg(1400);

}  // namespace
}  // namespace tandem::bench
