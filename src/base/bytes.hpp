// Byte views and fixed-endian loads/stores used by every wire codec.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

namespace tandem {

using ByteView = std::span<const std::byte>;
using MutableByteView = std::span<std::byte>;

// A view that an engine handed back into a receive buffer the caller owns and may write: the
// engines read received datagrams as const views, and what they deliver (an opened ESP payload,
// an inner packet out of PPP) lies inside that buffer. Only for in-place touch-ups on the way to
// the device, such as MSS clamping; never for a view of anything else.
inline MutableByteView writable_in_place(ByteView owned) {
  return {const_cast<std::byte*>(owned.data()), owned.size()};
}

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

inline std::uint16_t load_be16(const std::byte* p) {
  return static_cast<std::uint16_t>((std::to_integer<unsigned>(p[0]) << 8) |
                                    std::to_integer<unsigned>(p[1]));
}
inline std::uint32_t load_be32(const std::byte* p) {
  return (std::uint32_t{load_be16(p)} << 16) | load_be16(p + 2);
}
inline std::uint64_t load_be64(const std::byte* p) {
  return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline std::uint32_t load_le32(const std::byte* p) {
  return std::to_integer<std::uint32_t>(p[0]) | (std::to_integer<std::uint32_t>(p[1]) << 8) |
         (std::to_integer<std::uint32_t>(p[2]) << 16) |
         (std::to_integer<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t load_le64(const std::byte* p) {
  return std::uint64_t{load_le32(p)} | (std::uint64_t{load_le32(p + 4)} << 32);
}

inline void store_be16(std::byte* p, std::uint16_t v) {
  p[0] = std::byte(v >> 8);
  p[1] = std::byte(v & 0xff);
}
inline void store_be32(std::byte* p, std::uint32_t v) {
  store_be16(p, static_cast<std::uint16_t>(v >> 16));
  store_be16(p + 2, static_cast<std::uint16_t>(v & 0xffff));
}
inline void store_be64(std::byte* p, std::uint64_t v) {
  store_be32(p, static_cast<std::uint32_t>(v >> 32));
  store_be32(p + 4, static_cast<std::uint32_t>(v & 0xffffffff));
}
inline void store_le32(std::byte* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = std::byte((v >> (8 * i)) & 0xff);
}
inline void store_le64(std::byte* p, std::uint64_t v) {
  store_le32(p, static_cast<std::uint32_t>(v & 0xffffffff));
  store_le32(p + 4, static_cast<std::uint32_t>(v >> 32));
}

}  // namespace tandem
