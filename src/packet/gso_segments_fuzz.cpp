// Fuzz target for the virtio-net header parser and GsoSegments: the first 10 bytes are the
// header, the rest the packet. Every segment of a plan fits max_size(), segments never read past
// the packet, and their payloads add up to the super-packet's.
#include <cstdlib>
#include <vector>

#include "packet/gso_segments.hpp"
#include "packet/virtio_net_header.hpp"

using namespace tandem;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(reinterpret_cast<const std::byte*>(data), size);
  const auto header = packet::parse_virtio_net_header(input);
  if (!header) return 0;
  std::vector<std::byte> packet(input.begin() + packet::kVirtioNetHeaderSize, input.end());
  const auto plan = packet::GsoSegments::plan(*header, packet);
  if (!plan) return 0;
  if (plan->count() == 0 || plan->max_size() > packet.size()) std::abort();
  std::vector<std::byte> out(plan->max_size());
  std::size_t total = 0;
  for (std::size_t i = 0; i < plan->count(); ++i) {
    const std::size_t n = plan->write(packet, i, out);
    if (n == 0 || n > out.size()) std::abort();
    total += n;
  }
  const std::size_t headers = plan->headers();
  if (total - plan->count() * headers != packet.size() - headers) std::abort();
  // A plan for a whole packet has checked the checksum's offsets already.
  std::vector<std::byte> copy = packet;
  if (header->gso() == packet::kVirtioNetHdrGsoNone && !packet::complete_checksum(*header, copy))
    std::abort();
  return 0;
}
