#include "cli/status_command.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <ostream>

#include "cli/status_view.hpp"
#include "daemon/uapi_client.hpp"

namespace tandem::cli {

int run_status(const StatusOptions& options, std::ostream& out, std::ostream& err) {
  namespace fs = std::filesystem;
  std::vector<std::string> names;
  if (!options.interface_name.empty()) {
    names.push_back(options.interface_name);
  } else {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(options.socket_dir, ec))
      if (entry.path().extension() == ".sock") names.push_back(entry.path().stem().string());
    std::sort(names.begin(), names.end());
  }

  std::vector<InterfaceStatus> interfaces;
  int rc = 0;
  for (const auto& name : names) {
    const auto path = daemon::uapi_socket_path(options.socket_dir, name);
    auto reply = daemon::uapi_request(path, "get=1\n\n");
    if (!reply.ok()) {
      err << "status: " << reply.error() << '\n';
      rc = 1;
      continue;
    }
    auto parsed = parse_uapi_get(name, *reply);
    if (!parsed.ok()) {
      err << "status: " << name << ": " << parsed.error() << '\n';
      rc = 1;
      continue;
    }
    interfaces.push_back(std::move(parsed).value());
  }
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (options.json) {
    out << render_json(interfaces, now);
  } else if (interfaces.empty() && rc == 0) {
    out << "no interfaces\n";
  } else {
    out << render_text(interfaces, now);
  }
  return rc;
}

}  // namespace tandem::cli
