// Byte-level helpers shared by the IKEv1 and IKEv2 codecs: appending big-endian fields, patching
// a length in place, reading a byte, copying a view.
#pragma once

#include <cstdint>
#include <vector>

#include "base/bytes.hpp"

namespace tandem::ipsec::ike::wire {

inline void put8(std::vector<std::byte>& o, std::uint8_t v) {
  o.push_back(std::byte(v));
}
inline void put16(std::vector<std::byte>& o, std::uint16_t v) {
  o.push_back(std::byte(v >> 8));
  o.push_back(std::byte(v));
}
inline void put32(std::vector<std::byte>& o, std::uint32_t v) {
  put16(o, static_cast<std::uint16_t>(v >> 16));
  put16(o, static_cast<std::uint16_t>(v));
}
inline void put64(std::vector<std::byte>& o, std::uint64_t v) {
  put32(o, static_cast<std::uint32_t>(v >> 32));
  put32(o, static_cast<std::uint32_t>(v));
}
inline void put(std::vector<std::byte>& o, ByteView b) {
  o.insert(o.end(), b.begin(), b.end());
}
// Writes a 16-bit length at `at`, once what it measures has been appended.
inline void set16(std::vector<std::byte>& o, std::size_t at, std::size_t v) {
  o[at] = std::byte(v >> 8);
  o[at + 1] = std::byte(v);
}
inline std::uint8_t u8(ByteView b, std::size_t at) {
  return std::to_integer<std::uint8_t>(b[at]);
}
inline std::vector<std::byte> copy(ByteView b) {
  return {b.begin(), b.end()};
}

}  // namespace tandem::ipsec::ike::wire
