// Fuzz target: arbitrary datagrams into IKEv1 nodes. Each input is fed (1) to a fresh gateway
// as a first message, and (2) to both ends of an established SA, with the SA's cookies written
// over the input's so that it reaches Main Mode, Quick Mode and Informational handling and the
// decryption paths behind them. Nothing may crash, and an established SA must stay usable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <vector>

#include "base/seeded_rng.hpp"
#include "ipsec/ike/v1/node.hpp"

using namespace tandem;
using namespace tandem::ipsec::ike;
using namespace tandem::ipsec::ike::v1;

namespace {

const IpAddress kClient = *IpAddress::parse("10.1.0.2");
const IpAddress kGateway = *IpAddress::parse("192.0.2.1");

PeerConfig peer(bool client) {
  PeerConfig p;
  p.name = client ? "gateway" : "clients";
  if (client) p.address = kGateway;
  p.psk = {std::byte{'k'}, std::byte{'e'}, std::byte{'y'}};
  p.phase1 = {{kEncryptionAesCbc, 128, Hash::kSha256, 19}};
  return p;
}

struct Pair {
  SeededRng client_rng{1}, gateway_rng{2};
  Node client{Config{{peer(true)}}, client_rng};
  Node gateway{Config{{peer(false)}}, gateway_rng};
  TimePoint now{};

  void pump(Actions first, bool from_client) {
    std::deque<std::pair<bool, OutDatagram>> queue;
    for (auto& d : first.datagrams) queue.emplace_back(from_client, std::move(d));
    for (int guard = 0; guard < 100 && !queue.empty(); ++guard) {
      auto [c, d] = std::move(queue.front());
      queue.pop_front();
      if (d.keepalive) continue;
      Actions a;
      if (c)
        gateway.on_datagram(d.bytes, d.to, {kClient, d.local_port}, now, a);
      else
        client.on_datagram(d.bytes, {kClient, d.to.port}, {kGateway, d.local_port}, now, a);
      for (auto& x : a.datagrams) queue.emplace_back(!c, std::move(x));
    }
  }
};

void overwrite_cookies(std::vector<std::byte>& m, std::uint64_t i, std::uint64_t r) {
  if (m.size() < 16) return;
  for (std::size_t k = 0; k < 8; ++k) {
    m[k] = std::byte(i >> (56 - 8 * k));
    m[8 + k] = std::byte(r >> (56 - 8 * k));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(reinterpret_cast<const std::byte*>(data), size);
  {
    SeededRng rng(3);
    Node fresh(Config{{peer(false)}}, rng);
    Actions a;
    fresh.on_datagram(in, {kGateway, kIkePort}, {kClient, kIkePort}, TimePoint{}, a);
  }
  Pair pair;
  Actions start;
  if (!pair.client.initiate("gateway", {kClient, kIkePort}, pair.now, start)) std::abort();
  pair.pump(std::move(start), true);
  const auto status = pair.client.status();
  if (status.size() != 1 || !status[0].established || status[0].children.size() != 1) std::abort();
  const std::uint64_t cky_i = status[0].handle;
  const std::uint64_t cky_r = pair.gateway.status().at(0).handle;
  std::vector<std::byte> message(in.begin(), in.end());
  overwrite_cookies(message, cky_i, cky_r);
  Actions a, b;
  pair.gateway.on_datagram(message, {kGateway, kNatTraversalPort}, {kClient, kNatTraversalPort},
                           pair.now, a);
  pair.client.on_datagram(message, {kClient, kNatTraversalPort}, {kGateway, kNatTraversalPort},
                          pair.now, b);
  pair.pump(std::move(a), false);
  pair.pump(std::move(b), true);
  pair.now += std::chrono::seconds(40);
  Actions t;
  pair.client.on_timer(pair.now, t);
  pair.pump(std::move(t), true);
  return 0;
}
