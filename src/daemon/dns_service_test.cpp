// The DNS service on a real event loop over loopback: a UDP query relayed to a resolver and its
// answer returned, the same over TCP with the length prefix both ways, a resolver whose port is
// closed skipped at once (ICMP refusal, not the timeout) and SERVFAIL when none is left, and the
// engine's rules and paths built from [dns].
#include "daemon/dns_service.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>

#include "base/bytes.hpp"
#include "dns/test_messages.hpp"
#include "io/dns_sockets.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {
namespace {

using dns::testing::make_answer;
using dns::testing::make_query;
using dns::testing::rcode_of;

const IpAddress kLoopback = *IpAddress::parse("127.0.0.1");

// A UDP socket on loopback with the port the kernel gave it.
struct BoundUdp {
  io::UniqueFd fd;
  Endpoint local;
};
BoundUdp bound_udp() {
  auto fd = io::dns_listen(io::DnsSocketKind::kUdp, {kLoopback, 0});
  EXPECT_TRUE(fd) << fd.error();
  sockaddr_in sa{};
  socklen_t length = sizeof sa;
  ::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&sa), &length);
  return {std::move(*fd), {kLoopback, ntohs(sa.sin_port)}};
}

// A port nothing listens on (UDP or TCP): bound once, then closed.
std::uint16_t free_port() {
  return bound_udp().local.port;
}

control::DnsSettings settings(const Endpoint& listen, std::vector<Endpoint> corp,
                              std::vector<Endpoint> other) {
  control::DnsSettings s;
  s.listen = {listen};
  s.upstreams = {{"corp", control::DnsThrough::kUnderlay, std::move(corp)},
                 {"public", control::DnsThrough::kUnderlay, std::move(other)}};
  s.routes = {{{"corp.example"}, "corp"}};
  s.default_upstream = "public";
  s.timeout = std::chrono::seconds(5);
  return s;
}

class DnsServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto loop = io::EventLoop::create();
    ASSERT_TRUE(loop) << loop.error();
    loop_ = std::move(*loop);
  }

  // Runs the loop until `done` or 5 s have passed.
  template <typename Done>
  bool run_until(Done done) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      (void)loop_->run_once(10);
    }
    return true;
  }

  // The next datagram on `fd`, with the loop running meanwhile.
  std::optional<std::pair<std::vector<std::byte>, Endpoint>> receive(int fd) {
    std::vector<std::byte> buffer(65535);
    std::optional<std::pair<std::vector<std::byte>, Endpoint>> got;
    run_until([&] {
      auto r = io::dns_receive_from(fd, buffer);
      if (r && *r)
        got.emplace(std::vector(buffer.begin(), buffer.begin() + (*r)->size), (*r)->from);
      return got.has_value();
    });
    return got;
  }

  std::unique_ptr<io::EventLoop> loop_;
};

TEST_F(DnsServiceTest, RelaysAUdpQueryToItsGroupAndTheAnswerBack) {
  BoundUdp corp = bound_udp(), other = bound_udp(), client = bound_udp();
  const Endpoint listen{kLoopback, free_port()};
  auto service = DnsService::start(*loop_, settings(listen, {corp.local}, {other.local}), "lo");
  ASSERT_TRUE(service) << service.error();
  const auto query = make_query("host.corp.example.", 0x1234);
  ASSERT_TRUE(io::dns_send_to(client.fd.get(), query, listen));
  auto upstream = receive(corp.fd.get());
  ASSERT_TRUE(upstream);
  ASSERT_TRUE(io::dns_send_to(corp.fd.get(), make_answer(upstream->first), upstream->second));
  auto answer = receive(client.fd.get());
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->second, listen);  // from the address asked
  EXPECT_EQ(dns::testing::id_of(answer->first), 0x1234);
  EXPECT_EQ(rcode_of(answer->first), 0);
  const auto status = (*service)->status_json();
  EXPECT_EQ(status["queries"], 1);
  EXPECT_EQ(status["answered"], 1);
  EXPECT_EQ(status["open_exchanges"], 0);
  EXPECT_EQ(status["listen"], nlohmann::json::array({listen.to_string()}));
}

