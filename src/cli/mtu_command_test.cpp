// tandem mtu's table: every layer with its bytes, the overhead and the inner MTU; and the
// refusals of an unknown stack or suite and of a stack the underlay cannot carry.
#include "cli/mtu_command.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace tandem::cli {
namespace {

TEST(MtuCommand, PrintsEachLayerTheOverheadAndTheInnerMtu) {
  std::ostringstream out, err;
  ASSERT_EQ(run_mtu({"l2tp-ipsec", 1500, false, "aes-cbc-sha1", false}, out, err), 0) << err.str();
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
  ASSERT_EQ(run_mtu({"wireguard", 1280, true, "aes-gcm", false}, out, err), 0);
  EXPECT_NE(out.str().find("wireguard over IPv6, underlay MTU 1280\n"), std::string::npos);
  EXPECT_NE(out.str().find("  inner MTU                              1200\n"), std::string::npos)
      << out.str();
}

TEST(MtuCommand, RefusesWhatItCannotCompute) {
  std::ostringstream out, err;
  EXPECT_EQ(run_mtu({"gre", 1500, false, "aes-gcm", false}, out, err), 1);
  EXPECT_NE(err.str().find("unknown stack 'gre'; one of wireguard, l2tp,"), std::string::npos);
  err.str("");
  EXPECT_EQ(run_mtu({"ipsec", 1500, false, "rot13", false}, out, err), 1);
  EXPECT_NE(err.str().find("unknown ESP suite 'rot13'"), std::string::npos);
  err.str("");
  EXPECT_EQ(run_mtu({"ipsec", 1500, true, "aes-gcm", false}, out, err), 1);
  EXPECT_NE(err.str().find("runs over IPv4 only"), std::string::npos);
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace tandem::cli
