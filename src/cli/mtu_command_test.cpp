// tandem mtu's table: every layer with its bytes, the overhead and the inner MTU; and the
// refusals of an unknown stack or suite and of a stack the underlay cannot carry.
#include "cli/mtu_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace tandem::cli {
namespace {

MtuOptions stack_options(const char* stack, unsigned underlay, bool ipv6, const char* esp) {
  MtuOptions o;
  o.stack = stack;
  o.underlay = underlay;
  o.ipv6 = ipv6;
  o.esp = esp;
  return o;
}

TEST(MtuCommand, PrintsEachLayerTheOverheadAndTheInnerMtu) {
  std::ostringstream out, err;
  ASSERT_EQ(run_mtu(stack_options("l2tp-ipsec", 1500, false, "aes-cbc-sha1"), out, err), 0)
      << err.str();
  // 1404 inner: ESP payload 1422, padded with the trailer to 1424; 20 + 8 + 8 + 16 + 1424 + 12.
  EXPECT_EQ(out.str(),
            "l2tp-ipsec over IPv4, underlay MTU 1500, ESP aes-cbc-sha1 in UDP 4500\n"
            "  layer (outermost first)               bytes\n"
            "  IPv4 header                              20\n"
            "  UDP (ESP in UDP, port 4500)               8\n"
            "  ESP header                                8\n"
            "  ESP IV                                   16\n"
            "  ESP padding and trailer                   2\n"
            "  ESP ICV (aes-cbc-sha1)                   12\n"
            "  UDP (L2TP, port 1701)                     8\n"
            "  L2TP data header                          6\n"
            "  PPP (address, control, protocol)          4\n"
            "  overhead                                 84\n"
            "  inner MTU                              1404\n"
            "  (12 bytes of the underlay unused: padding to the cipher's block)\n");
}

TEST(MtuCommand, WireGuardOverIpv6) {
  std::ostringstream out, err;
  ASSERT_EQ(run_mtu(stack_options("wireguard", 1280, true, "aes-gcm"), out, err), 0);
  EXPECT_NE(out.str().find("wireguard over IPv6, underlay MTU 1280\n"), std::string::npos);
  EXPECT_NE(out.str().find("  inner MTU                              1200\n"), std::string::npos)
      << out.str();
}

TEST(MtuCommand, RefusesWhatItCannotCompute) {
  std::ostringstream out, err;
  EXPECT_EQ(run_mtu(stack_options("gre", 1500, false, "aes-gcm"), out, err), 1);
  EXPECT_NE(err.str().find("unknown stack 'gre'; one of wireguard, l2tp,"), std::string::npos);
  err.str("");
  EXPECT_EQ(run_mtu(stack_options("ipsec", 1500, false, "rot13"), out, err), 1);
  EXPECT_NE(err.str().find("unknown ESP suite 'rot13'"), std::string::npos);
  err.str("");
  EXPECT_EQ(run_mtu(stack_options("ipsec", 1500, true, "aes-gcm"), out, err), 1);
  EXPECT_NE(err.str().find("runs over IPv4 only"), std::string::npos);
  EXPECT_TRUE(out.str().empty());
}

TEST(MtuCommand, ShowsWhatProbingFoundBesideTheBudget) {
  const auto documents = nlohmann::json::parse(R"([
    {"interface": "hc0", "role": "client", "paths": [
      {"path": "wireguard", "mtu": 1340,
       "mtu_probe": {"state": "complete", "probed": 1340, "max": 1440}},
      {"path": "l2tp-ipsec", "mtu": 1404,
       "mtu_probe": {"state": "off", "reason": "probed by PPP"}}]},
    {"interface": "site", "role": "client", "paths": [
      {"path": "ipsec", "mtu_probe": {"state": "searching", "max": 1400}},
      {"path": "wireguard", "mtu_probe": {"state": "complete", "probed": 1420, "max": 1420}}]}
  ])");
  const std::string text = render_probed_mtus(documents);
  EXPECT_NE(text.find("hc0 wireguard: budget 1440, probed 1340 (complete): 100 bytes less than the "
                      "budget, something on the path drops larger packets\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("hc0 l2tp-ipsec: not probed: probed by PPP\n"), std::string::npos) << text;
  EXPECT_NE(
      text.find("site ipsec: budget 1400, nothing probed yet (searching): the budget holds\n"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("site wireguard: budget 1420, probed 1420 (complete)\n"), std::string::npos)
      << text;
  EXPECT_EQ(render_probed_mtus(nlohmann::json::array()), "");
  const auto wireguard = nlohmann::json::parse(R"([{"name": "wg0", "peers": [
    {"public_key": "abc=", "mtu_probe": {"state": "complete", "probed": 1328, "max": 1420}}]}])");
  EXPECT_EQ(render_probed_mtus(wireguard),
            "wg0 abc=: budget 1420, probed 1328 (complete): 92 bytes less than the budget, "
            "something on the path drops larger packets\n");
}

TEST(MtuCommand, AnInterfaceThatIsNotRunningIsNamedWithTheFix) {
  std::ostringstream out, err;
  MtuOptions options;
  options.interface_name = "nosuch0";
  options.socket_dir = options.admin_socket_dir = "/nonexistent";
  EXPECT_EQ(run_mtu(options, out, err), 1);
  EXPECT_NE(err.str().find("cannot read the status of nosuch0 (is it up?"), std::string::npos)
      << err.str();
}

}  // namespace
}  // namespace tandem::cli
