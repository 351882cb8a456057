// Reading the files a config names: errno on failure, and who else may read a secret.
#include "control/config_files.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "base/test_temp_dir.hpp"

namespace tandem::control {
namespace {

// Each test in a directory of its own: ctest runs them as parallel processes.
class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    std::ofstream(path_) << "line one\nline two\n";
  }
  tandem::testing::TempDir dir_;
  const std::string path_ = dir_.path() + "/config-files-test.txt";
};

TEST_F(ConfigFile, ReadsTheWholeFile) {
  auto text = read_config_file(path_);
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "line one\nline two\n");
}

TEST_F(ConfigFile, ReportsTheErrnoOfAFailure) {
  EXPECT_EQ(read_config_file(path_ + ".missing").error(), ENOENT);
  EXPECT_EQ(read_config_file(::testing::TempDir()).error(), EISDIR);
}

TEST_F(ConfigFile, WarnsOfAccessByOthersBeforeAccessByTheGroup) {
  chmod(path_.c_str(), 0600);
  EXPECT_FALSE(access_warning(path_));
  chmod(path_.c_str(), 0660);
  EXPECT_EQ(access_warning(path_), "Warning: '" + path_ + "' is group accessible");
  chmod(path_.c_str(), 0664);
  EXPECT_EQ(access_warning(path_), "Warning: '" + path_ + "' is world accessible");
  chmod(path_.c_str(), 0602);  // writable is as bad: the key can be replaced
  EXPECT_EQ(access_warning(path_), "Warning: '" + path_ + "' is world accessible");
}

TEST(PathBeside, TakesRelativePathsFromTheConfigsDirectory) {
  EXPECT_EQ(path_beside("/etc/tandem", "wg.key"), "/etc/tandem/wg.key");
  EXPECT_EQ(path_beside("/tmp/", "wg.key"), "/tmp/wg.key");
  EXPECT_EQ(path_beside("/etc/tandem", "/root/wg.key"), "/root/wg.key");
}

TEST_F(ConfigFile, HookFileMustBeRootOwnedAndWritableOnlyByItsOwner) {
  if (::geteuid() != 0) {
    // Not root: the file is this user's, which is reason enough.
    auto refusal = hook_file_refusal(path_);
    ASSERT_TRUE(refusal);
    EXPECT_NE(refusal->find("not root"), std::string::npos) << *refusal;
    return;
  }
  chmod(path_.c_str(), 0644);  // readable by all is fine: only writing is dangerous
  EXPECT_FALSE(hook_file_refusal(path_));
  chmod(path_.c_str(), 0664);
  auto group = hook_file_refusal(path_);
  ASSERT_TRUE(group);
  EXPECT_NE(group->find("run as root"), std::string::npos) << *group;
  EXPECT_NE(group->find("mode 0664"), std::string::npos) << *group;
  chmod(path_.c_str(), 0602);
  EXPECT_TRUE(hook_file_refusal(path_));
  chmod(path_.c_str(), 0600);
  ASSERT_EQ(chown(path_.c_str(), 1000, 0), 0);
  auto owner = hook_file_refusal(path_);
  ASSERT_TRUE(owner);
  EXPECT_NE(owner->find("owned by uid 1000, not root"), std::string::npos) << *owner;
}

}  // namespace
}  // namespace tandem::control
