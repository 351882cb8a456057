// The HTTP server (http_server.hpp) on cpp-httplib.
#include "io/http_server.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <chrono>

namespace tandem::io {
namespace {

constexpr std::size_t kWorkers = 2;
constexpr auto kReadTimeout = std::chrono::seconds(5);
constexpr auto kStartTimeout = std::chrono::seconds(5);

// SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, with which a second daemon on the
// same port would bind too and take half the scrapes instead of being refused.
void reuse_address_only(int sock) {
  const int yes = 1;
  setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
}

}  // namespace

Result<std::unique_ptr<HttpServer>, std::string> HttpServer::start(const Endpoint& listen,
                                                                   const std::string& path,
                                                                   Handler handler) {
  std::unique_ptr<HttpServer> s(new HttpServer);
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& server = *s->server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(kWorkers); };
  server.set_socket_options(reuse_address_only);
  server.set_read_timeout(kReadTimeout);
  server.set_write_timeout(kReadTimeout);
  // cpp-httplib takes the path as a regular expression; the config allows only letters, digits,
  // '/', '-', '_' and '.', of which only '.' means anything there.
  std::string pattern;
  for (const char c : path) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
  server.Get(pattern,
             [handler = std::move(handler)](const httplib::Request&, httplib::Response& res) {
               HttpResponse r = handler();
               res.status = r.status;
               res.set_content(r.body, r.content_type);
             });
  const auto refuse = [&](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
  };
  server.Post(pattern, refuse);
  server.Put(pattern, refuse);
  server.Delete(pattern, refuse);
  const std::string host = listen.address.to_string();
  if (listen.port == 0) {
    const int port = server.bind_to_any_port(host);
    if (port <= 0) return Err("cannot listen on " + host + ": no free port");
    s->port_ = static_cast<std::uint16_t>(port);
  } else {
    if (!server.bind_to_port(host, listen.port))
      return Err("cannot listen on " + listen.to_string() +
                 " (is another process using the port, or the address not on this host?)");
    s->port_ = listen.port;
  }
  s->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // stop() does nothing to a server not yet running, so the destructor must not come before.
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (!server.is_running()) {
    if (std::chrono::steady_clock::now() > deadline)
      return Err("the HTTP server on " + listen.to_string() + " did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return s;
}

HttpServer::~HttpServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tandem::io
