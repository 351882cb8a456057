// Looking payloads up in a decoded chain: the first of a kind, a Notify of a type, the first
// error Notify (types below 16384 report a failed request, RFC 7296 section 3.10.1).
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "ipsec/ike/v2/message.hpp"
#include "ipsec/ike/v2/notify.hpp"

namespace tandem::ipsec::ike::v2 {

template <typename T>
const T* find_payload(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads)
    if (const T* t = std::get_if<T>(&p)) return t;
  return nullptr;
}

// TSi or TSr.
inline const TsPayload* find_ts(const std::vector<Payload>& payloads, bool initiator) {
  for (const Payload& p : payloads)
    if (const auto* t = std::get_if<TsPayload>(&p); t && t->initiator == initiator) return t;
  return nullptr;
}

inline const IdPayload* find_id(const std::vector<Payload>& payloads, bool initiator) {
  for (const Payload& p : payloads)
    if (const auto* t = std::get_if<IdPayload>(&p); t && t->initiator == initiator) return t;
  return nullptr;
}

inline const NotifyPayload* find_notify(const std::vector<Payload>& payloads, std::uint16_t type) {
  for (const Payload& p : payloads)
    if (const auto* n = std::get_if<NotifyPayload>(&p); n && n->type == type) return n;
  return nullptr;
}

inline std::optional<std::uint16_t> first_error(const std::vector<Payload>& payloads) {
  for (const Payload& p : payloads)
    if (const auto* n = std::get_if<NotifyPayload>(&p); n && n->type <= kLastErrorType)
      return n->type;
  return std::nullopt;
}

inline NotifyPayload notify(std::uint16_t type, std::vector<std::byte> data = {}) {
  return NotifyPayload{ProtocolId::kNone, {}, type, std::move(data)};
}

const char* notify_name(std::uint16_t type);

// SPIs as the SA, Notify and Delete payloads carry them (4 bytes for ESP, 8 for IKE).
std::vector<std::byte> spi32_bytes(std::uint32_t spi);
std::vector<std::byte> spi64_bytes(std::uint64_t spi);
std::uint32_t spi32_of(const std::vector<std::byte>& spi);  // 0 unless 4 bytes
std::uint64_t spi64_of(const std::vector<std::byte>& spi);  // 0 unless 8 bytes

}  // namespace tandem::ipsec::ike::v2
