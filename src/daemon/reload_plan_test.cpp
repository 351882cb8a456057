#include "daemon/reload_plan.hpp"

#include <gtest/gtest.h>

#include "control/config_test_support.hpp"

namespace tandem::daemon {
namespace {

using control::testing::with;

const std::string kPriv = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
const std::string kPub = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
const std::string kPub2 = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=";
const std::string kPub3 = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

const std::string kPeerFar = "[[peer]]\nname = \"far\"\npublic_key = \"" + kPub +
                             "\"\nendpoint = \"192.168.1.2:51820\"\n"
                             "allowed_ips = [\"10.0.0.2/32\", \"10.9.0.0/16\"]\n";
const std::string kPeerNear =
    "[[peer]]\nname = \"near\"\npublic_key = \"" + kPub2 + "\"\nallowed_ips = [\"10.0.0.3/32\"]\n";

std::string node(const std::string& peers) {
  return "[interface]\nname = \"tdm0\"\nprivate_key = \"" + kPriv +
         "\"\nlisten_port = 51820\naddresses = [\"10.0.0.1/24\"]\nmtu = 1400\n\n" + peers;
}

control::NodeConfig parse(const std::string& text) {
  auto cfg = control::parse_node_config(text, "n.toml");
  EXPECT_TRUE(cfg) << cfg.error().to_string();
  return cfg ? std::move(*cfg) : control::NodeConfig{};
}

ReloadPlan plan(const std::string& running, const std::string& next) {
  auto p = plan_reload(parse(running), parse(next));
  EXPECT_TRUE(p) << p.error().to_string();
  return p ? std::move(*p) : ReloadPlan{};
}

std::string refusal(const std::string& running, const std::string& next) {
  auto p = plan_reload(parse(running), parse(next));
  EXPECT_FALSE(p) << "planned: " << p->summary();
  return p ? "" : p.error().to_string();
}

std::vector<std::string> texts(const std::vector<IpPrefix>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) out.push_back(p.to_string());
  return out;
}

TEST(ReloadPlan, TheSameFileChangesNothing) {
  const auto p = plan(node(kPeerFar + kPeerNear), node(kPeerFar + kPeerNear));
  EXPECT_TRUE(p.empty());
  EXPECT_EQ(p.summary(), "no changes");
  EXPECT_TRUE(p.routes_added.empty());
  EXPECT_TRUE(p.routes_removed.empty());
}

TEST(ReloadPlan, AddsANewPeerAndItsRoutes) {
  const auto p = plan(node(kPeerFar), node(kPeerFar + kPeerNear));
  ASSERT_EQ(p.added.size(), 1u);
  EXPECT_EQ(p.added[0].name, "near");
  EXPECT_TRUE(p.removed.empty());
  EXPECT_TRUE(p.changed.empty());
  EXPECT_EQ(p.summary(), "1 peer added (near), 0 removed, 0 changed");
  EXPECT_EQ(texts(p.routes_added), std::vector<std::string>{"10.0.0.3/32"});
  EXPECT_TRUE(p.routes_removed.empty());
}

TEST(ReloadPlan, RemovesAPeerWhoseKeyIsGoneWithItsRoutes) {
  const auto p = plan(node(kPeerFar + kPeerNear), node(kPeerNear));
  ASSERT_EQ(p.removed.size(), 1u);
  EXPECT_EQ(p.removed[0].name, "far");
  EXPECT_EQ(p.summary(), "0 peers added, 1 removed (far), 0 changed");
  EXPECT_EQ(texts(p.routes_removed), (std::vector<std::string>{"10.0.0.2/32", "10.9.0.0/16"}));
}

TEST(ReloadPlan, APeerThatKeepsItsKeyIsChangedInPlaceNamingWhatChanged) {
  const std::string changed =
      with(with(kPeerFar, "10.9.0.0/16", "10.8.0.0/16"), "192.168.1.2:51820", "192.168.1.9:51820") +
      "persistent_keepalive = 25\npreshared_key = \"" + kPub3 + "\"\n";
  const auto p = plan(node(kPeerFar), node(changed));
  EXPECT_TRUE(p.added.empty());
  EXPECT_TRUE(p.removed.empty());
  ASSERT_EQ(p.changed.size(), 1u);
  EXPECT_EQ(p.changed[0].peer.persistent_keepalive, 25);
  EXPECT_EQ(p.summary(),
            "0 peers added, 0 removed, 1 changed "
            "(far: preshared_key endpoint allowed_ips persistent_keepalive)");
  EXPECT_EQ(texts(p.routes_added), std::vector<std::string>{"10.8.0.0/16"});
  EXPECT_EQ(texts(p.routes_removed), std::vector<std::string>{"10.9.0.0/16"});
}

TEST(ReloadPlan, ARenameIsAChangeAndTheOrderOfAllowedIpsIsNot) {
  const std::string reordered =
      with(with(kPeerFar, "\"10.0.0.2/32\", \"10.9.0.0/16\"", "\"10.9.0.0/16\", \"10.0.0.2/32\""),
           "name = \"far\"", "name = \"far-site\"");
  const auto p = plan(node(kPeerFar), node(reordered));
  ASSERT_EQ(p.changed.size(), 1u);
  EXPECT_EQ(p.changed[0].fields, std::vector<std::string>{"name"});
  EXPECT_TRUE(p.routes_added.empty());
}

TEST(ReloadPlan, AnMtuProbeTargetChangesLiveAndItsIntervalNeedsARestart) {
  const auto p = plan(node(kPeerFar), node(kPeerFar + "mtu_probe_target = \"10.0.0.2\"\n"));
  ASSERT_EQ(p.changed.size(), 1u);
  EXPECT_EQ(p.changed[0].fields, std::vector<std::string>{"mtu_probe_target"});
  EXPECT_EQ(refusal(node(kPeerFar),
                    with(node(kPeerFar), "mtu = 1400", "mtu = 1400\nmtu_probe_interval = 10")),
            "[interface] mtu_probe_interval changed (600 -> 10)");
}

TEST(ReloadPlan, AKeyReplacedIsOnePeerRemovedAndOneAdded) {
  const auto p = plan(node(kPeerFar), node(with(kPeerFar, kPub, kPub3)));
  EXPECT_EQ(p.summary(), "1 peer added (far), 1 removed (far), 0 changed");
  EXPECT_TRUE(p.routes_added.empty());  // the same prefixes, through the same device
  EXPECT_TRUE(p.routes_removed.empty());
}

TEST(ReloadPlan, TableOffChangesNoRoute) {
  const std::string off = "[interface]\nname = \"tdm0\"\nprivate_key = \"" + kPriv +
                          "\"\nlisten_port = 51820\ntable = \"off\"\n\n";
  const auto p = plan(off + kPeerFar, off + kPeerFar + kPeerNear);
  EXPECT_EQ(p.added.size(), 1u);
  EXPECT_TRUE(p.routes_added.empty());
}

TEST(ReloadRefusal, NamesEachInterfaceSettingThatNeedsARestart) {
  EXPECT_EQ(refusal(node(kPeerFar), with(node(kPeerFar), "51820", "51821")),
            "[interface] listen_port changed (51820 -> 51821)");
  EXPECT_EQ(refusal(node(kPeerFar),
                    with(with(node(kPeerFar), "mtu = 1400", "mtu = 1380"), "tdm0", "tdm1")),
            "[interface] name changed (tdm0 -> tdm1); [interface] mtu changed (1400 -> 1380)");
  EXPECT_EQ(refusal(node(kPeerFar), with(node(kPeerFar), "10.0.0.1/24", "10.0.0.5/24")),
            "[interface] addresses changed");
  EXPECT_EQ(refusal(node(kPeerFar), with(node(kPeerFar), "mtu = 1400", "fwmark = 7\nmtu = 1400")),
            "[interface] fwmark changed (0 -> 7)");
  EXPECT_EQ(refusal(node(kPeerFar), with(node(kPeerFar), "mtu = 1400", "table = \"off\"")),
            "[interface] mtu changed (1400 -> 1420); [interface] table changed");
}

TEST(ReloadRefusal, ANewPrivateKeyIsNamedButNotShown) {
  const std::string other = "cGVlcnByaXZhdGVrZXlwZWVycHJpdmF0ZWtleXBlZXI=";
  const auto text = refusal(node(kPeerFar), with(node(kPeerFar), kPriv, other));
  EXPECT_EQ(text, "[interface] private_key changed");
}

TEST(ReloadRefusal, TheMetricsEndpointChangesOnlyOnARestart) {
  const std::string metrics = "[metrics]\nlisten = \"127.0.0.1:9586\"\n";
  EXPECT_EQ(refusal(node(kPeerFar), node(kPeerFar) + metrics), "[metrics] section added");
  EXPECT_EQ(refusal(node(kPeerFar) + metrics, node(kPeerFar) + with(metrics, "9586", "9587")),
            "[metrics] changed");
  EXPECT_TRUE(plan(node(kPeerFar) + metrics, node(kPeerFar) + metrics).empty());
}

TEST(ReloadRefusal, ASectionAddedOrRemovedNeedsARestart) {
  const std::string l2tp =
      "[l2tp]\nmode = \"lac\"\nallow_unencrypted = true\nserver = \"192.168.1.1\"\n\n"
      "[[l2tp.session]]\nuser = \"alice\"\npassword = \"pw\"\n";
  EXPECT_EQ(refusal(node(kPeerFar), node(kPeerFar) + l2tp), "[l2tp] section added");
  EXPECT_EQ(refusal(node(kPeerFar) + l2tp, node(kPeerFar)), "[l2tp] section removed");
  EXPECT_EQ(refusal(node(kPeerFar) + l2tp, node(kPeerFar) + with(l2tp, "\"pw\"", "\"pw2\"")),
            "[[l2tp.session]] changed");
  EXPECT_EQ(
      refusal(node(kPeerFar) + l2tp, node(kPeerFar) + with(l2tp, "192.168.1.1", "192.168.1.7")),
      "[l2tp] server changed");
}

TEST(ReloadPlan, PeersChangeLiveBesideAnUnchangedL2tpSection) {
  const std::string l2tp =
      "[l2tp]\nmode = \"lac\"\nallow_unencrypted = true\nserver = \"192.168.1.1\"\n\n"
      "[[l2tp.session]]\nuser = \"alice\"\npassword = \"pw\"\n";
  const auto p = plan(node(kPeerFar) + l2tp, node(kPeerFar + kPeerNear) + l2tp);
  EXPECT_EQ(p.summary(), "1 peer added (near), 0 removed, 0 changed");
}

const std::string kGateway = "[interface]\nname = \"hyb0\"\nprivate_key = \"" + kPriv +
                             "\"\nlisten_port = 51820\naddresses = [\"10.77.0.1/24\"]\n\n"
                             "[accounts]\npool = \"10.77.0.10-10.77.0.20\"\n\n"
                             "[[account]]\nname = \"alice\"\npublic_key = \"" +
                             kPub + "\"\naddress = \"10.77.0.2\"\n";
const std::string kBob =
    "\n[[account]]\nname = \"bob\"\npublic_key = \"" + kPub2 + "\"\naddress = \"10.77.0.3\"\n";

TEST(ReloadPlan, AGatewaysAccountsChangeByName) {
  EXPECT_TRUE(plan(kGateway + kBob, kGateway + kBob).empty());
  const auto added = plan(kGateway, kGateway + kBob);
  EXPECT_EQ(added.accounts_added, std::vector<std::string>{"bob"});
  EXPECT_FALSE(added.peers_change());
  EXPECT_EQ(added.summary(), "1 account added (bob), 0 removed, 0 changed");
  EXPECT_EQ(
      plan(kGateway + kBob, with(kGateway, "address = \"10.77.0.2\"", "address = \"10.77.0.9\""))
          .summary(),
      "0 accounts added, 1 removed (bob), 1 changed (alice)");
}

TEST(ReloadRefusal, AccountsThatWouldMakeOrUnmakeAGatewayNeedARestart) {
  const std::string plain = "[interface]\nname = \"hyb0\"\nprivate_key = \"" + kPriv +
                            "\"\nlisten_port = 51820\naddresses = [\"10.77.0.1/24\"]\n";
  EXPECT_EQ(refusal(plain, plain + kBob),
            "[[account]] bob added (the node would become a hybrid gateway)");
  EXPECT_EQ(refusal(kGateway, plain),
            "[[account]] alice removed (the node would stop being a hybrid gateway); "
            "[accounts] pool changed");
}

TEST(ReloadRefusal, AClientsTrafficRulesNeedARestart) {
  const std::string client =
      "[interface]\nname = \"hyb0\"\nprivate_key = \"" + kPriv +
      "\"\naddresses = [\"10.77.0.2/24\"]\n\n[[peer]]\npublic_key = \"" + kPub +
      "\"\nendpoint = \"192.0.2.1:51820\"\nallowed_ips = [\"10.77.0.0/24\"]\n\n"
      "[l2tp]\nmode = \"lac\"\nallow_unencrypted = true\nserver = \"192.0.2.1\"\n"
      "\n[[l2tp.session]]\nuser = \"alice\"\npassword = \"correct horse\"\n\n"
      "[fallback]\ngateway = \"10.77.0.1\"\n\n"
      "[[policy]]\nname = \"dns\"\npath = \"l2tp\"\ndestination_ports = 53\n";
  EXPECT_EQ(refusal(client, with(client, "destination_ports = 53", "destination_ports = 853")),
            "[[policy]] changed");
}

TEST(ReloadRefusal, AGatewaysAddressPoolNeedsARestart) {
  EXPECT_EQ(refusal(kGateway, with(kGateway, "10.77.0.20", "10.77.0.30")),
            "[accounts] pool changed");
}

TEST(ReloadRefusal, AGatewaysPathMtuProbingSwitchNeedsARestartAnAccountsTargetDoesNot) {
  EXPECT_EQ(refusal(kGateway, with(kGateway, "10.77.0.20\"", "10.77.0.20\"\nmtu_probing = true")),
            "[accounts] mtu_probing changed");
  const auto targeted = plan(kGateway, kGateway + "mtu_probe_target = \"10.77.0.2\"\n");
  EXPECT_EQ(targeted.accounts_changed, std::vector<std::string>{"alice"});
}

}  // namespace
}  // namespace tandem::daemon
