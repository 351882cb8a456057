// RFC 2661 section 3.1 header codec.
#include "l2tp/header.hpp"

#include "l2tp/protocol.hpp"

namespace tandem::l2tp {

Result<Header, HeaderError> parse_header(ByteView datagram) {
  if (datagram.size() < kMinimalDataHeaderSize) return Err(HeaderError::kTooShort);
  const std::uint16_t flags = load_be16(datagram.data());
  if ((flags & kVersionMask) != kVersion) return Err(HeaderError::kWrongVersion);

  Header h;
  h.is_control = (flags & kFlagType) != 0;
  const bool has_length = (flags & kFlagLength) != 0;
  h.has_sequence = (flags & kFlagSequence) != 0;
  const bool has_offset = (flags & kFlagOffset) != 0;
  if (h.is_control && (!has_length || !h.has_sequence || has_offset))
    return Err(HeaderError::kBadControlFlags);
  // P is meaningful for data messages only (3.1); ignore it on control messages.
  h.priority = !h.is_control && (flags & kFlagPriority) != 0;

  std::size_t pos = 2;
  std::size_t length = datagram.size();
  const auto need = [&](std::size_t n) { return pos + n <= datagram.size(); };
  if (has_length) {
    if (!need(2)) return Err(HeaderError::kTooShort);
    length = load_be16(datagram.data() + pos);
    pos += 2;
    if (length > datagram.size()) return Err(HeaderError::kBadLength);
  }
  if (!need(4)) return Err(HeaderError::kTooShort);
  h.tunnel_id = load_be16(datagram.data() + pos);
  h.session_id = load_be16(datagram.data() + pos + 2);
  pos += 4;
  if (h.has_sequence) {
    if (!need(4)) return Err(HeaderError::kTooShort);
    h.ns = load_be16(datagram.data() + pos);
    h.nr = load_be16(datagram.data() + pos + 2);
    pos += 4;
  }
  if (has_offset) {
    if (!need(2)) return Err(HeaderError::kTooShort);
    const std::size_t offset_size = load_be16(datagram.data() + pos);
    pos += 2 + offset_size;
    if (pos > datagram.size()) return Err(HeaderError::kBadOffset);
  }
  if (length < pos) return Err(HeaderError::kBadLength);
  h.payload = datagram.subspan(pos, length - pos);
  return h;
}

void write_control_header(std::byte* out, std::size_t total_length, std::uint16_t tunnel_id,
                          std::uint16_t session_id, std::uint16_t ns, std::uint16_t nr) {
  store_be16(out, kFlagType | kFlagLength | kFlagSequence | kVersion);
  store_be16(out + 2, static_cast<std::uint16_t>(total_length));
  store_be16(out + 4, tunnel_id);
  store_be16(out + 6, session_id);
  store_be16(out + 8, ns);
  store_be16(out + 10, nr);
}

void write_data_header(std::byte* out, std::uint16_t tunnel_id, std::uint16_t session_id) {
  store_be16(out, kVersion);
  store_be16(out + 2, tunnel_id);
  store_be16(out + 4, session_id);
}

}  // namespace tandem::l2tp
