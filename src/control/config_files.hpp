// The files a configuration names: the config itself and the key, pre-shared key and password
// files it points to. A failed read says why in the system's words (strerror), so "cannot open"
// tells a missing file from a directory or a permission problem. Files holding secrets are
// checked for access by others, which the loader reports as warnings.
#pragma once

#include <optional>
#include <string>

#include "base/result.hpp"

namespace tandem::control {

// The whole file, or the errno of the failure (EISDIR for a directory, which open(2) would
// accept for reading).
Result<std::string, int> read_config_file(const std::string& path);

// "Warning: 'PATH' is world accessible" (or "group accessible") when group or others have any
// access to the file holding a secret, as wg-quick warns of its config; nullopt when only its
// owner has, or it cannot be examined (reading it will say why).
std::optional<std::string> access_warning(const std::string& path);

// Why a config holding hook commands (which run as root) must not be used: it is not owned by
// root, or group or others may write it, so someone other than root could make root run a
// command. nullopt when it is fine; when it cannot be examined reading it will say why.
std::optional<std::string> hook_file_refusal(const std::string& path);

// `path` taken relative to `base_dir` unless it is absolute.
std::string path_beside(const std::string& base_dir, const std::string& path);

}  // namespace tandem::control
