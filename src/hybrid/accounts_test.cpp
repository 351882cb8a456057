// The account table: fixed and leased addresses, remembered leases, every refusal naming the
// accounts involved, lookups by key, name and address, and a randomized comparison of owner_of
// and the overlap checks with a naive linear model.
#include "hybrid/accounts.hpp"

#include <gtest/gtest.h>

#include <random>

namespace tandem::hybrid {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}
IpPrefix net(const char* text) {
  return *IpPrefix::parse(text);
}
crypto::PublicKey key(std::uint8_t fill) {
  crypto::PublicKey k;
  k.fill(std::byte{fill});
  return k;
}

AccountSpec user(std::string name) {
  AccountSpec spec;
  spec.name = std::move(name);
  return spec;
}
AccountSpec user(std::string name, const char* ipv4) {
  AccountSpec spec = user(std::move(name));
  spec.ipv4 = ip(ipv4);
  return spec;
}

// 10.77.0.10 .. 10.77.0.20 and fd77::/112, the gateway on 10.77.0.1 and fd77::1.
AddressPlan pools() {
  AddressPlan plan;
  plan.v4_first = ip("10.77.0.10");
  plan.v4_last = ip("10.77.0.20");
  plan.v6_pool = net("fd77::/112");
  plan.reserved = {ip("10.77.0.1"), ip("fd77::1")};
  return plan;
}

AccountTable table_of(std::vector<AccountSpec> specs, const AddressPlan& plan = pools(),
                      const std::map<std::string, std::vector<IpAddress>>& remembered = {}) {
  auto table = AccountTable::create(std::move(specs), plan, remembered);
  EXPECT_TRUE(table.ok()) << table.error();
  return table.ok() ? std::move(table).value() : AccountTable();
}

std::string refusal(std::vector<AccountSpec> specs, const AddressPlan& plan = pools()) {
  auto table = AccountTable::create(std::move(specs), plan);
  EXPECT_FALSE(table.ok()) << "accepted";
  return table.ok() ? std::string() : table.error();
}

TEST(AccountTable, KeepsFixedAddressesAndLeasesTheRest) {
  AccountSpec bob = user("bob", "10.77.5.5");
  bob.ipv6 = ip("fd00::5");
  const auto table = table_of({user("alice"), bob});
  const Account& alice = table.accounts()[0];
  EXPECT_EQ(alice.id, 1u);
  EXPECT_EQ(alice.ipv4, ip("10.77.0.10"));
  EXPECT_EQ(alice.ipv6, ip("fd77::10"));
  EXPECT_TRUE(alice.ipv4_leased && alice.ipv6_leased);
  const Account& fixed = table.accounts()[1];
  EXPECT_EQ(fixed.id, 2u);
  EXPECT_EQ(fixed.ipv4, ip("10.77.5.5"));
  EXPECT_EQ(fixed.ipv6, ip("fd00::5"));
  EXPECT_FALSE(fixed.ipv4_leased || fixed.ipv6_leased);
}

TEST(AccountTable, LeasesSkipReservedAddressesAndOthersFixedOnes) {
  AddressPlan plan = pools();
  plan.reserved.push_back(ip("10.77.0.10"));
  plan.reserved.push_back(ip("fd77::10"));
  AccountSpec later = user("later", "10.77.0.11");
  later.ipv6 = ip("fd77::11");
  const auto table = table_of({user("first"), later}, plan);
  EXPECT_EQ(table.accounts()[0].ipv4, ip("10.77.0.12"));
  EXPECT_EQ(table.accounts()[0].ipv6, ip("fd77::12"));
}

TEST(AccountTable, LeasesAvoidASitesSubnet) {
  AccountSpec site = user("site", "10.9.0.1");
  site.ipv6 = ip("fd09::1");
  site.subnets = {net("10.77.0.8/30"), net("10.77.0.12/31"), net("fd77::10/127")};
  const auto table = table_of({user("alice"), site});
  EXPECT_EQ(table.accounts()[0].ipv4, ip("10.77.0.14"));
  EXPECT_EQ(table.accounts()[0].ipv6, ip("fd77::12"));
}

TEST(AccountTable, HonoursARememberedLeaseThatIsStillFree) {
  const std::map<std::string, std::vector<IpAddress>> remembered = {
      {"bob", {ip("10.77.0.10"), ip("fd77::30")}}};
  // alice comes first in the config but must not take the address bob had before.
  const auto table = table_of({user("alice"), user("bob")}, pools(), remembered);
  EXPECT_EQ(table.by_name("bob")->ipv4, ip("10.77.0.10"));
  EXPECT_EQ(table.by_name("bob")->ipv6, ip("fd77::30"));
  EXPECT_EQ(table.by_name("alice")->ipv4, ip("10.77.0.11"));
  EXPECT_EQ(table.by_name("alice")->ipv6, ip("fd77::10"));
}

