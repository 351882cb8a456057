// Fuzz target: arbitrary datagrams into an IKEv2 node. The first byte picks the victim: a
// responder (the datagrams as they come) or an initiator that has sent IKE_SA_INIT (each
// datagram's initiator SPI set to ours, so it reaches that IKE SA). The rest is a series of
// datagrams, each with a 2-byte length, delivered on port 500 or 4500, with timers run between
// them. Nothing may crash, and every action must be well formed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "base/seeded_rng.hpp"
#include "ipsec/ike/v2/node.hpp"

using namespace tandem;
using namespace tandem::ipsec::ike;
using namespace tandem::ipsec::ike::v2;

namespace {

Config config(bool initiator) {
  Config c;
  c.identity = Identity::fqdn(initiator ? "client.example" : "gw.example");
  c.local_address = *IpAddress::parse(initiator ? "192.0.2.1" : "198.51.100.1");
  c.cookie_threshold = 2;
  c.pool = AddressPoolConfig{*IpAddress::parse("10.9.0.1"), 2, {}, {}};
  PeerConfig p;
  p.name = "peer";
  if (initiator) p.remote_address = IpAddress::parse("198.51.100.1");
  p.remote_id = Identity::fqdn(initiator ? "gw.example" : "client.example");
  p.psk = {std::byte{1}, std::byte{2}, std::byte{3}};
  p.pfs_group = 19;
  c.peers.push_back(p);
  return c;
}

void check(const Actions& out) {
  for (const OutDatagram& d : out.datagrams)
    if (d.bytes.empty() || (d.local_port != kIkePort && d.local_port != kNatTraversalPort))
      std::abort();
  for (const ChildSa& c : out.installs)
    if (c.inbound_spi == 0 || c.outbound_spi == 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const bool initiator = (data[0] & 1) != 0;
  SeededRng rng(7);
  Node node(config(initiator), rng);
  TimePoint now{std::chrono::hours(1)};
  Actions out;
  std::uint64_t ours = 0;
  if (initiator) {
    auto id = node.initiate("peer", now, out);
    if (!id) std::abort();
    ours = *id;
  }
  const Endpoint local{*IpAddress::parse(initiator ? "192.0.2.1" : "198.51.100.1"), 500};
  const Endpoint from{*IpAddress::parse(initiator ? "198.51.100.1" : "192.0.2.1"), 500};
  std::size_t at = 1;
  while (at + 2 <= size) {
    const std::size_t length = (std::size_t{data[at]} << 8 | data[at + 1]) & 0x7fff;
    const bool nat_port = (data[at] & 0x80) != 0;
    at += 2;
    std::vector<std::byte> message(
        reinterpret_cast<const std::byte*>(data + at),
        reinterpret_cast<const std::byte*>(data + at) + std::min(length, size - at));
    at += message.size();
    if (initiator && message.size() >= 8) store_be64(message.data(), ours);
    Endpoint l = local;
    Endpoint f = from;
    if (nat_port) l.port = f.port = kNatTraversalPort;
    node.on_datagram(message, l, f, now, out);
    check(out);
    out.clear();
    now += std::chrono::milliseconds(700);
    node.on_timer(now, out);
    check(out);
    out.clear();
  }
  now += std::chrono::minutes(5);
  node.on_timer(now, out);
  check(out);
  (void)node.next_deadline();
  (void)node.ike_sas();
  return 0;
}
