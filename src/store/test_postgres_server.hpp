// A throwaway PostgreSQL server for the store's tests: initdb into a fresh temporary directory,
// started with pg_ctl on a Unix socket in that directory (no TCP at all), as an unprivileged
// user (the postgres system user, or nobody, when the tests run as root, since the server refuses
// to run as root). The destructor stops it through its own pidfile and removes the directory,
// so nothing else on the machine is touched.
#pragma once

#include <string>
#include <vector>

namespace tandem::store::testing {

class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // Empty when the server is up; else what went wrong and how to fix it.
  const std::string& problem() const { return problem_; }
  // A conninfo for `database` on this server.
  std::string conninfo(const std::string& database) const;
  // Creates an empty database; returns a problem or "".
  std::string create_database(const std::string& name);

 private:
  // Runs `args` (args[0] a program under the server's bin directory) as the server's user,
  // output to `log`; true when it exits 0.
  bool run(const std::vector<std::string>& args, const std::string& log);
  std::string fail(const std::string& what, const std::string& log);

  std::string bin_;
  std::string dir_;
  std::string data_;
  std::string problem_;
  unsigned uid_ = 0;
  unsigned gid_ = 0;
  bool started_ = false;
};

}  // namespace tandem::store::testing