TEST(AccountTable, ReplacesARememberedLeaseThatIsTakenOrOutsideThePool) {
  const std::map<std::string, std::vector<IpAddress>> remembered = {
      {"alice", {ip("10.77.0.15")}},
      {"bob", {ip("10.77.0.15"), ip("fd00::99")}},  // alice's now, and outside the IPv6 pool
      {"carol", {ip("10.77.0.1")}},                 // reserved since
      {"dave", {ip("10.77.0.21")}},                 // the pool shrank
      {"erin", {ip("10.77.0.16")}}};                // fixed for frank now
  const auto table = table_of({user("alice"), user("bob"), user("carol"), user("dave"),
                               user("erin"), user("frank", "10.77.0.16")},
                              pools(), remembered);
  EXPECT_EQ(table.by_name("alice")->ipv4, ip("10.77.0.15"));
  EXPECT_EQ(table.by_name("bob")->ipv4, ip("10.77.0.10"));
  EXPECT_EQ(table.by_name("bob")->ipv6, ip("fd77::11"));
  EXPECT_EQ(table.by_name("carol")->ipv4, ip("10.77.0.11"));
  EXPECT_EQ(table.by_name("dave")->ipv4, ip("10.77.0.12"));
  EXPECT_EQ(table.by_name("erin")->ipv4, ip("10.77.0.13"));
}

TEST(AccountTable, RefusesAnExhaustedPoolNamingTheAccount) {
  AddressPlan plan = pools();
  plan.v4_last = ip("10.77.0.11");
  const auto error = refusal({user("alice"), user("bob"), user("carol")}, plan);
  EXPECT_NE(error.find("'carol'"), std::string::npos) << error;
  EXPECT_NE(error.find("10.77.0.10..10.77.0.11"), std::string::npos) << error;
}

TEST(AccountTable, AnIpv6PoolTooShortForTheLeaseOffsetLeasesNothing) {
  AddressPlan plan;
  plan.v6_pool = net("fd77::/124");
  const auto error = refusal({user("alice")}, plan);
  EXPECT_NE(error.find("'alice'"), std::string::npos) << error;
  plan.v6_pool = net("fd77::/123");
  const auto table = table_of({user("alice")}, plan);
  EXPECT_EQ(table.accounts()[0].ipv6, ip("fd77::10"));
}

TEST(AccountTable, GivesAFamilyOnlyWhereAPoolOrAFixedAddressExists) {
  AddressPlan plan = pools();
  plan.v6_pool.reset();
  AccountSpec v6_fixed = user("bob");
  v6_fixed.ipv6 = ip("fd00::2");
  const auto table = table_of({user("alice"), v6_fixed}, plan);
  EXPECT_EQ(table.accounts()[0].ipv4, ip("10.77.0.10"));
  EXPECT_FALSE(table.accounts()[0].ipv6);
  EXPECT_EQ(table.accounts()[1].ipv4, ip("10.77.0.11"));
  EXPECT_EQ(table.accounts()[1].ipv6, ip("fd00::2"));
}

TEST(AccountTable, RefusesAnAccountLeftWithoutAnyAddress) {
  const auto error = refusal({user("alice", "10.0.0.1"), user("bob")}, AddressPlan{});
  EXPECT_NE(error.find("'bob' has no address"), std::string::npos) << error;
}

TEST(AccountTable, RefusesEveryKindOfConflictNamingBothAccounts) {
  AccountSpec key_a = user("alice");
  key_a.wireguard_keys = {key(1)};
  AccountSpec key_b = user("bob");
  key_b.wireguard_keys = {key(2), key(1)};
  AccountSpec v6_a = user("alice");
  v6_a.ipv6 = ip("fd77::40");
  AccountSpec v6_b = user("bob");
  v6_b.ipv6 = ip("fd77::40");
  AccountSpec site_a = user("alice");
  site_a.subnets = {net("192.168.0.0/16")};
  AccountSpec site_b = user("bob");
  site_b.subnets = {net("192.168.7.0/24")};
  AccountSpec in_site = user("bob", "192.168.200.1");
  AccountSpec site_v6 = user("bob");
  site_v6.subnets = {net("fd77::40/126")};

  const std::vector<std::pair<const char*, std::vector<AccountSpec>>> cases = {
      {"WireGuard key", {key_a, key_b}},
      {"fixed IPv4", {user("alice", "10.77.0.50"), user("bob", "10.77.0.50")}},
      {"fixed IPv6", {v6_a, v6_b}},
      {"subnet in subnet", {site_a, site_b}},
      {"subnet around subnet", {site_b, site_a}},
      {"address in subnet", {site_a, in_site}},
      {"subnet around address", {v6_a, site_v6}},
  };
  for (const auto& [what, specs] : cases) {
    const auto error = refusal(specs);
    EXPECT_NE(error.find("'alice'"), std::string::npos) << what << ": " << error;
    EXPECT_NE(error.find("'bob'"), std::string::npos) << what << ": " << error;
  }
  EXPECT_EQ(refusal({user("alice", "10.77.0.50"), user("bob", "10.77.0.50")}),
            "account 'bob': address 10.77.0.50 is already account 'alice''s");
}

