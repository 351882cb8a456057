// Road warriors with inner addresses of their own (PeerConfig::virtual_address, a hybrid
// gateway's accounts): the configuration payload hands each peer exactly its address, its Child
// SA's remote traffic selectors are narrowed to it whether or not it asked, and the SA database
// then refuses what the peer sends from any other source.
#include <gtest/gtest.h>

#include "ipsec/ike/v2/node_test_harness.hpp"
#include "ipsec/sa_database.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using testing::ip;
using testing::Pair;
using testing::range;

std::vector<std::byte> text_bytes(std::string_view s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

// A road warrior `who` with pre-shared key `psk`, asking the gateway for an address (or not)
// and for the gateway's subnet 10.77.0.0/24.
Config road_warrior(std::string_view who, std::string_view psk, bool ask) {
  Config c = testing::initiator_config();
  c.identity = Identity::fqdn(who);
  PeerConfig& p = c.peers[0];
  p.psk = text_bytes(psk);
  p.request_virtual_ip = ask;
  p.local_selectors =
      ask ? std::vector<Selector>{} : std::vector{range("10.77.0.0", "10.77.0.255")};
  p.remote_selectors = {range("10.77.0.0", "10.77.0.255")};
  return c;
}

PeerConfig account(std::string_view name, std::string_view psk, const char* address) {
  PeerConfig p;
  p.name = std::string(name);
  p.remote_id = Identity::fqdn(name);
  p.psk = text_bytes(psk);
  p.local_selectors = {range("0.0.0.0", "255.255.255.255")};
  p.virtual_address = ip(address);
  return p;
}

// A gateway whose accounts carol and dave have addresses of their own, beside a pool that must
// not be used for them.
Config gateway() {
  Config c = testing::responder_config();
  c.peers = {account("carol.example", "carol-secret-0123", "10.77.0.3"),
             account("dave.example", "dave-secret-45678", "10.77.0.4")};
  c.pool = AddressPoolConfig{ip("10.77.0.100"), 8, {}, {}};
  return c;
}

// An IPv4 packet (UDP, no payload) from `source` to `destination`.
std::vector<std::byte> udp_packet(const IpAddress& source, const IpAddress& destination) {
  std::vector<std::byte> p(28);
  p[0] = std::byte{0x45};
  p[3] = std::byte{28};
  p[8] = std::byte{64};
  p[9] = std::byte{17};
  const auto s = source.v4_u32(), d = destination.v4_u32();
  for (int i = 0; i < 4; ++i) {
    p[12 + static_cast<std::size_t>(i)] = std::byte(s >> (24 - 8 * i));
    p[16 + static_cast<std::size_t>(i)] = std::byte(d >> (24 - 8 * i));
  }
  p[21] = std::byte{53};
  p[23] = std::byte{53};
  p[25] = std::byte{8};
  return p;
}

// Seals a packet from `source` with the road warrior's SA and opens it at the gateway.
Result<Opened, InboundDrop> send_from(SaDatabase& warrior, SaDatabase& gw, const ChildSa& mine,
                                      const char* source) {
  static SeededRng rng(3);
  const auto packet = udp_packet(ip(source), ip("10.77.0.2"));
  std::vector<std::byte> storage(512);
  std::copy(packet.begin(), packet.end(), storage.begin() + 64);
  Packet slot{storage.data(), storage.size(), 64, packet.size(), {}};
  if (!warrior.seal(*warrior.find(mine.inbound_spi), slot, esp::kNextIpv4, rng))
    return Err(InboundDrop::kMalformed);
  return gw.open(slot);
}

TEST(Ikev2VirtualAddress, HandsThePeerItsOwnAddressNotAPoolLease) {
  Pair pair(road_warrior("carol.example", "carol-secret-0123", true), gateway());
  const auto id = pair.initiate();
  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info && info->virtual_ip);
  EXPECT_EQ(*info->virtual_ip, ip("10.77.0.3"));
  EXPECT_EQ(pair.b.pool().leased(), 0u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  EXPECT_EQ(pair.log_b.installs[0].remote, std::vector{range("10.77.0.3", "10.77.0.3")});
  EXPECT_EQ(pair.log_b.installs[0].local, std::vector{range("10.77.0.0", "10.77.0.255")});
  EXPECT_EQ(pair.log_a.installs[0].local, std::vector{range("10.77.0.3", "10.77.0.3")});
  EXPECT_EQ(pair.b.ike_sas()[0].peer, "carol.example");
}

TEST(Ikev2VirtualAddress, NarrowsThePeersSelectorsEvenWhenItDoesNotAsk) {
  Pair pair(road_warrior("carol.example", "carol-secret-0123", false), gateway());
  const auto id = pair.initiate();
  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info);
  EXPECT_FALSE(info->virtual_ip);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  EXPECT_EQ(pair.log_b.installs[0].remote, std::vector{range("10.77.0.3", "10.77.0.3")});
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  EXPECT_EQ(pair.log_a.installs[0].local, std::vector{range("10.77.0.3", "10.77.0.3")});
}

