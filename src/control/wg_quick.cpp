#include "control/wg_quick.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string_view> split_list(std::string_view value) {
  std::vector<std::string_view> out;
  while (!value.empty()) {
    const auto comma = value.find(',');
    auto item = trim(value.substr(0, comma));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return out;
}

template <typename T>
bool parse_uint(std::string_view s, T max, T& out) {
  unsigned long long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > max) return false;
  out = static_cast<T>(v);
  return true;
}

}  // namespace

Result<ImportResult, ConfigError> parse_wg_quick(std::string_view text,
                                                 std::string_view source_name,
                                                 std::string interface_name) {
  ImportResult result;
  NodeConfig& cfg = result.config;
  cfg.interface.emplace();
  cfg.interface->name = std::move(interface_name);
  enum class Section { kNone, kInterface, kPeer } section = Section::kNone;
  bool have_private_key = false;
  int line_no = 0;
  auto fail = [&](std::size_t column, std::string message) {
    return Err(ConfigError{std::string(source_name), line_no, static_cast<int>(column) + 1,
                           std::move(message)});
  };
  auto warn = [&](std::string message) {
    result.warnings.push_back(std::string(source_name) + ":" + std::to_string(line_no) + ": " +
                              std::move(message));
  };

  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (const auto hash = raw.find('#'); hash != std::string_view::npos) raw = raw.substr(0, hash);
    const std::string_view line = trim(raw);
    const std::size_t indent =
        line.empty() ? 0 : static_cast<std::size_t>(line.data() - raw.data());
    if (line.empty()) {
      if (end == text.size()) break;
      continue;
    }
    if (line.front() == '[') {
      const std::string name = lower(line);
      if (name == "[interface]") {
        section = Section::kInterface;
      } else if (name == "[peer]") {
        section = Section::kPeer;
        cfg.peers.emplace_back();
      } else {
        return fail(indent, "unknown section " + std::string(line));
      }
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return fail(indent, "expected Key = Value");
    const std::string key = lower(trim(line.substr(0, eq)));
    const std::string_view value = trim(line.substr(eq + 1));
    const std::size_t value_col = indent + eq + 1 + (line.substr(eq + 1).size() - value.size());
    if (section == Section::kNone) return fail(indent, "key outside [Interface] or [Peer]");

    if (section == Section::kInterface) {
      auto& i = *cfg.interface;
      if (key == "privatekey") {
        auto k = crypto::decode_key_base64(value);
        if (!k) return fail(value_col, "PrivateKey is not a base64 WireGuard key");
        i.private_key = crypto::PrivateKey(std::span<const std::byte, 32>(*k));
        have_private_key = true;
      } else if (key == "listenport") {
        if (!parse_uint<std::uint16_t>(value, 65535, i.listen_port))
          return fail(value_col, "ListenPort must be 0-65535");
      } else if (key == "fwmark") {
        if (lower(value) == "off")
          i.fwmark = 0;
        else if (!parse_uint<std::uint32_t>(value, 0xffffffffu, i.fwmark))
          return fail(value_col, "FwMark must be a number or off");
      } else if (key == "address") {
        for (auto item : split_list(value)) {
          auto address = InterfaceAddress::parse(item);
          if (!address) return fail(value_col, "bad Address " + std::string(item));
          i.addresses.push_back(*address);
        }
      } else if (key == "mtu") {
        if (!parse_uint<unsigned>(value, 9000u, i.mtu) || i.mtu < 1280)
          return fail(value_col, "MTU must be 1280-9000");
      } else if (key == "dns" || key == "table" || key == "preup" || key == "postup" ||
                 key == "predown" || key == "postdown" || key == "saveconfig") {
        warn(std::string(trim(line.substr(0, eq))) +
             " is not converted (Tandem does not apply it yet)");
      } else {
        return fail(indent, "unknown [Interface] key " + std::string(trim(line.substr(0, eq))));
      }
      continue;
    }

    auto& p = cfg.peers.back();
    if (key == "publickey") {
      auto k = crypto::decode_key_base64(value);
      if (!k) return fail(value_col, "PublicKey is not a base64 WireGuard key");
      p.public_key = *k;
    } else if (key == "presharedkey") {
      auto k = crypto::decode_key_base64(value);
      if (!k) return fail(value_col, "PresharedKey is not a base64 WireGuard key");
      p.preshared_key = crypto::Key32(std::span<const std::byte, 32>(*k));
    } else if (key == "allowedips") {
      for (auto item : split_list(value)) {
        auto prefix = IpPrefix::parse(item);
        if (!prefix) return fail(value_col, "bad AllowedIPs entry " + std::string(item));
        p.allowed_ips.push_back(*prefix);
      }
    } else if (key == "endpoint") {
      auto hp = split_host_port(value);
      if (!hp) return fail(value_col, "Endpoint must be host:port or [ipv6]:port");
      p.endpoint_host = hp->first;
      p.endpoint_port = hp->second;
    } else if (key == "persistentkeepalive") {
      if (lower(value) == "off")
        p.persistent_keepalive = 0;
      else if (!parse_uint<std::uint16_t>(value, 65535, p.persistent_keepalive))
        return fail(value_col, "PersistentKeepalive must be a number or off");
    } else {
      return fail(indent, "unknown [Peer] key " + std::string(trim(line.substr(0, eq))));
    }
    if (end == text.size()) break;
  }
  if (!have_private_key)
    return Err(ConfigError{std::string(source_name), 1, 1, "[Interface] has no PrivateKey"});
  for (std::size_t k = 0; k < cfg.peers.size(); ++k)
    if (std::all_of(cfg.peers[k].public_key.begin(), cfg.peers[k].public_key.end(),
                    [](std::byte b) { return b == std::byte{0}; }))
      return Err(ConfigError{std::string(source_name), 1, 1,
                             "[Peer] number " + std::to_string(k + 1) + " has no PublicKey"});
  return result;
}

}  // namespace tandem::control
