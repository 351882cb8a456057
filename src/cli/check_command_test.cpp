// `tandem check`: valid files summarised (without their secrets), broken ones refused with their
// position, warnings passed on.
#include "cli/check_command.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"

namespace tandem::cli {
namespace {

constexpr const char* kPrivateKey = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
constexpr const char* kPeerKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
constexpr const char* kPsk = "/UwcSPg38hW/D9Y3tcS1FOV0K1wuURMbS0sesJEP5ak=";

std::string wireguard_node() {
  return std::string("[interface]\nname = \"wg7\"\nprivate_key = \"") + kPrivateKey +
         "\"\nlisten_port = 51820\naddresses = [\"10.9.0.1/24\"]\nmtu = 1420\n\n"
         "[[peer]]\nname = \"node-b\"\npublic_key = \"" +
         kPeerKey + "\"\npreshared_key = \"" + kPsk +
         "\"\nendpoint = \"192.0.2.7:51821\"\n"
         "allowed_ips = [\"10.9.0.2/32\", \"0.0.0.0/0\"]\npersistent_keepalive = 25\n";
}

const std::string kL2tpGateway = R"([l2tp]
mode = "lns"
interface = "l2tp7"
address = "10.77.0.1/24"
pool = "10.77.0.10-10.77.0.200"
auth = ["mschapv2"]

[l2tp.ipsec]
psk = "a pre-shared key long enough"

[[l2tp.user]]
name = "alice"
password = "correct horse"
)";

const std::string kSite = R"([ipsec]
interface = "ipsec7"
local_address = "192.0.2.1"
addresses = ["10.1.0.1/24"]

[[ipsec.connection]]
name = "branch"
remote_address = "198.51.100.2"
psk = "sixteen chars or more"
local_subnets = ["10.1.0.0/24"]
remote_subnets = ["10.2.0.0/24"]

[[ipsec.connection]]
name = "roaming"
remote_id = "branch2.example.org"
psk = "another long enough key"
local_subnets = ["10.1.0.0/24"]
remote_subnets = ["10.4.0.0/24"]
)";

class CheckCommand : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(tmp_.ok()); }

  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string path = tmp_.path() + "/" + name;
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
    return path;
  }
  int check(const std::string& target) {
    out_.str("");
    err_.str("");
    return run_check(target, out_, err_);
  }

  testing::TempDir tmp_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CheckCommand, ValidWireguardNodeIsSummarisedWithItsPeersAndRoutes) {
  const std::string path = write("office.toml", wireguard_node());
  ASSERT_EQ(check(path), 0) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find(path + ": valid"), std::string::npos) << out;
  EXPECT_NE(out.find("WireGuard interface wg7: UDP port 51820, MTU 1420, addresses 10.9.0.1/24"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("peer node-b (xTIBA5rb): endpoint 192.0.2.7:51821"), std::string::npos) << out;
  EXPECT_NE(out.find("routes through wg7: 10.9.0.2/32\n"), std::string::npos) << out;
  EXPECT_NE(out.find("not routed: 0.0.0.0/0"), std::string::npos) << out;
  EXPECT_NE(out.find("pidfile: "), std::string::npos) << out;
  EXPECT_NE(out.find("/office.pid"), std::string::npos) << out;
  EXPECT_EQ(err_.str(), "") << "an owner-only file has nothing to warn about";
}

