// Key text forms: base64 (RFC 4648 section 4) and hex, both decoded and encoded without
// branches or table lookups on the digits, because the text is often a private key (`wg` does the
// same). Only the final accept/reject decision branches.
#include "crypto/key_encoding.hpp"

#include <cstdint>

namespace tandem::crypto {
namespace {

// All ones when lo <= c <= hi, else zero (c, lo, hi in 0..255). Inside the range both differences
// lie in [-256, -1], so their AND has every bit from 8 up set; outside, one lies in [0, 255], so
// the AND has none of them. C++20 defines >> on negatives as arithmetic.
int in_range(int c, int lo, int hi) {
  return ((lo - 1 - c) & (c - hi - 1)) >> 8;
}

// The 6-bit value of a base64 digit, or -1.
int base64_value(char ch) {
  const int c = static_cast<unsigned char>(ch);
  return -1 + (in_range(c, 'A', 'Z') & (c - 'A' + 1)) + (in_range(c, 'a', 'z') & (c - 'a' + 27)) +
         (in_range(c, '0', '9') & (c - '0' + 53)) + (in_range(c, '+', '+') & 63) +
         (in_range(c, '/', '/') & 64);
}

char base64_digit(unsigned v) {
  const int x = static_cast<int>(v);
  return static_cast<char>((in_range(x, 0, 25) & ('A' + x)) |
                           (in_range(x, 26, 51) & ('a' + x - 26)) |
                           (in_range(x, 52, 61) & ('0' + x - 52)) | (in_range(x, 62, 62) & '+') |
                           (in_range(x, 63, 63) & '/'));
}

// The 4-bit value of a hex digit (either case), or -1.
int hex_value(char ch) {
  const int c = static_cast<unsigned char>(ch);
  return -1 + (in_range(c, '0', '9') & (c - '0' + 1)) + (in_range(c, 'a', 'f') & (c - 'a' + 11)) +
         (in_range(c, 'A', 'F') & (c - 'A' + 11));
}

char hex_digit(unsigned v) {
  const int x = static_cast<int>(v);
  return static_cast<char>((in_range(x, 0, 9) & ('0' + x)) |
                           (in_range(x, 10, 15) & ('a' + x - 10)));
}

}  // namespace

std::string base64_encode(ByteView bytes) {
  std::string out;
  out.reserve(4 * ((bytes.size() + 2) / 3));
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned v = (std::to_integer<unsigned>(bytes[i]) << 16) |
                       (std::to_integer<unsigned>(bytes[i + 1]) << 8) |
                       std::to_integer<unsigned>(bytes[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(base64_digit((v >> shift) & 63));
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned v = std::to_integer<unsigned>(bytes[i]) << 16;
    if (rest == 2) v |= std::to_integer<unsigned>(bytes[i + 1]) << 8;
    out.push_back(base64_digit((v >> 18) & 63));
    out.push_back(base64_digit((v >> 12) & 63));
    out.push_back(rest == 2 ? base64_digit((v >> 6) & 63) : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::array<std::byte, 32>> decode_key_base64(std::string_view text) {
  // 32 bytes are 43 digits (258 bits) and one '='. The last digit carries 4 bits of the key and 2
  // padding bits that must be zero: `wg` rejects any other spelling of the same key.
  if (text.size() != 44 || text[43] != '=') return std::nullopt;
  std::array<std::byte, 32> out{};
  int invalid = 0;  // sign bit set once any digit was not base64
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 40; i += 4) {
    int v = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const int d = base64_value(text[i + j]);
      invalid |= d;
      v = (v << 6) | (d & 63);
    }
    out[pos++] = std::byte((v >> 16) & 0xff);
    out[pos++] = std::byte((v >> 8) & 0xff);
    out[pos++] = std::byte(v & 0xff);
  }
  int v = 0;
  for (std::size_t j = 40; j < 43; ++j) {
    const int d = base64_value(text[j]);
    invalid |= d;
    v = (v << 6) | (d & 63);
  }
  out[30] = std::byte((v >> 10) & 0xff);
  out[31] = std::byte((v >> 2) & 0xff);
  if ((invalid < 0) | ((v & 3) != 0)) {
    out.fill(std::byte{0});
    return std::nullopt;
  }
  return out;
}

std::string hex_encode(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::byte b : bytes) {
    out.push_back(hex_digit(std::to_integer<unsigned>(b) >> 4));
    out.push_back(hex_digit(std::to_integer<unsigned>(b) & 0xf));
  }
  return out;
}

std::optional<std::array<std::byte, 32>> decode_key_hex(std::string_view text) {
  if (text.size() != 64) return std::nullopt;
  std::array<std::byte, 32> out{};
  int invalid = 0;
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    invalid |= hi | lo;
    out[i] = std::byte(((hi & 15) << 4) | (lo & 15));
  }
  if (invalid < 0) {
    out.fill(std::byte{0});
    return std::nullopt;
  }
  return out;
}

}  // namespace tandem::crypto
