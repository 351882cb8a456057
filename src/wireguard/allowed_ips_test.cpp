// The cryptokey routing table: hand-picked cases and a randomized comparison with a naive
// linear longest-prefix match.
#include "wireguard/allowed_ips.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace tandem::wireguard {
namespace {

IpPrefix P(const char* s) {
  return *IpPrefix::parse(s);
}
IpAddress A(const char* s) {
  return *IpAddress::parse(s);
}

TEST(AllowedIps, LongestPrefixWins) {
  AllowedIps<int> t;
  t.insert(P("10.0.0.0/8"), 1);
  t.insert(P("10.1.0.0/16"), 2);
  t.insert(P("10.1.1.1/32"), 3);
  EXPECT_EQ(t.lookup(A("10.2.3.4")), 1);
  EXPECT_EQ(t.lookup(A("10.1.3.4")), 2);
  EXPECT_EQ(t.lookup(A("10.1.1.1")), 3);
  EXPECT_EQ(t.lookup(A("11.0.0.1")), std::nullopt);
}

TEST(AllowedIps, DefaultRoutesPerFamily) {
  AllowedIps<int> t;
  t.insert(P("0.0.0.0/0"), 4);
  t.insert(P("::/0"), 6);
  t.insert(P("fd00::/64"), 7);
  EXPECT_EQ(t.lookup(A("192.0.2.1")), 4);
  EXPECT_EQ(t.lookup(A("2001:db8::1")), 6);
  EXPECT_EQ(t.lookup(A("fd00::5")), 7);
  EXPECT_EQ(t.lookup(A("fd00:0:0:1::5")), 6);
}

TEST(AllowedIps, ReinsertMovesPrefixToNewPeer) {
  AllowedIps<int> t;
  t.insert(P("10.0.0.0/24"), 1);
  t.insert(P("10.0.0.0/24"), 2);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(A("10.0.0.9")), 2);
  EXPECT_TRUE(t.prefixes_of(1).empty());
}

TEST(AllowedIps, RemoveValueTakesAllItsPrefixesOnly) {
  AllowedIps<int> t;
  t.insert(P("10.0.0.0/24"), 1);
  t.insert(P("10.0.0.128/25"), 2);
  t.insert(P("fd00::1/128"), 1);
  t.remove_value(1);
  EXPECT_EQ(t.size(), 1u);
  EXPECT_EQ(t.lookup(A("10.0.0.1")), std::nullopt);
  EXPECT_EQ(t.lookup(A("10.0.0.200")), 2);
  EXPECT_EQ(t.lookup(A("fd00::1")), std::nullopt);
}

TEST(AllowedIps, RemoveOnlyIfOwnedByValue) {
  AllowedIps<int> t;
  t.insert(P("10.0.0.0/24"), 1);
  EXPECT_FALSE(t.remove(P("10.0.0.0/24"), 2));
  EXPECT_TRUE(t.remove(P("10.0.0.0/24"), 1));
  EXPECT_EQ(t.lookup(A("10.0.0.1")), std::nullopt);
}

TEST(AllowedIps, ListsPrefixesWithHostBitsCleared) {
  AllowedIps<int> t;
  t.insert(P("10.0.0.77/24"), 1);
  t.insert(P("fd00::1/128"), 1);
  t.insert(P("192.168.0.0/16"), 1);
  const auto list = t.prefixes_of(1);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].to_string(), "10.0.0.0/24");
  EXPECT_EQ(list[1].to_string(), "192.168.0.0/16");
  EXPECT_EQ(list[2].to_string(), "fd00::1/128");
}

TEST(AllowedIps, RawHeaderLookupsMatchAddressLookups) {
  AllowedIps<int> t;
  t.insert(P("10.9.0.0/16"), 3);
  const auto a = A("10.9.1.2");
  EXPECT_EQ(t.lookup_v4(reinterpret_cast<const std::byte*>(a.data())), 3);
}

// Differential test: random prefixes, inserts and removals, against a linear scan.
TEST(AllowedIps, AgreesWithNaiveModelOnRandomTables) {
  std::mt19937_64 rng(42);
  for (auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    AllowedIps<int> table;
    std::map<IpPrefix, int> model;
    const unsigned bits = family == IpAddress::Family::kV4 ? 32 : 128;
    auto random_address = [&] {
      std::array<std::uint8_t, 16> b{};
      // A narrow address space so that prefixes overlap often.
      b[0] = 10;
      for (std::size_t i = 1; i < 16; ++i) b[i] = static_cast<std::uint8_t>(rng() % 4);
      return family == IpAddress::Family::kV4 ? IpAddress::v4({b[0], b[1], b[2], b[3]})
                                              : IpAddress::v6(b);
    };
    for (int step = 0; step < 3000; ++step) {
      const IpPrefix prefix(random_address(), static_cast<unsigned>(rng() % (bits + 1)));
      const int value = static_cast<int>(rng() % 8);
      if (rng() % 4 == 0) {
        table.remove_value(value);
        std::erase_if(model, [&](const auto& kv) { return kv.second == value; });
      } else {
        table.insert(prefix, value);
        model[prefix] = value;
      }
      const IpAddress probe = random_address();
      std::optional<int> expected;
      unsigned best = 0;
      for (const auto& [p, v] : model)
        if (p.contains(probe) && (!expected || p.length() >= best)) {
          expected = v;
          best = p.length();
        }
      ASSERT_EQ(table.lookup(probe), expected) << probe.to_string() << " step " << step;
      ASSERT_EQ(table.size(), model.size());
    }
  }
}