TEST(Ikev2VirtualAddress, TheAccountsSubnetsAreAllowedBesideItsAddress) {
  Config gw = gateway();
  gw.peers[0].remote_selectors = {range("192.168.50.0", "192.168.50.255")};
  Config warrior = road_warrior("carol.example", "carol-secret-0123", false);
  warrior.peers[0].local_selectors = {range("0.0.0.0", "255.255.255.255")};
  Pair pair(warrior, gw);
  pair.initiate();
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  EXPECT_EQ(pair.log_b.installs[0].remote, (std::vector{range("10.77.0.3", "10.77.0.3"),
                                                        range("192.168.50.0", "192.168.50.255")}));
}

TEST(Ikev2VirtualAddress, EspFromAnotherSourceIsRefusedByThePolicy) {
  Pair pair(road_warrior("carol.example", "carol-secret-0123", true), gateway());
  pair.initiate();
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  SaDatabase warrior, gw;
  ASSERT_TRUE(warrior.install(pair.log_a.installs[0]));
  ASSERT_TRUE(gw.install(pair.log_b.installs[0]));
  const ChildSa& mine = pair.log_a.installs[0];

  EXPECT_TRUE(send_from(warrior, gw, mine, "10.77.0.3"));
  // Another account's address, and one nobody has: authentic, but not carol's.
  for (const char* other : {"10.77.0.4", "10.77.0.99"}) {
    const auto r = send_from(warrior, gw, mine, other);
    ASSERT_FALSE(r) << other;
    EXPECT_EQ(r.error(), InboundDrop::kPolicy) << other;
  }
  EXPECT_EQ(gw.stats().policy_dropped, 2u);
}

TEST(Ikev2VirtualAddress, EachPeerGetsItsOwnAddressByIdentityAndKey) {
  Pair carol(road_warrior("carol.example", "carol-secret-0123", true), gateway());
  Pair dave(road_warrior("dave.example", "dave-secret-45678", true), gateway());
  const auto c = carol.initiate();
  const auto d = dave.initiate();
  ASSERT_TRUE(carol.a.ike_sa(c) && carol.a.ike_sa(c)->virtual_ip);
  ASSERT_TRUE(dave.a.ike_sa(d) && dave.a.ike_sa(d)->virtual_ip);
  EXPECT_EQ(*carol.a.ike_sa(c)->virtual_ip, ip("10.77.0.3"));
  EXPECT_EQ(*dave.a.ike_sa(d)->virtual_ip, ip("10.77.0.4"));
  EXPECT_EQ(dave.b.ike_sas()[0].peer, "dave.example");
}

TEST(Ikev2VirtualAddress, AnotherPeersKeyIsRefusedNamingThePeer) {
  // dave's identity with carol's key.
  Pair pair(road_warrior("dave.example", "carol-secret-0123", true), gateway());
  pair.initiate();
  EXPECT_TRUE(pair.log_b.installs.empty());
  const Event* refused = pair.log_b.find(EventType::kRefused);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->detail.find("peer dave.example failed (wrong pre-shared key?)"),
            std::string::npos)
      << refused->detail;
}

