// Helpers for the config tests: edit a good file in one place, and read a refusal's text.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "control/config.hpp"

namespace tandem::control::testing {

// Replaces the first occurrence of `from` in `text`.
inline std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// The file:line:column message of a refused config ("" if it was accepted, which fails).
inline std::string refusal(const std::string& text) {
  auto r = parse_node_config(text, "n.toml");
  EXPECT_FALSE(r) << "accepted:\n" << text;
  return r ? "" : r.error().to_string();
}

}  // namespace tandem::control::testing
