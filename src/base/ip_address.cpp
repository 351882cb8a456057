#include "base/ip_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstddef>
#include <utility>

namespace tandem {

IpAddress IpAddress::v4(std::array<std::uint8_t, 4> b) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::copy(b.begin(), b.end(), a.bytes_.begin());
  return a;
}

IpAddress IpAddress::v6(std::array<std::uint8_t, 16> b) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = b;
  return a;
}

IpAddress IpAddress::v4_from_u32(std::uint32_t v) {
  return v4({static_cast<std::uint8_t>(v >> 24), static_cast<std::uint8_t>(v >> 16),
             static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
}

std::uint32_t IpAddress::v4_u32() const {
  if (!is_v4()) return 0;
  return (std::uint32_t{bytes_[0]} << 24) | (std::uint32_t{bytes_[1]} << 16) |
         (std::uint32_t{bytes_[2]} << 8) | bytes_[3];
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  std::array<std::uint8_t, 16> buf{};
  if (inet_pton(AF_INET, s.c_str(), buf.data()) == 1) return v4({buf[0], buf[1], buf[2], buf[3]});
  if (inet_pton(AF_INET6, s.c_str(), buf.data()) == 1) return v6(buf);
  return std::nullopt;
}

bool IpAddress::is_unspecified() const {
  for (std::size_t i = 0; i < size(); ++i)
    if (bytes_[i] != 0) return false;
  return true;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(is_v4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpPrefix::IpPrefix(IpAddress address, unsigned length) : address_(address) {
  const unsigned max = address.is_v4() ? 32 : 128;
  length_ = length > max ? max : length;
  std::array<std::uint8_t, 16> b{};
  std::copy(address.data(), address.data() + address.size(), b.begin());
  for (unsigned bit = length_; bit < max; ++bit)
    b[bit / 8] = static_cast<std::uint8_t>(b[bit / 8] & ~(0x80u >> (bit % 8)));
  address_ = address.is_v4() ? IpAddress::v4({b[0], b[1], b[2], b[3]}) : IpAddress::v6(b);
}

namespace {

// "ADDR" or "ADDR/LEN"; a missing length means the full host length.
std::optional<std::pair<IpAddress, unsigned>> parse_address_with_length(std::string_view text) {
  const auto slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const unsigned max = address->is_v4() ? 32 : 128;
  unsigned length = max;
  if (slash != std::string_view::npos) {
    const auto digits = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || length > max)
      return std::nullopt;
  }
  return std::pair{*address, length};
}

}  // namespace

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto parsed = parse_address_with_length(text);
  if (!parsed) return std::nullopt;
  return IpPrefix(parsed->first, parsed->second);
}

bool IpPrefix::contains(const IpAddress& a) const {
  return contains(a.family(), reinterpret_cast<const std::byte*>(a.data()));
}

bool IpPrefix::contains(IpAddress::Family family, const std::byte* address) const {
  if (family != address_.family()) return false;
  const unsigned full = length_ / 8, rest = length_ % 8;
  for (unsigned i = 0; i < full; ++i)
    if (std::to_integer<std::uint8_t>(address[i]) != address_.data()[i]) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (std::to_integer<std::uint8_t>(address[full]) & mask) == (address_.data()[full] & mask);
}

IpAddress IpAddress::from_bytes(const std::byte* p, Family family) {
  std::array<std::uint8_t, 16> b{};
  const std::size_t n = family == Family::kV4 ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) b[i] = std::to_integer<std::uint8_t>(p[i]);
  return family == Family::kV4 ? v4({b[0], b[1], b[2], b[3]}) : v6(b);
}

IpAddress IpPrefix::last() const {
  std::array<std::uint8_t, 16> bytes{};
  const std::size_t size = address_.size();
  for (std::size_t i = 0; i < size; ++i) {
    const std::size_t bit = i * 8;
    const auto host = bit >= length_ ? 0xffu : bit + 8 <= length_ ? 0u : (0xffu >> (length_ - bit));
    bytes[i] = static_cast<std::uint8_t>(address_.data()[i] | host);
  }
  if (address_.is_v4()) return IpAddress::v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  return IpAddress::v6(bytes);
}

std::string IpPrefix::to_string() const {
  return address_.to_string() + "/" + std::to_string(length_);
}

std::optional<Endpoint> Endpoint::parse(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;  // bare IPv6 needs []
  }
  auto addr = IpAddress::parse(host);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (!addr || ec != std::errc{} || end != port.data() + port.size() || port.empty() || p > 65535)
    return std::nullopt;
  return Endpoint{*addr, static_cast<std::uint16_t>(p)};
}

std::string Endpoint::to_string() const {
  const auto port_text = ":" + std::to_string(port);
  return address.is_v4() ? address.to_string() + port_text
                         : "[" + address.to_string() + "]" + port_text;
}

std::optional<InterfaceAddress> InterfaceAddress::parse(std::string_view text) {
  auto parsed = parse_address_with_length(text);
  if (!parsed) return std::nullopt;
  return InterfaceAddress{parsed->first, parsed->second};
}

std::string InterfaceAddress::to_string() const {
  return address.to_string() + "/" + std::to_string(prefix_length);
}

}  // namespace tandem
