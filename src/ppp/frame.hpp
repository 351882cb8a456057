// PPP frames as L2TP carries them (RFC 1661 section 2, RFC 2661 section 2: no flags or FCS,
// address and control optional), control packets (1661 section 5) and their options (section 6).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "ppp/protocol.hpp"

namespace tandem::ppp {

struct Frame {
  std::uint16_t protocol = 0;
  ByteView information;
};

// Accepts frames with or without FF 03 and with a one- or two-byte protocol field.
std::optional<Frame> parse_frame(ByteView bytes);

struct ControlPacket {
  std::uint8_t code = 0;
  std::uint8_t identifier = 0;
  ByteView data;  // trimmed to the Length field; padding after it is ignored (5.)
};

std::optional<ControlPacket> parse_control_packet(ByteView information);

// A whole frame: FF 03, protocol, code, identifier, length, data.
std::vector<std::byte> build_control_frame(Protocol protocol, std::uint8_t code,
                                           std::uint8_t identifier, ByteView data);

struct Option {
  std::uint8_t type = 0;
  ByteView value;
};

// Walks configuration options; fails (nullopt) on a malformed list.
std::optional<std::vector<Option>> parse_options(ByteView data);
void append_option(std::vector<std::byte>& out, std::uint8_t type, ByteView value);
void append_option_u16(std::vector<std::byte>& out, std::uint8_t type, std::uint16_t value);
void append_option_u32(std::vector<std::byte>& out, std::uint8_t type, std::uint32_t value);

// Writes FF 03 and the protocol in front of an IP packet: the caller leaves kFrameHeaderSize of
// headroom.
inline void write_frame_header(std::byte* out, Protocol protocol) {
  out[0] = std::byte{kAllStationsAddress};
  out[1] = std::byte{kUnnumberedInformation};
  store_be16(out + 2, static_cast<std::uint16_t>(protocol));
}

}  // namespace tandem::ppp
