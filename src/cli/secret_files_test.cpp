// Secret files are owner-only whatever the umask; keys sent to readable files draw a warning.
#include "cli/secret_files.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/import_command.hpp"
#include "cli/key_commands.hpp"

namespace tandem::cli {
namespace {

class SecretFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/tandem-secret-files-XXXXXX";
    ASSERT_NE(::mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    old_umask_ = ::umask(022);
  }
  void TearDown() override {
    ::umask(old_umask_);
    std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  static unsigned mode_of(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_mode & 07777;
  }
  std::string dir_;
  mode_t old_umask_ = 0;
};

TEST_F(SecretFiles, NewFileIsOwnerOnlyUnderUmask022) {
  std::string error;
  ASSERT_TRUE(write_secret_file(dir_ + "/k", "secret\n", error)) << error;
  EXPECT_EQ(mode_of(dir_ + "/k"), 0600u);
}

TEST_F(SecretFiles, ExistingWorldReadableFileIsTightenedAndTruncated) {
  std::ofstream(dir_ + "/k") << "an older and longer content\n";
  ::chmod((dir_ + "/k").c_str(), 0644);
  std::string error;
  ASSERT_TRUE(write_secret_file(dir_ + "/k", "secret\n", error)) << error;
  EXPECT_EQ(mode_of(dir_ + "/k"), 0600u);
  std::ifstream in(dir_ + "/k");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(text.str(), "secret\n");
}

TEST_F(SecretFiles, ImportWgWritesItsOutputOwnerOnly) {
  std::ofstream(dir_ + "/wg0.conf")
      << "[Interface]\nPrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n";
  std::ostringstream out, err;
  ASSERT_EQ(run_import_wg({dir_ + "/wg0.conf", dir_ + "/out.toml"}, out, err), 0) << err.str();
  EXPECT_EQ(mode_of(dir_ + "/out.toml"), 0600u);
}

TEST_F(SecretFiles, GenkeyWarnsWhenItsOutputFileIsReadableByOthers) {
  const int fd = ::open((dir_ + "/k").c_str(), O_WRONLY | O_CREAT, 0644);
  ASSERT_GE(fd, 0);
  std::ostringstream out, err;
  EXPECT_EQ(run_genkey(out, fd, err), 0);
  EXPECT_NE(err.str().find("Warning: writing a secret key"), std::string::npos);
  std::ostringstream psk_err;
  EXPECT_EQ(run_genpsk(out, fd, psk_err), 0);
  EXPECT_EQ(psk_err.str(), err.str());
  ::close(fd);
}

TEST_F(SecretFiles, GenkeyIsSilentForOwnerOnlyFilesAndPipes) {
  const int fd = ::open((dir_ + "/k").c_str(), O_WRONLY | O_CREAT, 0600);
  ASSERT_GE(fd, 0);
  std::ostringstream out, err;
  EXPECT_EQ(run_genkey(out, fd, err), 0);
  ::close(fd);
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  EXPECT_EQ(run_genkey(out, pipe_fds[1], err), 0);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  EXPECT_EQ(err.str(), "");
}

}  // namespace
}  // namespace tandem::cli
