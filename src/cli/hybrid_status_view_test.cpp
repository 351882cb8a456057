// The text of a hybrid interface's status: a gateway's accounts with their paths, and the
// sources each protocol's own check refused.
#include "cli/hybrid_status_view.hpp"

#include <gtest/gtest.h>

namespace tandem::cli {
namespace {

TEST(HybridStatusView, AGatewayShowsItsRoadWarriorsPathAndTheSpoofedCounts) {
  const auto status = nlohmann::json::parse(R"({
    "interface": "hyb0", "role": "gateway",
    "spoofed": {"wireguard": 2, "ipsec": 5},
    "accounts": [
      {"name": "alice", "ipv4": "10.88.0.2", "disabled": false, "paths": ["wireguard"],
       "return_path": "wireguard"},
      {"name": "carol", "ipv4": "10.88.0.3", "disabled": false, "paths": ["ipsec"],
       "return_path": "ipsec"}],
    "counters": {"to_wireguard": 10, "to_secondary": 7, "delivered": 17, "dropped_no_route": 0,
                 "dropped_spoofed": 1, "dropped_queue_full": 0}})");
  EXPECT_EQ(render_hybrid_text(status),
            "interface: hyb0\n"
            "  hybrid gateway\n"
            "  account alice: 10.88.0.2; paths wireguard; traffic returns on wireguard\n"
            "  account carol: 10.88.0.3; paths ipsec; traffic returns on ipsec\n"
            "  packets: 10 to WireGuard, 7 to IPsec, 17 delivered; dropped: 0 without a route, "
            "1 spoofed, 0 queue full\n"
            "  spoofed sources refused: ipsec 5, wireguard 2\n");
}

TEST(HybridStatusView, AnL2tpGatewaysControlPathIsNamedSo) {
  const auto status = nlohmann::json::parse(
      R"({"interface": "hyb0", "role": "gateway", "spoofed": {"wireguard": 0, "l2tp": 0},
          "accounts": [], "counters": {}})");
  const std::string text = render_hybrid_text(status);
  EXPECT_NE(text.find("0 to L2TP/IPsec"), std::string::npos) << text;
  EXPECT_NE(text.find("spoofed sources refused: l2tp 0, wireguard 0"), std::string::npos) << text;
}

}  // namespace
}  // namespace tandem::cli
