#include "cli/import_command.hpp"

#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/secret_files.hpp"
#include "control/config.hpp"
#include "control/wg_quick.hpp"

namespace tandem::cli {

int run_import_wg(const ImportOptions& options, std::ostream& out, std::ostream& err) {
  std::ifstream in(options.input_path);
  if (!in) {
    err << "tandem: cannot open " << options.input_path << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  // wg-quick names the interface after the file: wg0.conf is wg0.
  const std::string name = std::filesystem::path(options.input_path).stem().string();
  if (!control::valid_interface_name(name)) {
    err << "tandem: '" << name << "' (from the file name) is not a valid interface name\n";
    return 1;
  }
  auto parsed = control::parse_wg_quick(text.str(), options.input_path, name);
  if (!parsed) {
    err << "tandem: " << parsed.error().to_string() << "\n";
    return 1;
  }
  for (const auto& w : parsed->warnings) err << "tandem: warning: " << w << "\n";
  const std::string toml = control::render_node_config_toml(parsed->config);
  if (options.output_path.empty()) {
    out << toml;
    return 0;
  }
  // The TOML carries PrivateKey and any PresharedKey inline: owner-only, whatever the umask.
  std::string error;
  if (!write_secret_file(options.output_path, toml, error)) {
    err << "tandem: cannot write " << options.output_path << ": " << error << "\n";
    return 1;
  }
  return 0;
}

}  // namespace tandem::cli
