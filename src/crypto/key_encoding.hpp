// Text forms of 32-byte keys: base64 (wg-quick files, `wg genkey`) and lowercase hex (the UAPI).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.hpp"

namespace tandem::crypto {

std::string base64_encode(ByteView bytes);
// Exactly 44 characters of standard base64 with one '=' of padding, as `wg` insists.
std::optional<std::array<std::byte, 32>> decode_key_base64(std::string_view text);
std::string hex_encode(ByteView bytes);
// Exactly 64 hex digits (either case).
std::optional<std::array<std::byte, 32>> decode_key_hex(std::string_view text);

}  // namespace tandem::crypto
