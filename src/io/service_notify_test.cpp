// sd_notify readiness messages, received by a fake service manager on a datagram socket.
#include "io/service_notify.hpp"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>

#include "io/unique_fd.hpp"

namespace tandem::io {
namespace {

// Plays the service manager: a datagram socket in a private directory, named by NOTIFY_SOCKET
// for the duration of a test (and the variable restored after it).
class ServiceNotifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const char* old = std::getenv("NOTIFY_SOCKET")) saved_ = old;
    char dir[] = "/tmp/tandem-notify-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr) << std::strerror(errno);
    dir_ = dir;
    path_ = dir_ + "/notify";
    socket_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(socket_.valid()) << std::strerror(errno);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof addr.sun_path);
    std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
    ASSERT_EQ(::bind(socket_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0)
        << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", path_.c_str(), 1);
  }

  void TearDown() override {
    if (saved_)
      ::setenv("NOTIFY_SOCKET", saved_->c_str(), 1);
    else
      ::unsetenv("NOTIFY_SOCKET");
    socket_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // The next datagram, or nullopt when none arrives within a second (sd_notify sends
  // synchronously, so anything sent is already queued when the call returns).
  std::optional<std::string> receive() {
    pollfd p{socket_.get(), POLLIN, 0};
    if (::poll(&p, 1, 1000) != 1) return std::nullopt;
    char buffer[4096];
    const ssize_t n = ::recv(socket_.get(), buffer, sizeof buffer, 0);
    if (n < 0) return std::nullopt;
    return std::string(buffer, static_cast<std::size_t>(n));
  }

  bool nothing_queued() {
    pollfd p{socket_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  std::optional<std::string> saved_;
  std::string dir_;
  std::string path_;
  UniqueFd socket_;
};

TEST_F(ServiceNotifyTest, ReadyTellsTheServiceManagerReady) {
  EXPECT_TRUE(notify_ready());
  EXPECT_EQ(receive(), "READY=1");
}

TEST_F(ServiceNotifyTest, ReadyWithAStatusSendsBothInOneMessage) {
  EXPECT_TRUE(notify_ready("interface wg0 up\nMAINPID=1"));
  EXPECT_EQ(receive(), "READY=1\nSTATUS=interface wg0 up MAINPID=1");
}

TEST_F(ServiceNotifyTest, StoppingTellsTheServiceManagerStopping) {
  EXPECT_TRUE(notify_stopping());
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(ServiceNotifyTest, ReloadingCarriesTheMonotonicTimeItBegan) {
  timespec before{};
  ::clock_gettime(CLOCK_MONOTONIC, &before);
  EXPECT_TRUE(notify_reloading());
  const auto message = receive();
  ASSERT_TRUE(message);
  const std::string prefix = "RELOADING=1\nMONOTONIC_USEC=";
  ASSERT_EQ(message->substr(0, prefix.size()), prefix) << *message;
  const auto usec = std::stoull(message->substr(prefix.size()));
  const auto before_usec = static_cast<unsigned long long>(before.tv_sec) * 1'000'000ULL +
                           static_cast<unsigned long long>(before.tv_nsec) / 1'000ULL;
  EXPECT_GE(usec, before_usec);
  EXPECT_LT(usec, before_usec + 10'000'000ULL);
}

TEST_F(ServiceNotifyTest, StatusCarriesTheText) {
  EXPECT_TRUE(notify_status("wg0 up, 3 peers"));
  EXPECT_EQ(receive(), "STATUS=wg0 up, 3 peers");
}

TEST_F(ServiceNotifyTest, MessagesArriveInTheOrderSent) {
  notify_status("starting");
  notify_ready();
  notify_stopping();
  EXPECT_EQ(receive(), "STATUS=starting");
  EXPECT_EQ(receive(), "READY=1");
  EXPECT_EQ(receive(), "STOPPING=1");
}

TEST_F(ServiceNotifyTest, LineBreaksInAStatusCannotAddAssignments) {
  EXPECT_TRUE(notify_status("peer said\nREADY=1\r\nMAINPID=1"));
  EXPECT_EQ(receive(), "STATUS=peer said READY=1  MAINPID=1");
}

TEST_F(ServiceNotifyTest, WithoutNotifySocketNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_ready());
  EXPECT_FALSE(notify_stopping());
  EXPECT_FALSE(notify_status("ignored"));
  EXPECT_TRUE(nothing_queued());
}

TEST_F(ServiceNotifyTest, AnUnreachableServiceManagerIsNotFatal) {
  ::setenv("NOTIFY_SOCKET", (dir_ + "/nobody-listens").c_str(), 1);
  EXPECT_FALSE(notify_ready());
}

}  // namespace
}  // namespace tandem::io
