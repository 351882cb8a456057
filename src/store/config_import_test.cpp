#include "store/config_import.hpp"

#include "crypto/legacy_provider.hpp"
#include "store/account_table.hpp"
#include "store/config_accounts.hpp"
#include "store/test_store.hpp"

namespace tandem::store {
namespace {

using namespace testing;  // the store test helpers

// A gateway with a fixed, a leased and a disabled site account (the config fuzzer's seed).
constexpr const char* kGatewayConfig =
    TANDEM_SOURCE_DIR "/tests/fuzz_corpus/config_fuzz/hybrid_gateway.toml";

// The [accounts] pools and the [interface] addresses of that file.
hybrid::AddressPlan gateway_plan() {
  hybrid::AddressPlan plan;
  plan.v4_first = IpAddress::parse("10.77.0.10");
  plan.v4_last = IpAddress::parse("10.77.0.200");
  plan.v6_pool = IpPrefix::parse("fd77::/112");
  plan.reserved = {*IpAddress::parse("10.77.0.1"), *IpAddress::parse("fd77::1")};
  return plan;
}

class ConfigImportTest : public StoreTest {
 protected:
  void SetUp() override {
    if (!crypto::legacy_algorithms_available()) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
    auto parsed = control::load_node_config(kGatewayConfig);
    ASSERT_TRUE(parsed.ok()) << kGatewayConfig;
    config_ = std::move(*parsed);
  }

  control::NodeConfig config_;
};

TEST_F(ConfigImportTest, TableFromImportedStoreKeepsTheConfigsAccounts) {
  auto store = open_store(gateway_plan());
  ASSERT_TRUE(store);
  auto report = import_config_accounts(*store, config_);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_TRUE(report->rejections.empty()) << report->rejections[0].reason;
  EXPECT_EQ(report->imported, 3u);

  auto records = store->list_accounts();
  ASSERT_TRUE(records.ok());
  auto table = build_account_table(*records, gateway_plan(), clock_.now);
  ASSERT_TRUE(table.ok()) << table.error();
  struct Expected {
    const char* name;
    const char* ipv4;
    const char* ipv6;
    std::size_t keys;
    bool disabled;
  } expected[] = {{"alice", "10.77.0.2", "fd77::2", 1, false},
                  {"bob", "10.77.0.10", "fd77::10", 2, true},
                  {"carol", "10.77.0.11", "fd77::11", 0, false}};
  for (const auto& e : expected) {
    const hybrid::Account* got = table->by_name(e.name);
    ASSERT_NE(got, nullptr) << e.name;
    EXPECT_EQ(got->ipv4, IpAddress::parse(e.ipv4)) << e.name;
    EXPECT_EQ(got->ipv6, IpAddress::parse(e.ipv6)) << e.name;
    EXPECT_EQ(got->wireguard_keys.size(), e.keys) << e.name;
    EXPECT_EQ(got->disabled, e.disabled) << e.name;
  }
  EXPECT_EQ(table->by_name("bob")->subnets, config_.accounts[1].subnets);
  EXPECT_EQ(table->by_name("bob")->wireguard_keys, config_.accounts[1].public_keys);

  const auto alice = **store->find_account("alice");
  ASSERT_TRUE(alice.ppp);
  EXPECT_EQ(alice.ppp->nt_hash, *crypto::nt_password_hash("correct horse"));
  EXPECT_FALSE(alice.ppp->password) << "a clear password is kept only when asked";
  EXPECT_EQ((**store->find_account("bob")).ppp->nt_hash, *config_.accounts[1].nt_hash);
}

// Where the gateway probes an account's path MTU moves into the store with it, and comes back
// to the gateway from there.
TEST_F(ConfigImportTest, KeepsTheAccountsMtuProbeTarget) {
  config_.accounts[1].mtu_probe_target = IpAddress::parse("192.168.50.1");
  auto store = open_store(gateway_plan());
  ASSERT_TRUE(store);
  auto report = import_config_accounts(*store, config_);
  ASSERT_TRUE(report.ok() && report->rejections.empty());
  EXPECT_EQ((**store->find_account("bob")).mtu_probe_target, IpAddress::parse("192.168.50.1"));
  EXPECT_EQ((**store->find_account("alice")).mtu_probe_target, std::nullopt);
  auto records = store->list_accounts();
  ASSERT_TRUE(records.ok());
  for (const auto& a : config_accounts(*records, clock_.now))
    EXPECT_EQ(a.mtu_probe_target, a.name == "bob" ? IpAddress::parse("192.168.50.1") : std::nullopt)
        << a.name;
}

// An account's class moves into the store with it, and comes back to the gateway from there.
TEST_F(ConfigImportTest, KeepsTheAccountsClass) {
  config_.accounts[0].account_class = "staff";
  auto store = open_store(gateway_plan());
  ASSERT_TRUE(store);
  auto report = import_config_accounts(*store, config_);
  ASSERT_TRUE(report.ok() && report->rejections.empty());
  EXPECT_EQ((**store->find_account("alice")).account_class, "staff");
  EXPECT_EQ((**store->find_account("bob")).account_class, std::nullopt);
  auto records = store->list_accounts();
  ASSERT_TRUE(records.ok());
  for (const auto& a : config_accounts(*records, clock_.now))
    EXPECT_EQ(a.account_class,
              a.name == "alice" ? std::optional<std::string>("staff") : std::nullopt)
        << a.name;
}

TEST_F(ConfigImportTest, KeepsLeasesAndClearPasswordsWhenAsked) {
  auto store = open_store(gateway_plan());
  ASSERT_TRUE(store);
  ConfigImportOptions options;
  options.keep_cleartext_passwords = true;
  options.remembered["carol"] = {*IpAddress::parse("10.77.0.99")};
  auto report = import_config_accounts(*store, config_, options);
  ASSERT_TRUE(report.ok());
  const auto carol = **store->find_account("carol");
  EXPECT_EQ(carol.ipv4, IpAddress::parse("10.77.0.99"));
  EXPECT_EQ(carol.ppp->password, "battery staple");
}

TEST_F(ConfigImportTest, ImportingTwiceRejectsEveryRow) {
  auto store = open_store(gateway_plan());
  ASSERT_TRUE(store);
  ASSERT_TRUE(import_config_accounts(*store, config_).ok());
  auto again = import_config_accounts(*store, config_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->imported, 0u);
  ASSERT_EQ(again->rejections.size(), 3u);
  EXPECT_EQ(again->rejections[2].row, 3u);
  EXPECT_NE(again->rejections[2].reason.find("'carol' exists already"), std::string::npos);
}

}  // namespace
}  // namespace tandem::store
