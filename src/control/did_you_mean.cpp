// Nearest known key by Levenshtein distance over lower-cased names.
#include "control/did_you_mean.hpp"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <vector>

namespace tandem::control {
namespace {

constexpr std::size_t kMaxEdits = 2;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Insertions, deletions and substitutions turning `a` into `b` (one row of the table at a time).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  std::iota(row.begin(), row.end(), std::size_t{0});
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(std::string_view key, std::span<const std::string_view> known) {
  const std::string wanted = lower(key);
  std::string_view best;
  std::size_t best_distance = kMaxEdits + 1;
  for (auto candidate : known) {
    const std::size_t d = edit_distance(wanted, lower(candidate));
    if (d < best_distance) {
      best = candidate;
      best_distance = d;
    }
  }
  if (best.empty()) return "";
  return "; did you mean '" + std::string(best) + "'?";
}

}  // namespace tandem::control
