#include "store/test_postgres_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace tandem::store::testing {
namespace {

namespace fs = std::filesystem;

// The newest PostgreSQL's server programs, Debian's layout.
std::string find_bin() {
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec))
    if (fs::exists(entry.path() / "bin" / "initdb") && fs::exists(entry.path() / "bin" / "pg_ctl"))
      found.push_back((entry.path() / "bin").string());
  if (found.empty()) return {};
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return found.back();
}

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

PostgresServer::PostgresServer() {
  bin_ = find_bin();
  if (bin_.empty()) {
    problem_ =
        "PostgreSQL's server programs (initdb, pg_ctl) are not under /usr/lib/postgresql/*/bin; "
        "run scripts/install-deps.sh as root (it installs postgresql and libpq-dev)";
    return;
  }
  char pattern[] = "/tmp/tandem-pg-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    problem_ = "cannot make a temporary directory under /tmp";
    return;
  }
  dir_ = pattern;
  data_ = dir_ + "/data";
  uid_ = ::geteuid();
  gid_ = ::getegid();
  if (uid_ == 0) {
    // The server refuses to run as root.
    const passwd* user = ::getpwnam("postgres");
    if (user == nullptr) user = ::getpwnam("nobody");
    if (user == nullptr) {
      problem_ =
          "running as root, and neither a postgres nor a nobody user exists to run the "
          "test server as";
      return;
    }
    uid_ = user->pw_uid;
    gid_ = user->pw_gid;
    if (::chown(dir_.c_str(), uid_, gid_) != 0) {
      problem_ = "cannot hand " + dir_ + " to the server's user";
      return;
    }
  }
  ::chmod(dir_.c_str(), 0700);
  if (!run({"initdb", "-D", data_, "-U", "tandem", "--auth=trust", "--no-sync", "-E", "UTF8",
            "--locale=C"},
           dir_ + "/initdb.log")) {
    problem_ = fail("initdb failed", dir_ + "/initdb.log");
    return;
  }
  // pg_ctl passes -o to the server through a shell, so listen_addresses='' arrives empty: no
  // TCP socket, only the Unix socket in our own directory.
  started_ = run({"pg_ctl", "start", "-D", data_, "-l", dir_ + "/server.log", "-w", "-t", "120",
                  "-o", "-k " + dir_ + " -c listen_addresses='' -c fsync=off"},
                 dir_ + "/pg_ctl.log");
  if (!started_) {
    problem_ = fail("the test server did not start", dir_ + "/server.log");
    return;
  }
  if (!run({"pg_isready", "-h", dir_, "-t", "120"}, dir_ + "/pg_isready.log"))
    problem_ = fail("the test server is not ready after 120 s", dir_ + "/server.log");
}

PostgresServer::~PostgresServer() {
  if (started_ &&
      !run({"pg_ctl", "stop", "-D", data_, "-m", "fast", "-w", "-t", "60"}, dir_ + "/stop.log")) {
    // Only our server: the pid in its own pidfile.
    std::ifstream pidfile(data_ + "/postmaster.pid");
    pid_t pid = 0;
    if (pidfile >> pid && pid > 1) ::kill(pid, SIGKILL);
  }
  std::error_code ignored;
  if (!dir_.empty()) fs::remove_all(dir_, ignored);
}

std::string PostgresServer::conninfo(const std::string& database) const {
  return "host=" + dir_ + " dbname=" + database + " user=tandem";
}

std::string PostgresServer::create_database(const std::string& name) {
  PGconn* conn = PQconnectdb(conninfo("postgres").c_str());
  std::string problem;
  if (PQstatus(conn) != CONNECTION_OK) {
    problem = std::string("cannot connect to the test server: ") + PQerrorMessage(conn);
  } else {
    // `name` is the test's own constant, quoted as an identifier.
    char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
    PGresult* result = PQexec(conn, ("CREATE DATABASE " + std::string(quoted)).c_str());
    if (PQresultStatus(result) != PGRES_COMMAND_OK)
      problem = std::string("CREATE DATABASE failed: ") + PQresultErrorMessage(result);
    PQclear(result);
    PQfreemem(quoted);
  }
  PQfinish(conn);
  return problem;
}

bool PostgresServer::run(const std::vector<std::string>& args, const std::string& log) {
  const pid_t child = ::fork();
  if (child < 0) return false;
  if (child == 0) {
    const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out >= 0) {
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    if (::getuid() == 0) {
      if (out >= 0) (void)::fchown(out, uid_, gid_);
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 || ::setuid(uid_) != 0) ::_exit(126);
    }
    const std::string program = bin_ + "/" + args[0];
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv[0] = const_cast<char*>(program.c_str());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  if (::waitpid(child, &status, 0) != child) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string PostgresServer::fail(const std::string& what, const std::string& log) {
  return what + " (" + bin_ + "); its log " + log + ":\n" + read_all(log);
}

}  // namespace tandem::store::testing
