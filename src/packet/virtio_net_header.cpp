// The virtio-net header's wire layout: two bytes, then four little-endian 16-bit fields.
#include "packet/virtio_net_header.hpp"

namespace tandem::packet {
namespace {

std::uint16_t load_le16(const std::byte* p) {
  return static_cast<std::uint16_t>(std::to_integer<unsigned>(p[0]) |
                                    (std::to_integer<unsigned>(p[1]) << 8));
}

void store_le16(std::byte* p, std::uint16_t v) {
  p[0] = static_cast<std::byte>(v & 0xff);
  p[1] = static_cast<std::byte>(v >> 8);
}

}  // namespace

std::optional<VirtioNetHeader> parse_virtio_net_header(ByteView bytes) {
  if (bytes.size() < kVirtioNetHeaderSize) return std::nullopt;
  VirtioNetHeader h;
  h.flags = std::to_integer<std::uint8_t>(bytes[0]);
  h.gso_type = std::to_integer<std::uint8_t>(bytes[1]);
  h.hdr_len = load_le16(bytes.data() + 2);
  h.gso_size = load_le16(bytes.data() + 4);
  h.csum_start = load_le16(bytes.data() + 6);
  h.csum_offset = load_le16(bytes.data() + 8);
  return h;
}

void write_virtio_net_header(const VirtioNetHeader& header, MutableByteView out) {
  out[0] = std::byte{header.flags};
  out[1] = std::byte{header.gso_type};
  store_le16(out.data() + 2, header.hdr_len);
  store_le16(out.data() + 4, header.gso_size);
  store_le16(out.data() + 6, header.csum_start);
  store_le16(out.data() + 8, header.csum_offset);
}

}  // namespace tandem::packet
