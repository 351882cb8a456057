// std::byte pointers as the unsigned char pointers OpenSSL's C API takes (crypto/ only).
#pragma once

#include <cstddef>

namespace tandem::crypto {

inline const unsigned char* u8(const std::byte* p) {
  return reinterpret_cast<const unsigned char*>(p);
}
inline unsigned char* u8(std::byte* p) {
  return reinterpret_cast<unsigned char*>(p);
}

}  // namespace tandem::crypto
