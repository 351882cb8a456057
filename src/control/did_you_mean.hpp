// Suggesting the key that was probably meant when a config names an unknown one: a typo
// ("listn_port") or another tool's spelling ("ListenPort", as wg-quick writes it).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tandem::control {

// "; did you mean 'listen_port'?" for the known key nearest to `key`, ignoring case, within an
// edit distance of 2; "" when none is that near (a far-fetched guess misleads more than it helps).
std::string did_you_mean(std::string_view key, std::span<const std::string_view> known);

}  // namespace tandem::control
