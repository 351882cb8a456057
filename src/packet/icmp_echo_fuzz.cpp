// Fuzz target for parse_icmp_echo and parse_icmp_echo_fragment: any bytes as an IP packet. They
// never read past the packet; what they find lies inside it and agrees with the IP header; an
// echo rebuilt from the parts parse_icmp_echo found (with build_icmp_echo) parses back to the
// same parts at the same size; nothing is both a whole echo and a fragment.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "packet/icmp_echo.hpp"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::byte> packet(reinterpret_cast<const std::byte*>(data),
                                      reinterpret_cast<const std::byte*>(data) + size);
  const std::byte* const begin = packet.data();
  const std::byte* const end = packet.data() + packet.size();
  const auto piece = packet::parse_icmp_echo_fragment(packet);
  if (piece) {
    if (piece->data.data() != nullptr &&
        (piece->data.data() < begin || piece->data.data() + piece->data.size() > end))
      std::abort();
    if (!piece->first && !piece->data.empty()) std::abort();
    if (piece->source.family() != piece->destination.family()) std::abort();
  }
  const auto echo = packet::parse_icmp_echo(packet);
  if (!echo) return 0;
  if (piece) std::abort();
  if (echo->data.data() < begin || echo->data.data() + echo->data.size() > end) std::abort();
  if (echo->packet_size > packet.size()) std::abort();
  if (echo->source.family() != echo->destination.family()) std::abort();
  if (echo->data.data() + echo->data.size() != begin + echo->packet_size) std::abort();

  // Rebuilt without IPv4 options: the size is the headers Tandem writes and the same data.
  const std::size_t rebuilt_size =
      packet::icmp_echo_headers_size(echo->source.family()) + echo->data.size();
  std::vector<std::byte> rebuilt(rebuilt_size);
  if (packet::build_icmp_echo(rebuilt, echo->kind, echo->source, echo->destination,
                              echo->identifier, echo->sequence, echo->data,
                              rebuilt_size) != rebuilt_size)
    std::abort();
  const auto again = packet::parse_icmp_echo(rebuilt);
  if (!again || again->kind != echo->kind || again->source != echo->source ||
      again->destination != echo->destination || again->identifier != echo->identifier ||
      again->sequence != echo->sequence || again->packet_size != rebuilt_size ||
      again->data.size() != echo->data.size() ||
      std::memcmp(again->data.data(), echo->data.data(), echo->data.size()) != 0)
    std::abort();
  return 0;
}
