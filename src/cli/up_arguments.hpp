// `tandem up FILE` and `tandem up NAME`: the wg-quick habit. A bare name, one with no '/' and
// no ".toml" suffix, means /etc/tandem/NAME.toml, as `wg-quick up wg0` means
// /etc/wireguard/wg0.conf; anything else is a path used as given.
#pragma once

#include <string>

namespace tandem::cli {

inline constexpr const char* kConfigDirectory = "/etc/tandem";

std::string resolve_up_config_argument(const std::string& argument);

}  // namespace tandem::cli
