// RFC 1661 sections 2, 5 and 6 framing.
#include "ppp/frame.hpp"

namespace tandem::ppp {

std::optional<Frame> parse_frame(ByteView bytes) {
  if (bytes.size() >= 2 && bytes[0] == std::byte{kAllStationsAddress} &&
      bytes[1] == std::byte{kUnnumberedInformation})
    bytes = bytes.subspan(2);
  if (bytes.empty()) return std::nullopt;
  Frame f;
  // A compressed protocol field is one odd byte (1661 section 2: the low bit of the last byte
  // is 1, of the first byte 0).
  if ((std::to_integer<unsigned>(bytes[0]) & 1) != 0) {
    f.protocol = std::to_integer<std::uint16_t>(bytes[0]);
    f.information = bytes.subspan(1);
    return f;
  }
  if (bytes.size() < 2 || (std::to_integer<unsigned>(bytes[1]) & 1) == 0) return std::nullopt;
  f.protocol = load_be16(bytes.data());
  f.information = bytes.subspan(2);
  return f;
}

std::optional<ControlPacket> parse_control_packet(ByteView information) {
  if (information.size() < kControlHeaderSize) return std::nullopt;
  const std::size_t length = load_be16(information.data() + 2);
  if (length < kControlHeaderSize || length > information.size()) return std::nullopt;
  return ControlPacket{std::to_integer<std::uint8_t>(information[0]),
                       std::to_integer<std::uint8_t>(information[1]),
                       information.subspan(kControlHeaderSize, length - kControlHeaderSize)};
}

std::vector<std::byte> build_control_frame(Protocol protocol, std::uint8_t code,
                                           std::uint8_t identifier, ByteView data) {
  std::vector<std::byte> out(kFrameHeaderSize + kControlHeaderSize + data.size());
  write_frame_header(out.data(), protocol);
  out[4] = std::byte{code};
  out[5] = std::byte{identifier};
  store_be16(out.data() + 6, static_cast<std::uint16_t>(kControlHeaderSize + data.size()));
  std::copy(data.begin(), data.end(), out.begin() + kFrameHeaderSize + kControlHeaderSize);
  return out;
}

std::optional<std::vector<Option>> parse_options(ByteView data) {
  std::vector<Option> options;
  while (!data.empty()) {
    if (data.size() < 2) return std::nullopt;
    const std::size_t length = std::to_integer<std::size_t>(data[1]);
    if (length < 2 || length > data.size()) return std::nullopt;
    options.push_back({std::to_integer<std::uint8_t>(data[0]), data.subspan(2, length - 2)});
    data = data.subspan(length);
  }
  return options;
}

void append_option(std::vector<std::byte>& out, std::uint8_t type, ByteView value) {
  out.push_back(std::byte{type});
  out.push_back(static_cast<std::byte>(value.size() + 2));
  out.insert(out.end(), value.begin(), value.end());
}

void append_option_u16(std::vector<std::byte>& out, std::uint8_t type, std::uint16_t value) {
  std::byte b[2];
  store_be16(b, value);
  append_option(out, type, b);
}

void append_option_u32(std::vector<std::byte>& out, std::uint8_t type, std::uint32_t value) {
  std::byte b[4];
  store_be32(b, value);
  append_option(out, type, b);
}

}  // namespace tandem::ppp
