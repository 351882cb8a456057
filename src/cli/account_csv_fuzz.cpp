// Fuzz target for parse_account_csv: any bytes as a CSV file. Every row it returns has a name and
// a login, and the lines it names are within the file.
#include <cstdlib>
#include <string_view>

#include "cli/account_csv.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = tandem::cli::parse_account_csv(text, false);
  if (!parsed) return 0;
  if (parsed->rows.size() != parsed->lines.size()) std::abort();
  std::size_t newlines = 0;
  for (const char c : text) newlines += c == '\n';
  for (std::size_t i = 0; i < parsed->rows.size(); ++i) {
    const auto& row = parsed->rows[i];
    if (row.name.empty() || (row.wireguard_keys.empty() && !row.ppp)) std::abort();
    if (parsed->lines[i] < 2 || parsed->lines[i] > newlines + 1) std::abort();
  }
  for (const auto& r : parsed->rejections)
    if (r.line < 2 || r.line > newlines + 1 || r.reason.empty()) std::abort();
  return 0;
}
