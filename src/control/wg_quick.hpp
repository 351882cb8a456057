// Reading wg-quick(8) .conf files for `tandem import-wg`: the INI dialect wg-quick and
// wg setconf share, turned into a NodeConfig. DNS (name servers and search domains), Table and
// the PreUp/PostUp/PreDown/PostDown hooks carry over as dns, dns_search, table and
// pre_up/post_up/pre_down/post_down (%i stays for Tandem to replace). What Tandem cannot honour
// (SaveConfig = true, a Table given by a name other than main) becomes a warning, never a silent
// drop.
//
// Peer names: wg-quick has none, but people keep one in a comment. A comment line directly above
// [Peer] or directly below it (above wins) names that peer: "# laptop" gives name = "laptop", as
// "# Name = laptop" (any case). Other "# Key = value" comments are taken for commented-out
// settings and ignored; a name with '"', '\\' or control characters is ignored with a warning.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "control/config.hpp"

namespace tandem::control {

struct ImportResult {
  NodeConfig config;
  std::vector<std::string> warnings;  // "file:line: ..." each
};

Result<ImportResult, ConfigError> parse_wg_quick(std::string_view text,
                                                 std::string_view source_name,
                                                 std::string interface_name);

}  // namespace tandem::control
