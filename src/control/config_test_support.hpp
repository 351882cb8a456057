// Helpers for the config tests: edit a good file in one place, read a refusal's text, and write
// configs and key files into a scratch directory.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "control/config.hpp"

namespace tandem::control::testing {

// Replaces the first occurrence of `from` in `text`.
inline std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The file:line:column message of a refused config ("" if it was accepted, which fails).
inline std::string refusal(const std::string& text) {
  auto r = parse_node_config(text, "n.toml");
  EXPECT_FALSE(r) << "accepted:\n" << text;
  return r ? "" : r.error().to_string();
}

// A hybrid gateway's [interface] (five lines; its public key is HIgo9xNz...), the head of the
// gateway files in the hybrid config tests.
inline const std::string kHybridGatewayInterface = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
listen_port = 51820
addresses = ["10.77.0.1/24"]
)";

// A hybrid client (22 lines): WireGuard to its gateway and a warm L2TP secondary, [fallback].
inline const std::string kHybridClient = R"([interface]
name = "hyb0"
private_key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk="
addresses = ["10.77.0.2/24"]

[[peer]]
name = "gateway"
public_key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="
endpoint = "vpn.example.org:51820"
allowed_ips = ["10.77.0.0/24"]

[l2tp]
mode = "lac"
allow_unencrypted = true
server = "vpn.example.org"

[[l2tp.session]]
user = "alice"
password = "correct horse"

[fallback]
gateway = "10.77.0.1"
)";

// A [dns] section (9 lines, after a blank one) routing corp.example and 77.10.in-addr.arpa to a
// resolver on the underlay: a gateway's forwarder, for the tests of what it hands to clients.
inline const std::string kGatewayDns = R"(
[dns]
[[dns.upstream]]
name = "corp"
through = "underlay"
servers = ["192.0.2.53"]

[[dns.route]]
domains = ["corp.example", "77.10.in-addr.arpa"]
upstream = "corp"
)";

// One edit of a good file and the refusal it must bring.
struct Refusal {
  std::string from, to;
  std::string expected;
};

inline void expect_refusals(const std::string& good, const std::vector<Refusal>& cases) {
  for (const auto& c : cases) EXPECT_EQ(refusal(with(good, c.from, c.to)), c.expected) << c.to;
}

// A scratch directory for configs and key files, removed afterwards.
class ScratchDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "tandem-config-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to `name` in the scratch directory with `mode`; returns its path.
  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    chmod(path.c_str(), mode);
    return path;
  }

  std::string dir_;
};

}  // namespace tandem::control::testing