// Differential test over both families in one table: thousands of prefixes of mixed lengths
// (host routes most of all, as on a gateway), replaced, removed one by one and by value, checked
// against a brute-force linear longest-prefix match, with listings compared too.
TEST(AllowedIps, MatchesBruteForceUnderInterleavedChanges) {
  std::mt19937_64 rng(7);
  AllowedIps<int> table;
  std::map<IpPrefix, int> model;
  std::vector<IpPrefix> inserted;
  auto random_address = [&](bool v4) {
    std::array<std::uint8_t, 16> b{};
    // Few distinct values per byte, so that prefixes nest and collide often.
    for (auto& byte : b) byte = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() : rng() % 4);
    return v4 ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  };
  auto random_prefix = [&] {
    const bool v4 = rng() % 2 == 0;
    const unsigned bits = v4 ? 32 : 128;
    const unsigned length = rng() % 2 == 0 ? bits : static_cast<unsigned>(rng() % (bits + 1));
    return IpPrefix(random_address(v4), length);
  };
  // An address inside a prefix already inserted, or anywhere.
  auto random_probe = [&] {
    if (inserted.empty() || rng() % 4 == 0) return random_address(rng() % 2 == 0);
    const IpPrefix& p = inserted[rng() % inserted.size()];
    const IpAddress noise = random_address(p.address().is_v4());
    std::array<std::uint8_t, 16> b{};
    for (unsigned bit = 0; bit < (p.address().is_v4() ? 32u : 128u); ++bit) {
      const auto* from = bit < p.length() ? p.address().data() : noise.data();
      b[bit / 8] |= static_cast<std::uint8_t>(from[bit / 8] & (0x80u >> (bit % 8)));
    }
    return p.address().is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
  };
  auto brute_force = [&](const IpAddress& address) {
    std::optional<int> best;
    unsigned best_length = 0;
    for (const auto& [prefix, value] : model)
      if (prefix.contains(address) && (!best || prefix.length() > best_length)) {
        best = value;
        best_length = prefix.length();
      }
    return best;
  };
  constexpr int kValues = 40;
  for (int step = 0; step < 6000; ++step) {
    const int value = static_cast<int>(rng() % kValues);
    const auto action = rng() % 100;
    if (action == 0) {
      table.remove_value(value);
      std::erase_if(model, [&](const auto& kv) { return kv.second == value; });
    } else if (action < 15 && !inserted.empty()) {
      const IpPrefix prefix = inserted[rng() % inserted.size()];
      const auto it = model.find(prefix);
      // Half the time its owner, else most likely another value, which must not remove it.
      const int by = it != model.end() && rng() % 2 == 0 ? it->second : value;
      const bool owned = it != model.end() && it->second == by;
      ASSERT_EQ(table.remove(prefix, by), owned) << prefix.to_string();
      if (owned) model.erase(it);
    } else {
      // Now and then an existing prefix again: a replacement.
      const IpPrefix prefix =
          !inserted.empty() && action < 30 ? inserted[rng() % inserted.size()] : random_prefix();
      table.insert(prefix, value);
      model[prefix] = value;
      inserted.push_back(prefix);
    }
    ASSERT_EQ(table.size(), model.size()) << "step " << step;
    for (int probe = 0; probe < 4; ++probe) {
      const IpAddress address = random_probe();
      ASSERT_EQ(table.lookup(address), brute_force(address))
          << address.to_string() << " step " << step;
    }
    if (step % 100 == 0) {
      for (int v = 0; v < kValues; ++v) {
        std::vector<IpPrefix> expected;  // the map's order: IPv4 first, then by address, length
        for (const auto& [prefix, owner] : model)
          if (owner == v) expected.push_back(prefix);
        ASSERT_EQ(table.prefixes_of(v), expected) << "value " << v << " step " << step;
      }
    }
  }
  EXPECT_GT(model.size(), 1000u);
}

}  // namespace
}  // namespace tandem::wireguard
