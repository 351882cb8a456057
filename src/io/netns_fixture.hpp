// Test support: runs each test inside a fresh network namespace the test creates itself, so TUN
// devices, addresses and routes never touch the host. The test thread enters the namespace with
// setns() (which moves only the calling thread) and returns to the original one afterwards.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "io/tun_device.hpp"

namespace tandem::io::testing {

class NetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    name_ = "tandem-io-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    original_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    ASSERT_GE(original_, 0);
    ASSERT_EQ(std::system(("ip netns add " + name_).c_str()), 0);
    const int ns = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(ns, 0);
    ASSERT_EQ(::setns(ns, CLONE_NEWNET), 0);
    ::close(ns);
    entered_ = true;
    ASSERT_EQ(std::system("ip link set lo up"), 0);
  }
  void TearDown() override {
    if (entered_) {
      EXPECT_EQ(::setns(original_, CLONE_NEWNET), 0);
    }
    if (original_ >= 0) ::close(original_);
    [[maybe_unused]] const int rc = std::system(("ip netns del " + name_ + " 2>/dev/null").c_str());
  }

  // Runs an `ip -j ...` command in the current namespace and parses its output.
  static nlohmann::json ip_json(const std::string& args) {
    std::string out;
    if (FILE* p = ::popen(("ip -j " + args).c_str(), "r")) {
      char buf[4096];
      std::size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
      ::pclose(p);
    }
    if (out.empty()) return nlohmann::json::array();
    return nlohmann::json::parse(out, nullptr, false);
  }

 private:
  std::string name_;
  int original_ = -1;
  bool entered_ = false;
};

// A NetnsTest with a TUN device, "tdm0", in its namespace (down, no addresses).
class NetnsTunTest : public NetnsTest {
 protected:
  void SetUp() override {
    NetnsTest::SetUp();
    if (HasFatalFailure()) return;
    auto tun = TunDevice::create("tdm0");
    ASSERT_TRUE(tun.ok()) << tun.error();
    tun_.emplace(std::move(tun).value());
  }
  void TearDown() override {
    tun_.reset();
    NetnsTest::TearDown();
  }

  std::optional<TunDevice> tun_;
};

}  // namespace tandem::io::testing
