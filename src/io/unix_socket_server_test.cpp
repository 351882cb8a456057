#include "io/unix_socket_server.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "io/unix_socket_client.hpp"

namespace tandem::io {
namespace {

using namespace std::chrono_literals;

// A temp dir, an event loop on its own thread, and helpers to talk to the socket.
class UnixSocketServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/tandem-uss-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/wg-test.sock";
    auto loop = EventLoop::create();
    ASSERT_TRUE(loop.ok());
    loop_ = std::move(loop).value();
  }
  void TearDown() override {
    stop_loop();  // servers are touched by the loop thread; destroy them only after it ends
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  // Listens on path_ and keeps the server in the fixture; returns false (and records why) on error.
  bool serve(UnixSocketServer::Handler handler) {
    auto server = UnixSocketServer::listen(*loop_, path_, std::move(handler));
    if (!server) {
      ADD_FAILURE() << server.error();
      return false;
    }
    server_ = std::move(server).value();
    return true;
  }
  void start_loop() {
    thread_ = std::thread([this] { ASSERT_TRUE(loop_->run().ok()); });
  }
  void stop_loop() {
    if (!thread_.joinable()) return;
    loop_->stop();
    thread_.join();
  }
  int connect_client() {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }
  static std::string read_exactly(int fd, std::size_t n) {
    std::string out;
    char buf[65536];
    while (out.size() < n) {
      const ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
      if (r <= 0) break;
      out.append(buf, static_cast<std::size_t>(r));
    }
    return out;
  }
  static std::string echo(std::string_view request) {
    return "reply-to:" + std::string(request.substr(0, request.size() - 2)) + "\nerrno=0\n\n";
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
  std::unique_ptr<UnixSocketServer> server_;
};

TEST_F(UnixSocketServerTest, AnswersRequestsSplitAcrossWritesAndSeveralPerConnection) {
  ASSERT_TRUE(serve(echo));
  start_loop();
  const int fd = connect_client();
  // One request dribbled in byte by byte, then two requests in a single write.
  for (char c : std::string("get=1\n\n")) {
    ASSERT_EQ(::send(fd, &c, 1, 0), 1);
    std::this_thread::sleep_for(1ms);
  }
  const std::string two = "set=1\nlisten_port=1\n\nget=1\n\n";
  ASSERT_EQ(::send(fd, two.data(), two.size(), 0), static_cast<ssize_t>(two.size()));
  const std::string expected =
      "reply-to:get=1\nerrno=0\n\n"
      "reply-to:set=1\nlisten_port=1\nerrno=0\n\n"
      "reply-to:get=1\nerrno=0\n\n";
  EXPECT_EQ(read_exactly(fd, expected.size()), expected);
  ::close(fd);
}

TEST_F(UnixSocketServerTest, WritesLargeReplyAcrossPartialWrites) {
  const std::string big(4 << 20, 'x');
  ASSERT_TRUE(serve([&](std::string_view) { return big + "\nerrno=0\n\n"; }));
  start_loop();
  const int fd = connect_client();
  ASSERT_EQ(::send(fd, "get=1\n\n", 7, 0), 7);
  std::this_thread::sleep_for(20ms);  // let the server fill the socket buffer and wait for room
  const std::string got = read_exactly(fd, big.size() + 10);
  EXPECT_EQ(got.size(), big.size() + 10);
  EXPECT_EQ(got.substr(got.size() - 10), "\nerrno=0\n\n");
  ::close(fd);
}

TEST_F(UnixSocketServerTest, WorksWithTheOneShotClient) {
  ASSERT_TRUE(serve(echo));
  start_loop();
  auto reply = unix_socket_request(path_, "get=1\n\n");
  ASSERT_TRUE(reply.ok()) << reply.error();
  EXPECT_EQ(*reply, "reply-to:get=1\nerrno=0\n\n");
}

TEST_F(UnixSocketServerTest, CreatesSocketOnlyForItsOwner) {
  ASSERT_TRUE(serve(echo));
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
}

TEST_F(UnixSocketServerTest, ReplacesStaleSocketFileNobodyListensOn) {
  {
    // Leave a socket file behind, as a crashed daemon would.
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
  }
  ASSERT_TRUE(std::filesystem::exists(path_));
  ASSERT_TRUE(serve(echo));
  start_loop();
  EXPECT_TRUE(unix_socket_request(path_, "get=1\n\n").ok());
}

TEST_F(UnixSocketServerTest, RefusesPathAnotherServerIsListeningOn) {
  ASSERT_TRUE(serve(echo));
  auto second = UnixSocketServer::listen(*loop_, path_, echo);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find("in use"), std::string::npos) << second.error();
  start_loop();
  EXPECT_TRUE(unix_socket_request(path_, "get=1\n\n").ok());  // the first one still serves
}

TEST_F(UnixSocketServerTest, RemovesSocketFileWhenDestroyed) {
  {
    auto server = UnixSocketServer::listen(*loop_, path_, echo);
    ASSERT_TRUE(server.ok());
    EXPECT_TRUE(std::filesystem::exists(path_));
  }
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(UnixSocketServerTest, EnsureDirectoryCreatesParentsWithMode) {
  const std::string nested = dir_ + "/a/b";
  ASSERT_TRUE(ensure_directory(nested, 0755).ok());
  struct stat st {};
  ASSERT_EQ(::stat(nested.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(ensure_directory(nested, 0755).ok());  // already there is fine
}

}  // namespace
}  // namespace tandem::io
