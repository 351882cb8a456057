// EventSink: one JSON object per line, each with time, node and event, appended to the file.
#include "daemon/event_sink.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "base/test_temp_dir.hpp"

namespace tandem::daemon {
namespace {

TEST(EventSink, AppendsOneJsonObjectPerLine) {
  tandem::testing::TempDir dir;
  const std::string path = dir.path() + "/events";
  EventSink sink;
  EXPECT_FALSE(sink.enabled());
  sink.emit("nothing.configured");
  ASSERT_TRUE(sink.configure("gw0", path, false).ok());
  EXPECT_TRUE(sink.enabled());
  sink.emit("account.revoked", {{"account", "alice"}});
  sink.emit("path.failover", {{"from", "wireguard"}, {"to", "l2tp-ipsec"}});
  sink.reset();
  std::ifstream in(path);
  std::string line;
  std::vector<nlohmann::json> lines;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["event"], "account.revoked");
  EXPECT_EQ(lines[0]["account"], "alice");
  EXPECT_EQ(lines[0]["node"], "gw0");
  EXPECT_EQ(lines[0]["time"].get<std::string>().size(), 24u) << lines[0]["time"];
  EXPECT_EQ(lines[1]["to"], "l2tp-ipsec");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(EventSink, AFileThatCannotBeOpenedNamesTheCause) {
  EventSink sink;
  const auto r = sink.configure("gw0", "/nonexistent-dir/events", false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().find("its directory must exist"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace tandem::daemon
