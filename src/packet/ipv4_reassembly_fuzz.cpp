// Fuzz target for Ipv4Reassembler: the input is cut into packets (a length byte before each),
// each offered as a fragment at a time taken from the input. It never reads past a packet, and
// whatever it puts together is a whole IPv4 packet whose stated length is its size, neither a
// fragment nor larger than 65535 bytes.
#include <cstdlib>
#include <vector>

#include "packet/ip_packet.hpp"
#include "packet/ipv4_reassembly.hpp"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  packet::Ipv4Reassembler r(4, std::chrono::seconds(3));
  std::size_t at = 0;
  TimePoint now{};
  while (at + 2 <= size) {
    const std::size_t length = data[at] * 8u + (data[at + 1] & 7u);
    now += std::chrono::milliseconds(data[at + 1] >> 3);
    at += 2;
    if (at + length > size) break;
    const std::vector<std::byte> fragment(reinterpret_cast<const std::byte*>(data + at),
                                          reinterpret_cast<const std::byte*>(data + at + length));
    at += length;
    const auto out = r.add(fragment, now);
    if (!out) continue;
    const auto header = packet::parse_ip_header(*out);
    if (!header || header->total_length != out->size() || out->size() > 0xffff ||
        packet::is_ipv4_fragment(*out))
      std::abort();
  }
  if (r.pending() > 4) std::abort();
  return 0;
}