TEST(Ikev2VirtualAddress, AnUnknownIdentityIsRefused) {
  Pair pair(road_warrior("mallory.example", "carol-secret-0123", true), gateway());
  pair.initiate();
  EXPECT_TRUE(pair.log_a.installs.empty());
  EXPECT_TRUE(pair.log_b.installs.empty());
  const Event* refused = pair.log_b.find(EventType::kRefused);
  ASSERT_NE(refused, nullptr);
  EXPECT_NE(refused->detail.find("no peer has that identity"), std::string::npos)
      << refused->detail;
  EXPECT_EQ(pair.b.pool().leased(), 0u);
}

// An account with an IPv6 address too: a road warrior that asks for both gets both, its Child
// SA carries both (and nothing else from it), and one that asks for IPv4 alone gets IPv4 alone.
TEST(Ikev2VirtualAddress, HandsOutTheAccountsIpv6AddressWhenAskedForIt) {
  Config gw = gateway();
  gw.peers[0].virtual_address6 = ip("fd77::3");
  gw.peers[0].local_selectors.push_back(range("::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  Config warrior = road_warrior("carol.example", "carol-secret-0123", true);
  warrior.peers[0].request_virtual_ip6 = true;
  warrior.peers[0].remote_selectors.push_back(range("fd77::", "fd77::ffff"));
  Pair pair(warrior, gw);
  const auto id = pair.initiate();
  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info && info->virtual_ip && info->virtual_ip6);
  EXPECT_EQ(*info->virtual_ip, ip("10.77.0.3"));
  EXPECT_EQ(*info->virtual_ip6, ip("fd77::3"));
  ASSERT_EQ(pair.log_a.installs.size(), 1u);
  ASSERT_EQ(pair.log_b.installs.size(), 1u);
  EXPECT_EQ(pair.log_a.installs[0].local,
            (std::vector{range("10.77.0.3", "10.77.0.3"), range("fd77::3", "fd77::3")}));
  EXPECT_EQ(pair.log_b.installs[0].remote,
            (std::vector{range("10.77.0.3", "10.77.0.3"), range("fd77::3", "fd77::3")}));
  EXPECT_EQ(pair.log_b.installs[0].local,
            (std::vector{range("10.77.0.0", "10.77.0.255"), range("fd77::", "fd77::ffff")}));

  Pair v4_only(road_warrior("carol.example", "carol-secret-0123", true), gw);
  const auto v4_id = v4_only.initiate();
  ASSERT_TRUE(v4_only.a.ike_sa(v4_id));
  EXPECT_FALSE(v4_only.a.ike_sa(v4_id)->virtual_ip6);
  ASSERT_EQ(v4_only.log_b.installs.size(), 1u);
  EXPECT_EQ(v4_only.log_b.installs[0].remote, std::vector{range("10.77.0.3", "10.77.0.3")});
}

// RFC 8598: the gateway's split-DNS domains go with its DNS servers to a road warrior that asks
// for them (INTERNAL_DNS_DOMAIN in its request), and to no other.
TEST(Ikev2VirtualAddress, GivesSplitDnsDomainsOnlyToARoadWarriorThatAsks) {
  Config gw = gateway();
  gw.pool->dns = {ip("10.77.0.1")};
  gw.pool->dns_domains = {"corp.example", "77.10.in-addr.arpa"};
  Config warrior = road_warrior("carol.example", "carol-secret-0123", true);
  warrior.peers[0].request_dns_domains = true;
  Pair pair(warrior, gw);
  const auto id = pair.initiate();
  const auto info = pair.a.ike_sa(id);
  ASSERT_TRUE(info && info->virtual_ip);
  EXPECT_EQ(info->dns_domains, (std::vector<std::string>{"corp.example", "77.10.in-addr.arpa"}));

  Pair silent(road_warrior("carol.example", "carol-secret-0123", true), gw);
  const auto silent_id = silent.initiate();
  ASSERT_TRUE(silent.a.ike_sa(silent_id));
  EXPECT_TRUE(silent.a.ike_sa(silent_id)->dns_domains.empty());

  // No DNS server to resolve them with: no domains either.
  gw.pool->dns.clear();
  Pair no_servers(warrior, gw);
  const auto no_servers_id = no_servers.initiate();
  ASSERT_TRUE(no_servers.a.ike_sa(no_servers_id));
  EXPECT_TRUE(no_servers.a.ike_sa(no_servers_id)->dns_domains.empty());
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
