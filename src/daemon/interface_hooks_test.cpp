#include "daemon/interface_hooks.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

TEST(InterfaceHooks, ReplacesEveryPercentIWithTheInterfaceName) {
  EXPECT_EQ(hook_command("touch /tmp/%i.up; echo %i", "wg0"), "touch /tmp/wg0.up; echo wg0");
  EXPECT_EQ(hook_command("printf '100%%' %x", "wg0"), "printf '100%%' %x");
  EXPECT_EQ(hook_command("trailing %", "wg0"), "trailing %");
}

TEST(InterfaceHooks, ResolvconfGetsNameserverLinesThenOneSearchLine) {
  const std::vector<IpAddress> servers{*IpAddress::parse("10.0.0.53"),
                                       *IpAddress::parse("fd00::53")};
  EXPECT_EQ(resolvconf_input(servers, {"corp.example", "lab.example"}),
            "nameserver 10.0.0.53\nnameserver fd00::53\nsearch corp.example lab.example\n");
  EXPECT_EQ(resolvconf_input(servers, {}), "nameserver 10.0.0.53\nnameserver fd00::53\n");
}

TEST(InterfaceHooks, ResolvconfPrefixIsTheFirstWildcardNameOfInterfaceOrder) {
  // Debian's resolvconf ships this order; wg-quick then names the record tun.wg0.
  EXPECT_EQ(resolvconf_prefix("# interface-order\nlo.inet6\nlo.inet\nlo.@(dnsmasq|pdnsd)\n"
                              "lo.!(pdns|pdns-recursor)\nlo\ntun*\ntap*\nhso*\nen*\n"),
            "tun.");
  EXPECT_EQ(resolvconf_prefix("lo\neth*.inet\n"), "");
  EXPECT_EQ(resolvconf_prefix(""), "");
}

}  // namespace
}  // namespace tandem::daemon
