// IP addresses, prefixes and UDP endpoints as plain values (no sockets): what engines and
// config speak. io/ converts them to sockaddr.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tandem {

class IpAddress {
 public:
  enum class Family : std::uint8_t { kV4 = 4, kV6 = 6 };

  IpAddress() = default;  // 0.0.0.0
  static IpAddress v4(std::array<std::uint8_t, 4> b);
  static IpAddress v6(std::array<std::uint8_t, 16> b);
  // 4 or 16 bytes as they stand in a packet header.
  static IpAddress from_bytes(const std::byte* p, Family family);
  static IpAddress v4_from_u32(std::uint32_t host_order);
  // An IPv4 address as a host-order integer (for ranges and lookups); 0 for IPv6.
  std::uint32_t v4_u32() const;
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  // Address bytes in network order: 4 for IPv4, 16 for IPv6.
  const std::uint8_t* data() const { return bytes_.data(); }
  std::size_t size() const { return is_v4() ? 4 : 16; }
  bool is_unspecified() const;
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_ = Family::kV4;
  std::array<std::uint8_t, 16> bytes_{};
};

class IpPrefix {
 public:
  IpPrefix() = default;
  // Host bits past `length` are cleared, as `wg` does.
  IpPrefix(IpAddress address, unsigned length);
  // "10.0.0.0/8", "fd00::/64", or a bare address meaning a host route.
  static std::optional<IpPrefix> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  unsigned length() const { return length_; }
  bool contains(const IpAddress& a) const;
  // The same for an address as it stands in a packet header (4 or 16 bytes of `family`).
  bool contains(IpAddress::Family family, const std::byte* address) const;
  // The highest address inside: every host bit set (10.1.0.0/16 -> 10.1.255.255).
  IpAddress last() const;
  std::string to_string() const;

  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

 private:
  IpAddress address_;
  unsigned length_ = 0;
};

// An address as assigned to an interface: unlike IpPrefix, the host bits are kept
// ("10.0.0.1/24" is the host 10.0.0.1 on the 10.0.0.0/24 network).
struct InterfaceAddress {
  IpAddress address;
  unsigned prefix_length = 0;

  // "10.0.0.1/24", "fd00::1/64"; a bare address means /32 or /128.
  static std::optional<InterfaceAddress> parse(std::string_view text);
  std::string to_string() const;
  friend auto operator<=>(const InterfaceAddress&, const InterfaceAddress&) = default;
};

struct Endpoint {
  IpAddress address;
  std::uint16_t port = 0;

  // "1.2.3.4:51820" or "[fd00::1]:51820".
  static std::optional<Endpoint> parse(std::string_view text);
  std::string to_string() const;

  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

}  // namespace tandem
