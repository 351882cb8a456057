// The L2TP header (RFC 2661 section 3.1): parse any valid version-2 header, and write the two
// shapes Tandem sends — a control header (T, L, S set; Ns and Nr) and a minimal data header.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace tandem::l2tp {

enum class HeaderError : std::uint8_t {
  kTooShort,
  kWrongVersion,     // version 3 (RFC 3931) or anything but 2
  kBadControlFlags,  // a control message without L and S, or with O
  kBadLength,        // Length field beyond the datagram or shorter than the header
  kBadOffset,        // Offset Size beyond the datagram
};

struct Header {
  bool is_control = false;
  bool has_sequence = false;
  bool priority = false;
  std::uint16_t tunnel_id = 0;
  std::uint16_t session_id = 0;
  std::uint16_t ns = 0;
  std::uint16_t nr = 0;
  // The payload after the header (and after any offset padding), trimmed to the Length field.
  ByteView payload;
};

Result<Header, HeaderError> parse_header(ByteView datagram);

// Writes a control header for a message whose whole size (header included) is `total_length`.
void write_control_header(std::byte* out, std::size_t total_length, std::uint16_t tunnel_id,
                          std::uint16_t session_id, std::uint16_t ns, std::uint16_t nr);

// Writes the 6-byte data header Tandem sends: no length, no sequence numbers, no offset.
void write_data_header(std::byte* out, std::uint16_t tunnel_id, std::uint16_t session_id);

}  // namespace tandem::l2tp