TEST(AccountTable, RefusesARepeatedNameNamingBothPositions) {
  const auto error = refusal({user("alice"), user("bob"), user("alice")});
  EXPECT_NE(error.find("'alice'"), std::string::npos) << error;
  EXPECT_NE(error.find("#1"), std::string::npos) << error;
  EXPECT_NE(error.find("#3"), std::string::npos) << error;
}

TEST(AccountTable, RefusesAnEmptyNameByItsPosition) {
  const auto error = refusal({user("alice"), user("")});
  EXPECT_NE(error.find("#2"), std::string::npos) << error;
}

TEST(AccountTable, KeepsEachAccountsClass) {
  AccountSpec alice = user("alice", "10.77.5.2");
  alice.account_class = "staff";
  const AccountTable t = table_of({alice, user("carol", "10.77.5.3")});
  EXPECT_EQ(t.by_name("alice")->account_class, "staff");
  EXPECT_EQ(t.by_name("carol")->account_class, std::nullopt);
}

TEST(AccountTable, RefusesAClassThatIsNoClassNameNamingTheAccount) {
  AccountSpec bob = user("bob", "10.77.5.2");
  bob.account_class = "Staff";
  EXPECT_EQ(refusal({bob}),
            "account 'bob': class 'Staff' must be 1 to 32 characters of a-z, 0-9, '_' and '-', "
            "such as \"staff\"");
}

TEST(AccountClass, AllowsShortLowercaseNamesOnly) {
  for (const char* good : {"staff", "contractors", "a", "ops_2", "on-call", "0"})
    EXPECT_EQ(account_class_problem(good), std::nullopt) << good;
  for (const std::string& bad : {std::string(), std::string("Staff"), std::string("two words"),
                                 std::string("café"), std::string("a.b"), std::string(33, 'a')})
    EXPECT_NE(account_class_problem(bad), std::nullopt) << bad;
  EXPECT_EQ(account_class_problem(std::string(32, 'a')), std::nullopt);
}

TEST(AccountTable, RefusesTheGatewaysReservedAddresses) {
  EXPECT_NE(refusal({user("alice", "10.77.0.1")}).find("'alice'"), std::string::npos);
  AccountSpec site = user("site", "10.9.0.1");
  site.subnets = {net("10.77.0.0/24")};
  const auto error = refusal({site});
  EXPECT_NE(error.find("'site'"), std::string::npos) << error;
  EXPECT_NE(error.find("10.77.0.1"), std::string::npos) << error;
}

TEST(AccountTable, RefusesAFixedAddressOfTheWrongFamily) {
  AccountSpec spec = user("alice");
  spec.ipv4 = ip("fd00::1");
  EXPECT_NE(refusal({spec}).find("'alice'"), std::string::npos);
}

TEST(AccountTable, RefusesAMalformedPlan) {
  AddressPlan plan;
  plan.v4_first = ip("10.0.0.20");
  plan.v4_last = ip("10.0.0.10");
  EXPECT_FALSE(AccountTable::create({user("alice")}, plan).ok());
  plan.v4_last.reset();
  EXPECT_FALSE(AccountTable::create({user("alice")}, plan).ok());
  AddressPlan v6;
  v6.v6_pool = net("10.0.0.0/8");
  EXPECT_FALSE(AccountTable::create({user("alice")}, v6).ok());
}

