// RetransmitWatch on arbitrary bytes: each input is cut into packets by a length prefix, so
// the flow table sees sequences of packets, not only one.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "hybrid/retransmit_watch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tandem::hybrid::RetransmitWatch watch(40);
  const auto* bytes = reinterpret_cast<const std::byte*>(data);
  while (size >= 2) {
    const std::size_t n = std::min<std::size_t>(size - 2, (std::size_t{data[0]} << 8) | data[1]);
    (void)watch.on_outbound(tandem::ByteView(bytes + 2, n));
    bytes += 2 + n;
    data += 2 + n;
    size -= 2 + n;
  }
  return 0;
}
