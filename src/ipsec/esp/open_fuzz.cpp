// Fuzz target: arbitrary bytes as an inbound ESP packet, against a GCM, an AES-CBC/HMAC and a
// 3DES-CBC/HMAC SA. A valid ICV is out of reach for random input, so this exercises the length,
// SPI, replay and ICV checks that run before any trailer is trusted.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "ipsec/esp/sa.hpp"

using namespace tandem;
using namespace tandem::ipsec::esp;

namespace {

std::unique_ptr<InboundSa> make(const SaKeys& keys) {
  auto sa = InboundSa::create(0x01020304, keys);
  return sa ? std::make_unique<InboundSa>(std::move(*sa)) : nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto gcm =
      make({Cipher::kAesGcm16, std::vector<std::byte>(20), Integrity::kNone, {}});
  static const auto cbc = make({Cipher::kAesCbc, std::vector<std::byte>(16),
                                Integrity::kHmacSha1_96, std::vector<std::byte>(20)});
  static const auto des3 = make({Cipher::kTripleDesCbc, std::vector<std::byte>(24),
                                 Integrity::kHmacSha1_96, std::vector<std::byte>(20)});
  if (size > 4096 || !gcm || !cbc || !des3) return 0;
  const auto* in = reinterpret_cast<const std::byte*>(data);
  for (InboundSa* sa : {gcm.get(), cbc.get(), des3.get()}) {
    std::vector<std::byte> slot(size + 64);
    std::copy(in, in + size, slot.begin() + 32);
    Packet p{slot.data(), slot.size(), 32, size, {}};
    (void)sa->open(p);
  }
  return 0;
}
