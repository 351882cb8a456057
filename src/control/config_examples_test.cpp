// The example configs installed under share/doc/tandem/examples (dist/examples) are accepted by
// the parser the daemon uses, so an operator who copies one only has to fill in the secrets.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "base/test_temp_dir.hpp"
#include "control/config.hpp"

namespace tandem::control {
namespace {

namespace fs = std::filesystem;

// A valid WireGuard key; as a pre-shared IPsec key or a password it is long enough too.
constexpr const char* kKeyText = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The files an example names through `*_file = "..."`: the secrets an operator creates beside it.
std::set<std::string> named_files(const std::string& text) {
  static const std::regex kFileKey(R"re(^\s*\w+_file\s*=\s*"([^"]+)")re", std::regex::multiline);
  std::set<std::string> names;
  for (std::sregex_iterator it(text.begin(), text.end(), kFileKey), end; it != end; ++it)
    names.insert((*it)[1].str());
  return names;
}

std::vector<fs::path> examples() {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(TANDEM_EXAMPLES_DIR))
    if (entry.path().extension() == ".toml") out.push_back(entry.path());
  return out;
}

// Loads `example` as `tandem up` would from a directory holding it and the secret files it names
// (owner-only, so any warning would be about the example itself).
Result<NodeConfig, ConfigError> load_beside_its_secrets(const fs::path& example) {
  // A directory of its own: ctest runs these tests as parallel processes.
  const tandem::testing::TempDir scratch;
  EXPECT_TRUE(scratch.ok());
  const fs::path dir = scratch.path();
  const std::string text = read_text(example);
  for (const auto& name : named_files(text)) {
    std::ofstream(dir / name) << kKeyText;
    ::chmod((dir / name).c_str(), 0600);
  }
  const fs::path copy = dir / example.filename();
  std::ofstream(copy) << text;
  ::chmod(copy.c_str(), 0600);
  return load_node_config(copy.string());
}

TEST(ShippedExamples, ThereAreSomeToCheck) {
  EXPECT_GE(examples().size(), 2u);
}

TEST(ShippedExamples, EachIsAcceptedWithoutWarnings) {
  for (const auto& example : examples()) {
    SCOPED_TRACE(example.string());
    auto cfg = load_beside_its_secrets(example);
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_TRUE(cfg->warnings.empty()) << cfg->warnings.front();
  }
}

TEST(ShippedExamples, TheClientHasOneGatewayPeer) {
  auto cfg = load_beside_its_secrets(fs::path(TANDEM_EXAMPLES_DIR) / "wireguard-client.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  ASSERT_TRUE(cfg->interface);
  ASSERT_EQ(cfg->peers.size(), 1u);
  EXPECT_TRUE(cfg->peers[0].endpoint_host);
}

TEST(ShippedExamples, TheGatewayServesWireguardAndL2tpOverIpsec) {
  auto cfg = load_beside_its_secrets(fs::path(TANDEM_EXAMPLES_DIR) / "l2tp-ipsec-gateway.toml");
  ASSERT_TRUE(cfg) << cfg.error().to_string();
  EXPECT_TRUE(cfg->interface);
  ASSERT_TRUE(cfg->l2tp);
  EXPECT_EQ(cfg->l2tp->role, L2tpRole::kLns);
  EXPECT_TRUE(cfg->l2tp->ipsec);
  EXPECT_FALSE(cfg->l2tp->allow_unencrypted);
}

}  // namespace
}  // namespace tandem::control
