// `tandem import-wg FILE.conf [-o OUT.toml]`: converts a wg-quick file to Tandem's TOML.
#pragma once

#include <iosfwd>
#include <string>

namespace tandem::cli {

struct ImportOptions {
  std::string input_path;
  std::string output_path;  // empty: stdout
};

int run_import_wg(const ImportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
