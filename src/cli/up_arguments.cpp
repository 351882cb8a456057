#include "cli/up_arguments.hpp"

namespace tandem::cli {

std::string resolve_up_config_argument(const std::string& argument) {
  const std::string suffix = ".toml";
  const bool has_suffix =
      argument.size() >= suffix.size() &&
      argument.compare(argument.size() - suffix.size(), suffix.size(), suffix) == 0;
  if (argument.empty() || has_suffix || argument.find('/') != std::string::npos) return argument;
  return std::string(kConfigDirectory) + "/" + argument + suffix;
}

}  // namespace tandem::cli
