// Fuzz target: arbitrary bytes as an IKEv2 message; whatever decodes must encode back to bytes
// that decode to the same message (the codec is its own inverse on what it accepts).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "ipsec/ike/v2/message.hpp"

using namespace tandem;
using namespace tandem::ipsec::ike::v2;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView in(reinterpret_cast<const std::byte*>(data), size);
  auto m = decode_message(in);
  if (!m) return 0;
  const auto again = encode_message(*m);
  auto back = decode_message(again);
  if (!back || back->payloads != m->payloads || !(back->header == m->header)) std::abort();
  return 0;
}
