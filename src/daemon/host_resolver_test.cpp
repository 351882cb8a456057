// [dns] host_resolver: the resolv.conf text pointing at the forwarder, the original kept and
// written back in place, a killed run's original restored at the next start, and what
// systemd-resolved would be told.
#include "daemon/host_resolver.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "daemon/instance_lock.hpp"
#include "io/child_process.hpp"
#include "io/resolved_link.hpp"

namespace tandem::daemon {
namespace {

control::DnsSettings settings() {
  control::DnsSettings s;
  s.listen = {*Endpoint::parse("[fd00::2]:53"), *Endpoint::parse("10.0.0.2:53"),
              *Endpoint::parse("10.0.0.3:5353")};
  s.upstreams = {{"corp", control::DnsThrough::kTunnel, {*Endpoint::parse("10.0.0.1:53")}}};
  s.routes = {{{"corp.example", "10.in-addr.arpa"}, "corp"}};
  return s;
}

TEST(HostResolver, NamesTheForwarderOnPort53IPv4First) {
  EXPECT_EQ(forwarder_nameservers(settings()),
            (std::vector<IpAddress>{*IpAddress::parse("10.0.0.2"), *IpAddress::parse("fd00::2")}));
}

TEST(HostResolver, KeepsSearchAndOptionsOfTheOriginal) {
  const std::string original =
      "# from DHCP\nnameserver 192.0.2.1\nsearch example.org\noptions ndots:2 edns0\n"
      "domain example.org\nsearchx no\n";
  EXPECT_EQ(forwarder_resolv_conf(original, forwarder_nameservers(settings()), "wg0"),
            "# Written by tandem (wg0): its split-DNS forwarder. The original comes back when it "
            "stops.\nnameserver 10.0.0.2\nnameserver fd00::2\nsearch example.org\n"
            "options ndots:2 edns0\ndomain example.org\n");
}

TEST(HostResolver, TellsResolvedRoutingDomainsAndTheDefaultRoute) {
  control::DnsSettings s = settings();
  ResolvedLinkSettings link = resolved_link_settings(s);
  EXPECT_EQ(link.servers.size(), 2u);
  EXPECT_EQ(link.domains, (std::vector<std::pair<std::string, bool>>{{"corp.example", true},
                                                                     {"10.in-addr.arpa", true}}));
  EXPECT_FALSE(link.default_route);
  s.default_upstream = "corp";
  link = resolved_link_settings(s);
  EXPECT_EQ(link.domains.back(), (std::pair<std::string, bool>{".", true}));
  EXPECT_TRUE(link.default_route);
}

TEST(HostResolver, GivesResolvedEachServerAsItsFamilyAndBytes) {
  const auto link = resolved_link_settings(settings());
  const auto entries = io::resolved_dns_entries(link.servers);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0], (io::ResolvedDnsEntry{AF_INET, {10, 0, 0, 2}}));
  EXPECT_EQ(entries[1].family, AF_INET6);
  EXPECT_EQ(entries[1].address,
            (std::vector<std::uint8_t>{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}));
}

class HostResolverFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "tandem-resolv-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    ::setenv(kRunDirectoryVariable, dir_.c_str(), 1);
    conf_ = dir_ + "/resolv.conf";
    std::ofstream(conf_) << kOriginal;
  }
  void TearDown() override {
    ::unsetenv(kRunDirectoryVariable);
    std::filesystem::remove_all(dir_);
  }
  std::string read(const std::string& path) { return io::read_text_file(path).value_or("<none>"); }
  ino_t inode() {
    struct stat st {};
    ::stat(conf_.c_str(), &st);
    return st.st_ino;
  }

  static constexpr const char* kOriginal = "nameserver 192.0.2.1\nsearch example.org\n";
  std::string dir_, conf_;
};

TEST_F(HostResolverFiles, PointsAtTheForwarderInPlaceAndRestoresTheOriginal) {
  const ino_t before = inode();
  {
    auto applied = HostResolver::apply(settings(), "client", "wg0", conf_);
    ASSERT_TRUE(applied) << applied.error();
    EXPECT_NE(read(conf_).find("nameserver 10.0.0.2\n"), std::string::npos);
    EXPECT_EQ(inode(), before);  // the same file: a bind mount stays in place
    EXPECT_EQ(read(resolv_conf_state_path("client")), kOriginal);
  }
  EXPECT_EQ(read(conf_), kOriginal);
  EXPECT_FALSE(std::filesystem::exists(resolv_conf_state_path("client")));
}

TEST_F(HostResolverFiles, RestoresWhatAKilledRunLeft) {
  auto applied = HostResolver::apply(settings(), "client", "wg0", conf_);
  ASSERT_TRUE(applied) << applied.error();
  const std::string rewritten = read(conf_);
  // Killed: no destructor runs. The object stays reachable from here, so that the leak checker
  // of a sanitizer build does not count it.
  static auto* const killed_runs = new std::vector<HostResolver*>;  // never destroyed either
  killed_runs->push_back(applied->release());
  EXPECT_EQ(read(conf_), rewritten);
  ASSERT_TRUE(HostResolver::restore_leftover("client", conf_));
  EXPECT_EQ(read(conf_), kOriginal);
  EXPECT_FALSE(std::filesystem::exists(resolv_conf_state_path("client")));
  // Nothing left: nothing to do, and the file stays as it is.
  ASSERT_TRUE(HostResolver::restore_leftover("client", conf_));
  EXPECT_EQ(read(conf_), kOriginal);
}

}  // namespace
}  // namespace tandem::daemon
