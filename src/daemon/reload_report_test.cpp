// The file through which `tandem reload` learns what the daemon did with its SIGHUP.
#include "daemon/reload_report.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

#include "base/test_temp_dir.hpp"
#include "daemon/instance_lock.hpp"

namespace tandem::daemon {
namespace {

TEST(ReloadReport, FormatsOneFieldPerLine) {
  EXPECT_EQ(format_reload_report({42, 3, true, "1 peer added (far2), 0 removed, 0 changed"}),
            "pid 42\ngeneration 3\nresult applied\n"
            "message 1 peer added (far2), 0 removed, 0 changed\n");
}

TEST(ReloadReport, ParsesWhatItFormats) {
  const ReloadReport refused{7, 1, false, "n.toml:4:1: unknown key 'listn_port'; nothing changed"};
  EXPECT_EQ(parse_reload_report(format_reload_report(refused)), refused);
  const ReloadReport empty_message{7, 2, true, ""};
  EXPECT_EQ(parse_reload_report(format_reload_report(empty_message)), empty_message);
}

TEST(ReloadReport, ALineBreakInTheMessageCannotForgeAField) {
  const auto text = format_reload_report({9, 1, false, "bad\nresult applied"});
  EXPECT_EQ(text, "pid 9\ngeneration 1\nresult refused\nmessage bad result applied\n");
  ASSERT_TRUE(parse_reload_report(text));
  EXPECT_FALSE(parse_reload_report(text)->applied);
}

TEST(ReloadReport, RefusesAnythingElse) {
  for (const char* text : {"", "pid 42\n", "pid 42\ngeneration 3\nresult applied\n",
                           "pid x\ngeneration 3\nresult applied\nmessage m\n",
                           "pid 0\ngeneration 3\nresult applied\nmessage m\n",
                           "pid 42\ngeneration 3\nresult maybe\nmessage m\n",
                           "pid 42\ngeneration 3\nresult applied\nmessage m",
                           "pid 42\ngeneration 3\nresult applied\nmessage m\nextra 1\n"})
    EXPECT_EQ(parse_reload_report(text), std::nullopt) << text;
}

TEST(ReloadReport, IsWrittenWholeForTheDaemonsUserOnly) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string path = dir.path() + "/node.reload";
  EXPECT_EQ(read_reload_report(path), std::nullopt);
  ASSERT_TRUE(write_reload_report(path, {42, 1, true, "no changes"}));
  ASSERT_TRUE(write_reload_report(path, {42, 2, false, "refused"}));
  EXPECT_EQ(read_reload_report(path), (ReloadReport{42, 2, false, "refused"}));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(std::filesystem::exists(path + ".new"));
}

TEST(ReloadReport, LivesBesideThePidfile) {
  ::setenv(kRunDirectoryVariable, "/tmp/somewhere", 1);
  EXPECT_EQ(reload_report_path("node"), "/tmp/somewhere/node.reload");
  ::unsetenv(kRunDirectoryVariable);
}

}  // namespace
}  // namespace tandem::daemon
