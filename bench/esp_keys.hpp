// ESP keys for the benchmarks that seal and open ESP: AES-256-GCM-16, or AES-256-CBC with
// HMAC-SHA1-96 (what Windows, macOS and Android propose for L2TP/IPsec).
#pragma once

#include "ipsec/esp/sa.hpp"
#include "packet_slots.hpp"

namespace tandem::bench {

inline ipsec::esp::SaKeys esp_keys(ipsec::esp::Cipher cipher) {
  ipsec::esp::SaKeys keys;
  keys.cipher = cipher;
  if (cipher == ipsec::esp::Cipher::kAesGcm16) {
    keys.encryption = pattern(32 + 4, 3);  // the key, then the 4-byte salt (RFC 4106 8.1)
  } else {
    keys.encryption = pattern(32, 3);
    keys.integrity = ipsec::esp::Integrity::kHmacSha1_96;
    keys.authentication = pattern(20, 5);
  }
  return keys;
}

}  // namespace tandem::bench