TEST_F(CheckCommand, AGatewaysRoadWarriorsAreListedWithoutTheirKeys) {
  const std::string gateway =
      std::string("[interface]\nname = \"hyb7\"\nprivate_key = \"") + kPrivateKey +
      "\"\nlisten_port = 51820\naddresses = [\"10.9.0.1/24\", \"fd09::1/64\"]\n\n"
      "[l2tp]\nmode = \"lns\"\n[l2tp.ipsec]\npsk = \"an L2TP pre-shared key\"\n\n"
      "[ipsec]\nlocal_address = \"192.0.2.1\"\nlocal_id = \"vpn.example.org\"\n\n"
      "[accounts]\npool = \"10.9.0.10-10.9.0.20\"\n\n"
      "[[account]]\nname = \"carol\"\nike_id = \"carol@example.org\"\n"
      "ike_psk = \"carol's long pre-shared key\"\naddress = \"10.9.0.3\"\n"
      "address6 = \"fd09::3\"\n\n"
      "[[account]]\nname = \"dave\"\nike_psk = \"dave's long pre-shared key\"\n"
      "password = \"dave's L2TP password\"\n";
  ASSERT_EQ(check(write("gw.toml", gateway)), 0) << err_.str();
  const std::string out = out_.str();
  // One gateway, both IPsec users: L2TP/IPsec logins are the accounts with a password.
  EXPECT_NE(out.find("L2TP gateway (LNS) on hyb7: UDP port 1701, over IPsec (IKEv1, pre-shared "
                     "key), address 10.9.0.1/24, 1 account with a password, authentication "),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("IKEv2 road warriors on hyb7: from 192.0.2.1 as fqdn:vpn.example.org, each "
                     "given its account's IPv4 address (and IPv6 address, when it asks)\n"
                     "  account carol: rfc822:carol@example.org, pre-shared key, address "
                     "10.9.0.3, fd09::3\n"
                     "  account dave: fqdn:dave, pre-shared key, address leased\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(out.find("long pre-shared key"), std::string::npos) << out;
}

TEST_F(CheckCommand, SummaryNeverShowsSecrets) {
  const std::string all = wireguard_node() + "\n" + kL2tpGateway;
  const std::string path = write("all.toml", all);
  ASSERT_EQ(check(path), 0) << err_.str();
  for (const char* secret : {kPrivateKey, kPsk, "correct horse", "a pre-shared key long enough"})
    EXPECT_EQ(out_.str().find(secret), std::string::npos) << secret << " in\n" << out_.str();
}

TEST_F(CheckCommand, L2tpGatewayAndIpsecSitesAreSummarised) {
  ASSERT_EQ(check(write("gw.toml", kL2tpGateway)), 0) << err_.str();
  EXPECT_NE(out_.str().find("L2TP gateway (LNS) on l2tp7: UDP port 1701, over IPsec (IKEv1, "
                            "pre-shared key), address 10.77.0.1/24, pool "
                            "10.77.0.10-10.77.0.200, 1 user, authentication MS-CHAPv2"),
            std::string::npos)
      << out_.str();
  // No mtu: the budget for the costliest default suite (AES-CBC, HMAC-SHA-256-128) over 1500.
  EXPECT_NE(out_.str().find(", MTU 1404 (a gateway, whose clients' paths are not known before "
                            "they dial: an underlay of 1500, less 88 of IPv4, UDP 4500, ESP "
                            "(aes-cbc-sha256, the costliest suite [l2tp.ipsec] allows), UDP "
                            "1701, L2TP and PPP; 8 bytes unused, as ESP pads to the cipher's "
                            "block)\n"),
            std::string::npos)
      << out_.str();

  ASSERT_EQ(check(write("site.toml", kSite)), 0) << err_.str();
  const std::string out = out_.str();
  EXPECT_NE(out.find("IPsec site-to-site (IKEv2) on ipsec7: from 192.0.2.1"), std::string::npos)
      << out;
  EXPECT_NE(out.find("connection branch: peer 198.51.100.2, 10.1.0.0/24 <-> 10.2.0.0/24, "
                     "dialled at start-up"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("connection roaming: any peer, 10.1.0.0/24 <-> 10.4.0.0/24, waits for "
                     "the peer"),
            std::string::npos)
      << out;
}

TEST_F(CheckCommand, L2tpClientNamesItsServerAndSessions) {
  const std::string client = R"([l2tp]
mode = "lac"
allow_unencrypted = true
server = "vpn.example.org"

[[l2tp.session]]
user = "alice"
password = "correct horse"
)";
  ASSERT_EQ(check(write("lac.toml", client)), 0) << err_.str();
  EXPECT_NE(out_.str().find("L2TP client (LAC) on l2tp0: server vpn.example.org:1701, plain "
                            "L2TP (unencrypted), 1 session (alice), MTU 1462 (the server's name "
                            "is not resolved yet: an underlay of 1500, less 38 of IPv4, UDP, "
                            "L2TP and PPP)"),
            std::string::npos)
      << out_.str();
  std::string given = client;
  given.insert(given.find("server"), "mtu = 1300\n");
  ASSERT_EQ(check(write("lac-mtu.toml", given)), 0) << err_.str();
  EXPECT_NE(out_.str().find("1 session (alice), MTU 1300 (as configured)"), std::string::npos)
      << out_.str();
}

TEST_F(CheckCommand, BrokenConfigFailsWithFileLineAndColumn) {
  const std::string path = write("bad.toml", "[interface]\nname = \"wg7\"\nlistn_port = 1\n");
  EXPECT_EQ(check(path), 1);
  EXPECT_NE(err_.str().find(path + ":3:1: unknown key 'listn_port'"), std::string::npos)
      << err_.str();
  EXPECT_EQ(out_.str(), "") << "nothing is summarised for a refused file";
}

TEST_F(CheckCommand, MissingFileNamesThePathUpWouldRead) {
  EXPECT_EQ(check("tandem-check-absent"), 1);
  EXPECT_NE(err_.str().find("/etc/tandem/tandem-check-absent.toml"), std::string::npos)
      << err_.str();
}

TEST_F(CheckCommand, WarnsAboutAConfigOthersCanReadItsKeyIn) {
  const std::string path = write("open.toml", wireguard_node(), 0644);
  ASSERT_EQ(check(path), 0) << err_.str();
  EXPECT_NE(err_.str().find("Warning: '" + path + "' is world accessible"), std::string::npos)
      << err_.str();
}

}  // namespace
}  // namespace tandem::cli
