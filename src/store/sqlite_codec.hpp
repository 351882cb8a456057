// How store values sit in SQLite columns: times as unix milliseconds (millis.hpp), addresses as
// their 4 or 16 network-order bytes (so that BLOB order is numeric order), subnets as text, keys as
// 32 bytes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "store/millis.hpp"

namespace tandem::store::sqlite {

using store::from_millis;
using store::to_millis;

inline std::span<const std::byte> address_bytes(const IpAddress& address) {
  return {reinterpret_cast<const std::byte*>(address.data()), address.size()};
}

inline std::optional<IpAddress> address_from(std::span<const std::byte> bytes) {
  if (bytes.size() == 4) return IpAddress::from_bytes(bytes.data(), IpAddress::Family::kV4);
  if (bytes.size() == 16) return IpAddress::from_bytes(bytes.data(), IpAddress::Family::kV6);
  return std::nullopt;
}

}  // namespace tandem::store::sqlite