TEST_F(DnsServiceTest, RelaysOverTcpWithTheLengthPrefixBothWays) {
  BoundUdp corp = bound_udp(), other = bound_udp();
  const Endpoint listen{kLoopback, free_port()};
  auto service = DnsService::start(*loop_, settings(listen, {corp.local}, {other.local}), "lo");
  ASSERT_TRUE(service) << service.error();
  auto client = io::dns_connect(io::DnsSocketKind::kTcp, listen, "");
  ASSERT_TRUE(client);
  const auto query = make_query("www.example.com.", 0x4321);
  std::vector<std::byte> framed(2);
  store_be16(framed.data(), static_cast<std::uint16_t>(query.size()));
  framed.insert(framed.end(), query.begin(), query.end());
  ASSERT_TRUE(run_until([&] { return io::dns_socket_error(client->get()) == 0; }));
  ASSERT_TRUE(run_until([&] {
    auto wrote = io::dns_write(client->get(), framed);
    return wrote && *wrote == framed.size();
  }));
  auto upstream = receive(other.fd.get());  // the default group, over UDP
  ASSERT_TRUE(upstream);
  ASSERT_TRUE(io::dns_send_to(other.fd.get(), make_answer(upstream->first), upstream->second));
  std::vector<std::byte> in;
  ASSERT_TRUE(run_until([&] {
    std::array<std::byte, 4096> buffer;
    auto got = io::dns_read(client->get(), buffer);
    if (got && *got) in.insert(in.end(), buffer.begin(), buffer.begin() + **got);
    return in.size() >= 2 && in.size() >= 2u + load_be16(in.data());
  }));
  const std::vector<std::byte> answer(in.begin() + 2, in.end());
  EXPECT_EQ(load_be16(in.data()), answer.size());
  EXPECT_EQ(dns::testing::id_of(answer), 0x4321);
  EXPECT_EQ(rcode_of(answer), 0);
}

TEST_F(DnsServiceTest, SkipsARefusingResolverAtOnceAndServfailsWhenNoneIsLeft) {
  BoundUdp other = bound_udp(), client = bound_udp();
  const Endpoint closed1{kLoopback, free_port()}, closed2{kLoopback, free_port()};
  const Endpoint listen{kLoopback, free_port()};
  auto service =
      DnsService::start(*loop_, settings(listen, {closed1, closed2}, {other.local}), "lo");
  ASSERT_TRUE(service) << service.error();
  const auto started = std::chrono::steady_clock::now();
  ASSERT_TRUE(io::dns_send_to(client.fd.get(), make_query("a.corp.example.", 7), listen));
  auto answer = receive(client.fd.get());
  ASSERT_TRUE(answer);
  EXPECT_EQ(rcode_of(answer->first), 2);  // SERVFAIL
  // Both refusals came as ICMP, well before the 5 s timeout of either try.
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(2));
  const auto status = (*service)->status_json();
  EXPECT_EQ(status["upstream_errors"], 2);
  EXPECT_EQ(status["failovers"], 1);
  EXPECT_EQ(status["servfail"], 1);
}

TEST(DnsRules, NameTheTunnelDeviceInTheirPaths) {
  control::DnsSettings s = settings({kLoopback, 53}, {{kLoopback, 53}}, {{kLoopback, 53}});
  s.upstreams[0].through = control::DnsThrough::kTunnel;
  auto rules = dns_rules(s, "wg0");
  ASSERT_TRUE(rules) << rules.error();
  const auto corp = rules->route(*dns::name_from_text("x.corp.example"));
  ASSERT_TRUE(corp);
  EXPECT_EQ(rules->group(*corp).path, "tunnel:wg0");
  EXPECT_EQ(dns_path_device(rules->group(*corp).path), "wg0");
  const auto other = rules->route(*dns::name_from_text("example.com"));
  ASSERT_TRUE(other);
  EXPECT_EQ(rules->group(*other).path, "underlay");
  EXPECT_EQ(dns_path_device("underlay"), "");
}

}  // namespace
}  // namespace tandem::daemon
