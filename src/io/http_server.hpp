// A small HTTP/1.1 server for one GET path (the metrics endpoint), on threads of its own:
// cpp-httplib's listener and two workers. The handler runs on a worker for every request, so
// whatever it reads must be safe to read from there.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace httplib {
class Server;
}

namespace tandem::io {

struct HttpResponse {
  int status = 200;
  std::string content_type;
  std::string body;
};

class HttpServer {
 public:
  using Handler = std::function<HttpResponse()>;

  // Binds `listen` (port 0: any free port) now, so a taken port is an error here, then serves
  // GET `path` with `handler`; other paths are 404 and other methods 405.
  static Result<std::unique_ptr<HttpServer>, std::string> start(const Endpoint& listen,
                                                                const std::string& path,
                                                                Handler handler);
  ~HttpServer();  // stops listening and joins the threads
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const { return port_; }

 private:
  HttpServer() = default;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace tandem::io
