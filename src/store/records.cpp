#include "store/records.hpp"

#include <array>

namespace tandem::store {
namespace {

// Indexed by AccountState; also the words the database's state column holds.
constexpr std::array<std::string_view, 3> kStateNames = {"active", "disabled", "revoked"};

}  // namespace

std::string_view state_name(AccountState state) {
  return kStateNames.at(static_cast<std::size_t>(state));
}

std::optional<AccountState> parse_state(std::string_view text) {
  for (std::size_t i = 0; i < kStateNames.size(); ++i)
    if (kStateNames[i] == text) return static_cast<AccountState>(i);
  return std::nullopt;
}

}  // namespace tandem::store
