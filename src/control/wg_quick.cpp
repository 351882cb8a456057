#include "control/wg_quick.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>

#include "base/packet.hpp"
#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

constexpr std::uint32_t kMainRoutingTable = 254;  // RT_TABLE_MAIN, "main" in rt_tables

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

// As wg(8): decimal, or hexadecimal after "0x"; "off" is 0.
bool parse_fwmark(std::string_view s, std::uint32_t& out) {
  if (lower(s) == "off") {
    out = 0;
    return true;
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    s.remove_prefix(2);
    unsigned long long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
    if (ec != std::errc() || p != s.data() + s.size() || v > 0xffffffffu) return false;
    out = static_cast<std::uint32_t>(v);
    return true;
  }
  return parse_uint<std::uint32_t>(s, 0xffffffffu, out);
}

// Table = auto | off | main | NUMBER. Returns a warning when the value is not converted (a name
// from /etc/iproute2/rt_tables other than main).
std::optional<std::string> read_table(std::string_view value, InterfaceConfig& i) {
  const std::string v = lower(value);
  if (v == "auto" || v == "off") {
    i.add_routes = v == "auto";  // off: wg-quick adds no routes for AllowedIPs
    return std::nullopt;
  }
  std::uint32_t n = 0;
  if (v == "main")
    n = kMainRoutingTable;
  else if (!parse_uint<std::uint32_t>(value, 0xffffffffu, n) || n == 0)
    return "Table = " + std::string(value) +
           " is not converted (write the table's number; Tandem takes auto, off, main or a "
           "number)";
  i.route_table = n;
  return std::nullopt;
}

std::vector<std::string>* hook_list(const std::string& key, HookCommands& hooks) {
  if (key == "preup") return &hooks.pre_up;
  if (key == "postup") return &hooks.post_up;
  if (key == "predown") return &hooks.pre_down;
  if (key == "postdown") return &hooks.post_down;
  return nullptr;
}

// "laptop" or "Name = laptop" name a peer; another "Key = value" is a commented-out setting.
std::optional<std::string_view> peer_name_in_comment(std::string_view comment) {
  if (const auto eq = comment.find('='); eq != std::string_view::npos) {
    if (lower(trim(comment.substr(0, eq))) != "name") return std::nullopt;
    comment = trim(comment.substr(eq + 1));
  }
  if (comment.empty()) return std::nullopt;
  return comment;
}

// The renderer writes names between quotes without escaping.
bool printable_as_toml_string(std::string_view s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    return c == '"' || c == '\\' || std::iscntrl(static_cast<unsigned char>(c));
  });
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

  // A peer name comment counts only on the line right above or right below [Peer].
  std::string_view comment_above;
  int comment_above_line = 0;
  int peer_header_line = 0;
  auto name_peer = [&](std::string_view comment) {
    auto name = peer_name_in_comment(comment);
    if (!name) return;
    if (!printable_as_toml_string(*name))
      warn("comment not used as the peer's name (it has a quote, backslash or control character)");
    else
      cfg.peers.back().name = std::string(*name);
  };

  std::size_t pos = 0;
  while (pos <= text.size()) {
    const auto end = std::min(text.find('\n', pos), text.size());
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    std::string_view comment;
    if (const auto hash = raw.find('#'); hash != std::string_view::npos) {
      comment = trim(raw.substr(hash + 1));
      raw = raw.substr(0, hash);
    }
    const std::string_view line = trim(raw);
    const std::size_t indent =
        line.empty() ? 0 : static_cast<std::size_t>(line.data() - raw.data());
    if (line.empty()) {
      if (!comment.empty()) {
        if (section == Section::kPeer && peer_header_line == line_no - 1 &&
            cfg.peers.back().name.empty())
          name_peer(comment);
        comment_above = comment;
        comment_above_line = line_no;
      }
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
        peer_header_line = line_no;
        if (comment_above_line == line_no - 1) name_peer(comment_above);
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
        if (!parse_fwmark(value, i.fwmark))
          return fail(value_col, "FwMark must be a number, 0x and hex digits, or off");
      } else if (key == "address") {
        for (auto item : split_list(value)) {
          auto address = InterfaceAddress::parse(item);
          if (!address) return fail(value_col, "bad Address " + std::string(item));
          i.addresses.push_back(*address);
        }
      } else if (key == "mtu") {
        if (!parse_uint<unsigned>(value, 65535u, i.mtu) || i.mtu < 1280 || i.mtu > kMaxTunnelMtu)
          return fail(value_col, "MTU must be 1280-" + std::to_string(kMaxTunnelMtu) +
                                     " (Tandem's largest tunnel packet)");
        i.mtu_given = true;
      } else if (key == "table") {
        if (auto why = read_table(value, i)) warn(*why);
      } else if (key == "dns") {
        for (auto item : split_list(value)) {
          if (auto address = IpAddress::parse(item))
            i.dns.push_back(*address);
          else if (valid_search_domain(item))
            i.dns_search.emplace_back(item);  // wg-quick: what is not an address is a domain
          else
            return fail(value_col, "bad DNS entry " + std::string(item));
        }
      } else if (auto* hook = hook_list(key, i.hooks)) {
        // Each line adds a command, as wg-quick runs every PostUp = line in order.
        if (!value.empty()) hook->emplace_back(value);
      } else if (key == "saveconfig") {
        if (lower(value) == "true")
          warn(
              "SaveConfig = true is not converted: Tandem never writes the running state back "
              "into its config file (peers added at run time with wg set are gone after "
              "tandem down; add them to the .toml instead)");
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
