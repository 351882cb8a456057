// The engine's small building blocks: NAT-D hashes (known answers computed independently with
// Python's hashlib), traffic selector narrowing, cookies that only the same initiator can
// repeat and that survive one secret rotation, and the address pool's memory of identities.
#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "crypto/test_hex.hpp"
#include "ipsec/ike/v2/address_pool.hpp"
#include "ipsec/ike/v2/cookie.hpp"
#include "ipsec/ike/v2/nat_detection.hpp"
#include "ipsec/ike/v2/traffic_selectors.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

using crypto::testing::unhex;

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

TEST(NatDetection, HashesSpisAddressAndPort) {
  EXPECT_EQ(nat_detection_hash(0x0102030405060708, 0x1112131415161718, {ip("192.0.2.1"), 500}),
            unhex("d798d986143f878f70765e0e869c80bbc375f701"));
  EXPECT_EQ(nat_detection_hash(0x0102030405060708, 0, {ip("198.51.100.1"), 4500}),
            unhex("3455834292e52faaad06fdbe0dec8b17e57e785d"));
}

TEST(TrafficSelectors, NarrowingIntersectsAddressesProtocolsAndPorts) {
  const std::vector<Selector> proposed{{ip("10.0.0.0"), ip("10.255.255.255"), 0, 0, 65535}};
  const std::vector<Selector> allowed{{ip("10.1.0.0"), ip("10.1.255.255"), 17, 1701, 1701},
                                      {ip("192.168.0.0"), ip("192.168.0.255"), 0, 0, 65535}};
  EXPECT_EQ(narrow(proposed, allowed),
            (std::vector<Selector>{{ip("10.1.0.0"), ip("10.1.255.255"), 17, 1701, 1701}}));
  EXPECT_TRUE(narrow({{ip("10.0.0.0"), ip("10.0.0.255"), 6, 0, 65535}}, allowed).empty());
  EXPECT_TRUE(narrow({{ip("fd00::"), ip("fd00::ffff"), 0, 0, 65535}}, allowed).empty());
}

TEST(TrafficSelectors, CoveredByChecksEverySelector) {
  const std::vector<Selector> outer{any_ipv4_selector()};
  EXPECT_TRUE(covered_by({host_selector(ip("10.2.3.4"))}, outer));
  EXPECT_FALSE(covered_by({host_selector(ip("10.2.3.4"))}, {host_selector(ip("10.2.3.5"))}));
  EXPECT_EQ(from_wire(to_wire(outer)), outer);
}

TEST(Cookie, OnlyTheSameInitiatorCanRepeatItsCookie) {
  SeededRng rng(5);
  CookieJar jar(rng, std::chrono::minutes(2));
  const TimePoint t0{std::chrono::hours(1)};
  const std::vector<std::byte> ni(32, std::byte{7});
  const auto cookie = jar.make(ni, ip("192.0.2.1"), 42, t0);
  EXPECT_TRUE(jar.check(cookie, ni, ip("192.0.2.1"), 42, t0));
  EXPECT_FALSE(jar.check(cookie, ni, ip("192.0.2.2"), 42, t0));
  EXPECT_FALSE(jar.check(cookie, ni, ip("192.0.2.1"), 43, t0));
  EXPECT_FALSE(
      jar.check(cookie, std::vector<std::byte>(32, std::byte{8}), ip("192.0.2.1"), 42, t0));
  auto forged = cookie;
  forged.back() ^= std::byte{1};
  EXPECT_FALSE(jar.check(forged, ni, ip("192.0.2.1"), 42, t0));
  // Good across one rotation of the secret, not two.
  EXPECT_TRUE(jar.check(cookie, ni, ip("192.0.2.1"), 42, t0 + std::chrono::minutes(3)));
  EXPECT_FALSE(jar.check(cookie, ni, ip("192.0.2.1"), 42, t0 + std::chrono::minutes(6)));
}

TEST(AddressPool, SameIdentityGetsItsAddressBackWhileItIsFree) {
  AddressPool pool(AddressPoolConfig{ip("10.9.0.1"), 3, {}, {}});
  EXPECT_EQ(pool.lease("alice", 1), ip("10.9.0.1"));
  EXPECT_EQ(pool.lease("bob", 2), ip("10.9.0.2"));
  pool.release(1);
  // A newcomer avoids alice's old address while another one is free.
  EXPECT_EQ(pool.lease("carol", 3), ip("10.9.0.3"));
  EXPECT_EQ(pool.lease("alice", 4), ip("10.9.0.1"));
  EXPECT_FALSE(pool.lease("dave", 5));  // exhausted
  pool.transfer(4, 6);
  pool.release(4);
  EXPECT_EQ(pool.leased(), 3u);
  pool.release(6);
  EXPECT_EQ(pool.lease("dave", 7), ip("10.9.0.1"));  // taken over once nothing else is free
  EXPECT_FALSE(AddressPool(std::nullopt).enabled());
}

}  // namespace
}  // namespace tandem::ipsec::ike::v2
