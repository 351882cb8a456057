#include "daemon/reload_report.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "daemon/instance_lock.hpp"
#include "io/unique_fd.hpp"

namespace tandem::daemon {
namespace {

// The value of the line "KEY VALUE" at `text`'s front, which it then drops.
std::optional<std::string_view> take_line(std::string_view& text, std::string_view key) {
  const auto end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end + 1);
  if (line.size() <= key.size() || line.substr(0, key.size()) != key || line[key.size()] != ' ')
    return std::nullopt;
  return line.substr(key.size() + 1);
}

template <class T>
std::optional<T> number(std::optional<std::string_view> text) {
  if (!text) return std::nullopt;
  T value{};
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return value;
}

}  // namespace

std::string reload_report_path(const std::string& name) {
  return run_directory() + "/" + name + ".reload";
}

std::string format_reload_report(const ReloadReport& report) {
  std::string message = report.message;
  for (char& c : message)
    if (c == '\n' || c == '\r') c = ' ';
  std::ostringstream s;
  s << "pid " << report.pid << "\ngeneration " << report.generation << "\nresult "
    << (report.applied ? "applied" : "refused") << "\nmessage " << message << "\n";
  return s.str();
}

std::optional<ReloadReport> parse_reload_report(std::string_view text) {
  ReloadReport r;
  auto pid = number<pid_t>(take_line(text, "pid"));
  auto generation = number<std::uint64_t>(take_line(text, "generation"));
  auto result = take_line(text, "result");
  auto message = take_line(text, "message");
  if (!pid || *pid <= 0 || !generation || !result || !message || !text.empty()) return std::nullopt;
  if (*result != "applied" && *result != "refused") return std::nullopt;
  r.pid = *pid;
  r.generation = *generation;
  r.applied = *result == "applied";
  r.message = std::string(*message);
  return r;
}

Result<Ok, std::string> write_reload_report(const std::string& path, const ReloadReport& report) {
  const std::string temporary = path + ".new";
  const std::string text = format_reload_report(report);
  {
    io::UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return Err(io::errno_text("cannot write " + temporary, errno));
    if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
      return Err(io::errno_text("cannot write " + temporary, errno));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    return Err(io::errno_text("cannot rename " + temporary + " to " + path, errno));
  return Ok{};
}

std::optional<ReloadReport> read_reload_report(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return parse_reload_report(text.str());
}

}  // namespace tandem::daemon
