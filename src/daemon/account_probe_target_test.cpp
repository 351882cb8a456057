// Which address a gateway probes each account's WireGuard path at, and why it probes none.
#include "daemon/account_probe_target.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

IpAddress ip(const char* text) {
  return *IpAddress::parse(text);
}

hybrid::Account alice() {
  hybrid::Account a;
  a.id = 1;
  a.name = "alice";
  a.wireguard_keys.push_back(crypto::PublicKey{});
  a.ipv4 = ip("10.77.0.2");
  a.ipv6 = ip("fd77::2");
  a.subnets.push_back(*IpPrefix::parse("192.168.50.0/24"));
  return a;
}

const std::vector<IpAddress> kOwn{ip("10.77.0.1")};

TEST(AccountProbeTarget, ProbesNothingWithoutATargetOrTheGatewaysSwitch) {
  const auto t = account_probe_target(alice(), std::nullopt, false, kOwn);
  EXPECT_FALSE(t.target);
  EXPECT_EQ(t.off_reason,
            "no mtu_probe_target for this account, and [accounts] mtu_probing is off");
}

TEST(AccountProbeTarget, TheSwitchProbesTheAccountsOwnAddressOfAFamilyTheGatewayHas) {
  EXPECT_EQ(account_probe_target(alice(), std::nullopt, true, kOwn).target, ip("10.77.0.2"));
  EXPECT_EQ(account_probe_target(alice(), std::nullopt, true, {ip("fd77::1")}).target,
            ip("fd77::2"));
  hybrid::Account v6_only = alice();
  v6_only.ipv6.reset();
  EXPECT_FALSE(account_probe_target(v6_only, std::nullopt, true, {ip("fd77::1")}).target);
}

TEST(AccountProbeTarget, ATargetInsideTheAccountsSubnetsWinsOverTheSwitch) {
  const auto t = account_probe_target(alice(), ip("192.168.50.1"), true, kOwn);
  EXPECT_EQ(t.target, ip("192.168.50.1"));
  EXPECT_TRUE(t.off_reason.empty());
}

TEST(AccountProbeTarget, RefusesATargetWireGuardWouldNotRouteToTheAccount) {
  const auto t = account_probe_target(alice(), ip("10.77.0.3"), false, kOwn);
  EXPECT_FALSE(t.target);
  EXPECT_EQ(t.off_reason,
            "mtu_probe_target 10.77.0.3 is not among the account's addresses and subnets, so the "
            "probes would not go to it");
}

TEST(AccountProbeTarget, ProbesNoAccountWithoutWireGuardOrDisabled) {
  hybrid::Account l2tp_only = alice();
  l2tp_only.wireguard_keys.clear();
  EXPECT_EQ(account_probe_target(l2tp_only, std::nullopt, true, kOwn).off_reason,
            "the account has no WireGuard key");
  hybrid::Account disabled = alice();
  disabled.disabled = true;
  EXPECT_EQ(account_probe_target(disabled, ip("10.77.0.2"), true, kOwn).off_reason,
            "the account is disabled");
}

}  // namespace
}  // namespace tandem::daemon
