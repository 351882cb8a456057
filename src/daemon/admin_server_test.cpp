// The admin socket: where it is, who may connect (mode and group), and what it answers.
#include "daemon/admin_server.hpp"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "base/test_temp_dir.hpp"
#include "daemon/instance_lock.hpp"
#include "io/unix_socket_client.hpp"

namespace tandem::daemon {
namespace {

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(tmp_.ok());
    ::setenv(kRunDirectoryVariable, tmp_.path().c_str(), 1);
    auto loop = io::EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(loop).value();
  }
  void TearDown() override {
    if (thread_.joinable()) {
      loop_->stop();
      thread_.join();
    }
    server_.reset();
    ::unsetenv(kRunDirectoryVariable);
  }
  void start(const std::string& group, AdminHandlers handlers) {
    auto server = AdminServer::start(*loop_, "gw", group, std::move(handlers));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server).value();
    thread_ = std::thread([this] { (void)loop_->run(); });
  }
  Result<nlohmann::json, std::string> ask(control::AdminCommand command) {
    auto reply =
        io::unix_socket_request(admin_socket_path("gw"), control::format_admin_request(command));
    if (!reply) return Err(reply.error());
    return control::parse_admin_reply(*reply);
  }
  mode_t socket_mode() {
    struct stat st {};
    EXPECT_EQ(::stat(admin_socket_path("gw").c_str(), &st), 0);
    return st.st_mode & 07777;
  }

  testing::TempDir tmp_;
  std::unique_ptr<io::EventLoop> loop_;
  std::unique_ptr<AdminServer> server_;
  std::thread thread_;
};

TEST_F(AdminServerTest, LivesBesideThePidfileAndIsRootsAloneByDefault) {
  EXPECT_EQ(admin_socket_path("gw"), tmp_.path() + "/gw.admin");
  start("", {});
  EXPECT_EQ(socket_mode(), 0600u);
}

TEST_F(AdminServerTest, AGroupMayUseItWhenTheConfigNamesOne) {
  const group* g = ::getgrgid(::getegid());
  ASSERT_NE(g, nullptr);
  start(g->gr_name, {});
  EXPECT_EQ(socket_mode(), 0660u);
  struct stat st {};
  ASSERT_EQ(::stat(admin_socket_path("gw").c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, g->gr_gid);
}

TEST_F(AdminServerTest, AGroupThatDoesNotExistIsRefusedWithTheFix) {
  auto server = AdminServer::start(*loop_, "gw", "no-such-group-here", {});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.error().find("groupadd no-such-group-here"), std::string::npos)
      << server.error();
}

TEST_F(AdminServerTest, StatusNamesTheInstanceAndCarriesEveryInterface) {
  AdminHandlers h;
  h.interfaces = [] {
    return nlohmann::json::array(
        {status_document("l2tp", R"({"interface":"l0"})"), status_document("ipsec", "not json")});
  };
  start("", std::move(h));
  auto status = ask(control::AdminCommand::kStatus);
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ((*status)["instance"], "gw");
  EXPECT_EQ((*status)["pid"], static_cast<long>(::getpid()));
  ASSERT_EQ((*status)["interfaces"].size(), 2u);
  EXPECT_EQ((*status)["interfaces"][0]["interface"], "l0");
  EXPECT_EQ((*status)["interfaces"][0]["kind"], "l2tp");
  EXPECT_EQ((*status)["interfaces"][1]["kind"], "ipsec");
}

TEST_F(AdminServerTest, ReloadAndSyncAnswerWithWhatHappened) {
  AdminHandlers h;
  h.reload = [] { return nlohmann::json{{"applied", false}, {"message", "broken file"}}; };
  int syncs = 0;
  h.sync_accounts = [&]() -> Result<nlohmann::json, std::string> {
    if (++syncs == 2) return Err(std::string("cannot read the store: locked"));
    return nlohmann::json{{"changed", true}, {"accounts", {"alice"}}};
  };
  start("", std::move(h));
  auto reload = ask(control::AdminCommand::kReload);
  ASSERT_TRUE(reload.ok()) << reload.error();
  EXPECT_EQ((*reload)["message"], "broken file");
  auto sync = ask(control::AdminCommand::kSyncAccounts);
  ASSERT_TRUE(sync.ok()) << sync.error();
  EXPECT_EQ((*sync)["accounts"][0], "alice");
  auto failed = ask(control::AdminCommand::kSyncAccounts);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error(), "cannot read the store: locked");
}

TEST_F(AdminServerTest, StopCallsTheHandlerAndSaysItIsStopping) {
  AdminHandlers h;
  int stops = 0;
  h.stop = [&] { ++stops; };
  start("", std::move(h));
  auto stopping = ask(control::AdminCommand::kStop);
  ASSERT_TRUE(stopping.ok()) << stopping.error();
  EXPECT_EQ((*stopping)["stopping"], true);
  EXPECT_EQ(stops, 1);
}

TEST_F(AdminServerTest, ANodeThatCannotStopHereSaysSo) {
  start("", {});
  auto stopping = ask(control::AdminCommand::kStop);
  ASSERT_FALSE(stopping.ok());
  EXPECT_NE(stopping.error().find("cannot be stopped"), std::string::npos) << stopping.error();
}

TEST_F(AdminServerTest, ANodeWithoutAStoreSaysSo) {
  start("", {});
  auto sync = ask(control::AdminCommand::kSyncAccounts);
  ASSERT_FALSE(sync.ok());
  EXPECT_NE(sync.error().find("[accounts] store"), std::string::npos) << sync.error();
}

TEST_F(AdminServerTest, GarbageGetsAnErrorReplyAndTheSocketStaysUp) {
  start("", {});
  auto reply = io::unix_socket_request(admin_socket_path("gw"), "get=1\n\n");
  ASSERT_TRUE(reply.ok()) << reply.error();
  auto parsed = control::parse_admin_reply(*reply);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().find(R"({"command":"status"})"), std::string::npos);
  EXPECT_TRUE(ask(control::AdminCommand::kStatus).ok());
}

}  // namespace
}  // namespace tandem::daemon