TEST(AccountTable, ASiteOwnsItsSubnetsByLongestPrefix) {
  AccountSpec site = user("site", "10.1.0.1");  // inside its own network: allowed
  site.subnets = {net("10.1.0.0/16"), net("10.1.5.0/24"), net("fd01::/48")};
  AccountSpec branch = user("branch", "10.2.0.1");
  branch.subnets = {net("10.3.0.0/16")};
  const auto table = table_of({user("alice"), site, branch});
  EXPECT_EQ(table.owner_of(ip("10.1.200.3")), 2u);
  EXPECT_EQ(table.owner_of(ip("10.1.5.3")), 2u);
  EXPECT_EQ(table.owner_of(ip("10.1.0.1")), 2u);
  EXPECT_EQ(table.owner_of(ip("fd01:0:0:7::1")), 2u);
  EXPECT_EQ(table.owner_of(ip("10.3.9.9")), 3u);
  EXPECT_EQ(table.owner_of(ip("10.77.0.10")), 1u);
  EXPECT_EQ(table.owner_of(ip("10.4.0.1")), std::nullopt);
  EXPECT_EQ(table.owner_of(ip("10.77.0.1")), std::nullopt) << "the gateway's own address";
  EXPECT_TRUE(table.owns(2, ip("10.1.9.9")));
  EXPECT_FALSE(table.owns(1, ip("10.1.9.9")));
  EXPECT_FALSE(table.owns(1, ip("10.77.0.11")));
}

TEST(AccountTable, RawByteLookupsAgreeWithAddressLookups) {
  const auto table = table_of({user("alice"), user("bob")});
  const IpAddress bob4 = ip("10.77.0.11");
  const IpAddress bob6 = ip("fd77::11");
  EXPECT_EQ(table.owner_of_v4(reinterpret_cast<const std::byte*>(bob4.data())), 2u);
  EXPECT_EQ(table.owner_of_v6(reinterpret_cast<const std::byte*>(bob6.data())), 2u);
  const IpAddress nobody = ip("fd77::99");
  EXPECT_EQ(table.owner_of_v6(reinterpret_cast<const std::byte*>(nobody.data())), std::nullopt);
}

TEST(AccountTable, FindsAccountsByIdNameAndWireguardKey) {
  AccountSpec alice = user("alice");
  alice.wireguard_keys = {key(1), key(2)};
  AccountSpec bob = user("bob");
  bob.wireguard_keys = {key(3)};
  const auto table = table_of({alice, bob});
  EXPECT_EQ(table.by_wireguard_key(key(2))->name, "alice");
  EXPECT_EQ(table.by_wireguard_key(key(3))->name, "bob");
  EXPECT_EQ(table.by_wireguard_key(key(4)), nullptr);
  EXPECT_EQ(table.by_name("bob")->id, 2u);
  EXPECT_EQ(table.by_name("carol"), nullptr);
  EXPECT_EQ(table.find(1)->name, "alice");
  EXPECT_EQ(table.find(0), nullptr);
  EXPECT_EQ(table.find(3), nullptr);
}

TEST(AccountTable, ADisabledAccountKeepsItsAddressesAndKey) {
  AccountSpec gone = user("gone");
  gone.disabled = true;
  gone.wireguard_keys = {key(9)};
  const auto table = table_of({gone, user("alice")});
  const Account* account = table.by_wireguard_key(key(9));
  ASSERT_NE(account, nullptr);
  EXPECT_TRUE(account->disabled);
  EXPECT_EQ(account->ipv4, ip("10.77.0.10"));
  EXPECT_EQ(table.owner_of(ip("10.77.0.10")), account->id);
  EXPECT_EQ(table.by_name("alice")->ipv4, ip("10.77.0.11"));
}

TEST(AccountTable, PrefixesListAddressesThenSubnets) {
  AccountSpec site = user("site", "10.1.0.1");
  site.subnets = {net("10.1.0.0/16")};
  const auto table = table_of({site});
  const auto prefixes = table.accounts()[0].prefixes();
  ASSERT_EQ(prefixes.size(), 3u);
  EXPECT_EQ(prefixes[0], net("10.1.0.1/32"));
  EXPECT_EQ(prefixes[1], net("fd77::10/128"));
  EXPECT_EQ(prefixes[2], net("10.1.0.0/16"));
}

TEST(AccountTable, LeasesRoundTripIntoANewTableWithTheSameAddresses) {
  const auto first = table_of({user("alice"), user("bob", "10.77.0.12"), user("carol")});
  const auto leases = first.leases();
  ASSERT_EQ(leases.size(), 3u);
  EXPECT_EQ(leases.at("bob"), std::vector<IpAddress>{ip("fd77::11")}) << "fixed ones are not kept";
  // The next run lists them in another order, with a newcomer first.
  const auto second = table_of(
      {user("dave"), user("carol"), user("bob", "10.77.0.12"), user("alice")}, pools(), leases);
  for (const char* name : {"alice", "bob", "carol"}) {
    EXPECT_EQ(second.by_name(name)->ipv4, first.by_name(name)->ipv4) << name;
    EXPECT_EQ(second.by_name(name)->ipv6, first.by_name(name)->ipv6) << name;
  }
  EXPECT_EQ(second.by_name("dave")->ipv4, ip("10.77.0.13"));
  EXPECT_EQ(second.leases().size(), 4u);
}

