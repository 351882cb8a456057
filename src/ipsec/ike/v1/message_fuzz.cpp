// Fuzz target: arbitrary bytes as an IKEv1 message, and as a decrypted (padded) payload chain;
// whatever decodes must encode back to bytes that decode to the same payloads.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ipsec/ike/v1/message.hpp"

using namespace tandem;
using namespace tandem::ipsec::ike::v1;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(reinterpret_cast<const std::byte*>(data), size);
  if (auto m = decode_message(in)) {
    auto back = decode_message(encode_message(*m));
    if (!back || back->payloads != m->payloads || !(back->header == m->header)) std::abort();
  }
  if (size > 1) {
    if (auto chain = decode_payloads(static_cast<PayloadType>(data[0]), in.subspan(1), true)) {
      PayloadType first = PayloadType::kNone;
      const auto again = encode_payloads(*chain, first);
      auto back = decode_payloads(first, again);
      if (!back || *back != *chain) std::abort();
    }
  }
  return 0;
}
