#include "ipsec/ike/v2/config.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

std::string hex(ByteView b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const std::byte x : b) {
    const auto v = std::to_integer<unsigned>(x);
    out += kDigits[v >> 4];
    out += kDigits[v & 15];
  }
  return out;
}

}  // namespace

Identity Identity::fqdn(std::string_view name) {
  const ByteView b = as_bytes(name);
  return {kIdFqdn, {b.begin(), b.end()}};
}

Identity Identity::ipv4(const IpAddress& address) {
  const auto* p = reinterpret_cast<const std::byte*>(address.data());
  return {kIdIpv4Addr, {p, p + 4}};
}

Identity Identity::key_id(ByteView id) {
  return {kIdKeyId, {id.begin(), id.end()}};
}

std::string Identity::to_string() const {
  switch (type) {
    case kIdFqdn:
      return "fqdn:" + std::string(reinterpret_cast<const char*>(data.data()), data.size());
    case kIdRfc822Addr:
      return "email:" + std::string(reinterpret_cast<const char*>(data.data()), data.size());
    case kIdIpv4Addr:
      if (data.size() == 4) {
        std::array<std::uint8_t, 4> a{};
        for (std::size_t i = 0; i < 4; ++i) a[i] = std::to_integer<std::uint8_t>(data[i]);
        return "ipv4:" + IpAddress::v4(a).to_string();
      }
      break;
    case kIdKeyId:
      return "keyid:" + hex(data);
    default:
      break;
  }
  return "id" + std::to_string(type) + ":" + hex(data);
}

std::vector<Suite> default_ike_suites() {
  return {
      {20, 256, 5, 0, 19},
      {20, 256, 5, 0, 14},
      {12, 256, 5, 12, 19},
      {12, 256, 5, 12, 14},
  };
}

std::vector<Suite> default_esp_suites() {
  return {
      {20, 256, 0, 0, 0},
      {12, 256, 0, 12, 0},
  };
}

}  // namespace tandem::ipsec::ike::v2
