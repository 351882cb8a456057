#include "io/http_server.hpp"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>

namespace tandem::io {
namespace {

Endpoint loopback_any_port() {
  return {*IpAddress::parse("127.0.0.1"), 0};
}

TEST(HttpServer, ServesTheHandlersAnswerOnItsPathEachTimeItIsAsked) {
  std::atomic<int> calls{0};
  auto server = HttpServer::start(loopback_any_port(), "/metrics", [&] {
    return HttpResponse{200, "text/plain; version=0.0.4", "n " + std::to_string(++calls) + "\n"};
  });
  ASSERT_TRUE(server) << server.error();
  httplib::Client client("127.0.0.1", (*server)->port());
  for (int i = 1; i <= 2; ++i) {
    auto res = client.Get("/metrics");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->body, "n " + std::to_string(i) + "\n");
    EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  }
}

TEST(HttpServer, AnswersOtherPathsWith404AndOtherMethodsWith405) {
  auto server = HttpServer::start(loopback_any_port(), "/metrics", [] {
    return HttpResponse{200, "text/plain", "x"};
  });
  ASSERT_TRUE(server) << server.error();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto other = client.Get("/");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto post = client.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST(HttpServer, RefusesAPortThatIsTaken) {
  auto first = HttpServer::start(loopback_any_port(), "/m", [] {
    return HttpResponse{200, "text/plain", ""};
  });
  ASSERT_TRUE(first) << first.error();
  const Endpoint taken{*IpAddress::parse("127.0.0.1"), (*first)->port()};
  auto second = HttpServer::start(taken, "/m", [] { return HttpResponse{200, "text/plain", ""}; });
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("cannot listen on 127.0.0.1:"), std::string::npos)
      << second.error();
}

}  // namespace
}  // namespace tandem::io