// The naive model: every account's host prefixes and subnets in one list; a table is valid when
// no two accounts' prefixes overlap, and an address belongs to the longest prefix holding it.
struct NaiveOwners {
  std::vector<std::pair<IpPrefix, AccountId>> prefixes;

  static bool overlap(const IpPrefix& a, const IpPrefix& b) {
    return a.address().family() == b.address().family() &&
           (a.contains(b.address()) || b.contains(a.address()));
  }
  bool conflicting() const {
    for (std::size_t i = 0; i < prefixes.size(); ++i)
      for (std::size_t j = i + 1; j < prefixes.size(); ++j)
        if (prefixes[i].second != prefixes[j].second &&
            overlap(prefixes[i].first, prefixes[j].first))
          return true;
    return false;
  }
  std::optional<AccountId> owner_of(const IpAddress& address) const {
    std::optional<AccountId> best;
    unsigned best_length = 0;
    for (const auto& [prefix, id] : prefixes) {
      if (prefix.address().family() == address.family() && prefix.contains(address) &&
          (!best || prefix.length() >= best_length)) {
        best = id;
        best_length = prefix.length();
      }
    }
    return best;
  }
};

// Addresses crowded into 10.0.0.0/20 and fd00::/116, so that overlaps are common.
IpAddress random_address(std::mt19937& rng, IpAddress::Family family) {
  const auto low = static_cast<std::uint32_t>(rng() % 4096);
  if (family == IpAddress::Family::kV4) return IpAddress::v4_from_u32(0x0a000000u | low);
  std::array<std::uint8_t, 16> b{0xfd};
  b[14] = static_cast<std::uint8_t>(low >> 8);
  b[15] = static_cast<std::uint8_t>(low);
  return IpAddress::v6(b);
}

TEST(AccountTable, OwnerOfAndOverlapChecksMatchALinearScan) {
  std::mt19937 rng(20240611);
  int accepted = 0;
  int refused = 0;
  for (int round = 0; round < 400; ++round) {
    std::vector<AccountSpec> specs;
    NaiveOwners model;
    const int count = 1 + static_cast<int>(rng() % 8);
    for (int a = 0; a < count; ++a) {
      const auto id = static_cast<AccountId>(a + 1);
      AccountSpec spec = user("account" + std::to_string(a));
      spec.ipv4 = random_address(rng, IpAddress::Family::kV4);
      model.prefixes.emplace_back(IpPrefix(*spec.ipv4, 32), id);
      if (rng() % 2) {
        spec.ipv6 = random_address(rng, IpAddress::Family::kV6);
        model.prefixes.emplace_back(IpPrefix(*spec.ipv6, 128), id);
      }
      for (int s = static_cast<int>(rng() % 3); s > 0; --s) {
        const auto family = rng() % 2 ? IpAddress::Family::kV4 : IpAddress::Family::kV6;
        const auto host_bits = static_cast<unsigned>(2 + rng() % 9);
        const IpPrefix subnet(random_address(rng, family),
                              (family == IpAddress::Family::kV4 ? 32 : 128) - host_bits);
        spec.subnets.push_back(subnet);
        model.prefixes.emplace_back(subnet, id);
      }
      specs.push_back(std::move(spec));
    }
    auto table = AccountTable::create(specs, AddressPlan{});
    ASSERT_EQ(table.ok(), !model.conflicting()) << "round " << round;
    if (!table.ok()) {
      ++refused;
      continue;
    }
    ++accepted;
    for (int probe = 0; probe < 200; ++probe) {
      const auto family = probe % 2 ? IpAddress::Family::kV4 : IpAddress::Family::kV6;
      const IpAddress address = random_address(rng, family);
      ASSERT_EQ(table->owner_of(address), model.owner_of(address)) << address.to_string();
    }
    for (const auto& [prefix, id] : model.prefixes)
      ASSERT_EQ(table->owner_of(prefix.address()), model.owner_of(prefix.address()));
  }
  // Both outcomes must be exercised for the comparison to mean anything.
  EXPECT_GT(accepted, 50);
  EXPECT_GT(refused, 50);
}

}  // namespace
}  // namespace tandem::hybrid
