// `tandem profile` as an operator meets it: the gateway's config and the client's key files in,
// the profile out (stdout, or a file of mode 0600), and refusals that name the fix.
#include "cli/profile_command.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "base/test_temp_dir.hpp"
#include "control/wg_quick.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/x25519.hpp"

namespace tandem::cli {
namespace {

constexpr const char* kClientKey = "uDEO3dxBHD3GWwv+xrMi9BhiWC10fKzIg8oYdI2yV1M=";

class ProfileCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    const auto key = crypto::decode_key_base64(kClientKey);
    const crypto::PublicKey pub =
        crypto::x25519_public_key(crypto::PrivateKey(std::span<const std::byte, 32>(*key)));
    write(dir_.path() + "/gw.toml",
          R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24"]

[l2tp]
mode = "lns"

[l2tp.ipsec]
psk = "the l2tp pre-shared key"

[[account]]
name = "alice"
public_key = ")" +
              crypto::base64_encode(pub) + R"("
password = "correct horse"
address = "10.77.0.2"
)",
          0600);
    write(key_path(), std::string(kClientKey) + "\n", 0600);
    options_.config_path = dir_.path() + "/gw.toml";
    options_.account = "alice";
    options_.endpoint = "vpn.example.org";
    options_.private_key_file = key_path();
    options_.format = "wg-quick";
  }
  static void write(const std::string& path, const std::string& text, mode_t mode) {
    std::ofstream(path) << text;
    ::chmod(path.c_str(), mode);
  }
  std::string key_path() const { return dir_.path() + "/alice.key"; }
  // Exit code, stdout, stderr.
  std::tuple<int, std::string, std::string> run() const {
    std::ostringstream out, err;
    const int code = run_profile(options_, out, -1, err);
    return {code, out.str(), err.str()};
  }

  tandem::testing::TempDir dir_;
  ProfileOptions options_;
};

TEST_F(ProfileCommand, PrintsTheWgQuickFileOfTheAccount) {
  const auto [code, out, err] = run();
  ASSERT_EQ(code, 0) << err;
  EXPECT_EQ(err, "");
  auto parsed = control::parse_wg_quick(out, "alice.conf", "alice");
  ASSERT_TRUE(parsed) << parsed.error().to_string() << "\n" << out;
  EXPECT_EQ(parsed->config.peers.at(0).endpoint_host, "vpn.example.org");
  EXPECT_EQ(parsed->config.peers.at(0).endpoint_port, 51820);
  EXPECT_NE(out.find("Address = 10.77.0.2/32\n"), std::string::npos) << out;
  EXPECT_NE(out.find("AllowedIPs = 10.77.0.0/24\n"), std::string::npos) << out;
}

TEST_F(ProfileCommand, WritesTheOutputFileOwnerOnly) {
  for (const char* format : {"tandem", "png", "powershell", "mobileconfig"}) {
    options_.format = format;
    options_.output_path = dir_.path() + "/alice." + format;
    const auto [code, out, err] = run();
    ASSERT_EQ(code, 0) << format << ": " << err;
    struct stat st {};
    ASSERT_EQ(::stat(options_.output_path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << format;
    EXPECT_GT(st.st_size, 0) << format;
  }
}

TEST_F(ProfileCommand, RefusesAKeyFileOthersCanRead) {
  ::chmod(key_path().c_str(), 0644);
  const auto [code, out, err] = run();
  EXPECT_EQ(code, 1);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find("group or others can read it (mode 0644): chmod 600 " + key_path()),
            std::string::npos)
      << err;
}

TEST_F(ProfileCommand, NamesTheKeyFileAWireguardFormatNeeds) {
  options_.private_key_file.clear();
  const auto [code, out, err] = run();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("--format wg-quick needs the client's private key: --private-key-file"),
            std::string::npos)
      << err;
  options_.format = "powershell";  // L2TP/IPsec needs no WireGuard key
  EXPECT_EQ(std::get<0>(run()), 0);
}

TEST_F(ProfileCommand, PngGoesToAFileOnly) {
  options_.format = "png";
  const auto [code, out, err] = run();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("give -o FILE.png"), std::string::npos) << err;
}

TEST_F(ProfileCommand, SaysWhereTheConfigIsWrong) {
  write(options_.config_path, "[interface\n", 0600);
  const auto [code, out, err] = run();
  EXPECT_EQ(code, 1);
  EXPECT_NE(err.find("gw.toml:1:"), std::string::npos) << err;
}

TEST_F(ProfileCommand, FullTunnelAndExtraDns) {
  options_.full_tunnel = true;
  options_.dns = {"10.77.0.53"};
  options_.dns_search = {"corp.example"};
  const auto [code, out, err] = run();
  ASSERT_EQ(code, 0) << err;
  EXPECT_NE(out.find("AllowedIPs = 0.0.0.0/0, ::/0\n"), std::string::npos) << out;
  EXPECT_NE(out.find("DNS = 10.77.0.53, corp.example\n"), std::string::npos) << out;
  options_.persistent_keepalive = 0;
  EXPECT_EQ(std::get<1>(run()).find("PersistentKeepalive"), std::string::npos);
  options_.dns = {"not-an-address"};
  EXPECT_NE(std::get<2>(run()).find("'not-an-address' is not an IP address"), std::string::npos);
}

}  // namespace
}  // namespace tandem::cli
