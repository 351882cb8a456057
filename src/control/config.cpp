#include "control/config.hpp"

#include <toml++/toml.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

class Reader {
 public:
  Reader(std::string_view source, std::string base_dir)
      : source_(source), base_dir_(std::move(base_dir)) {}

  Err<ConfigError> error(const toml::node* node, std::string message) const {
    ConfigError e{std::string(source_), 1, 1, std::move(message)};
    if (node) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    return Err(std::move(e));
  }

  Err<ConfigError> error_at(const toml::source_region& where, std::string message) const {
    return Err(ConfigError{std::string(source_), static_cast<int>(where.begin.line),
                           static_cast<int>(where.begin.column), std::move(message)});
  }

  Result<Ok, ConfigError> only_keys(const toml::table& table, std::string_view where,
                                    std::initializer_list<std::string_view> allowed) const {
    for (const auto& [key, node] : table) {
      bool ok = false;
      for (auto a : allowed) ok = ok || key.str() == a;
      if (!ok)
        return error_at(key.source(),
                        "unknown key '" + std::string(key.str()) + "' in " + std::string(where));
    }
    return Ok{};
  }

  Result<std::string, ConfigError> read_key_file(const toml::node& node,
                                                 const std::string& path) const {
    const std::string full = !path.empty() && path[0] == '/' ? path : base_dir_ + "/" + path;
    std::ifstream in(full);
    if (!in) return error(&node, "cannot read key file " + full);
    std::string text;
    std::getline(in, text);
    while (!text.empty() && (text.back() == '\r' || text.back() == ' ')) text.pop_back();
    return text;
  }

  // A base64 key given inline (`inline_key`) or in a file (`file_key`), exactly one of them.
  Result<std::optional<crypto::Key32>, ConfigError> key(const toml::table& t,
                                                        std::string_view inline_key,
                                                        std::string_view file_key,
                                                        bool required) const {
    const toml::node* in = t.get(inline_key);
    const toml::node* file = t.get(file_key);
    if (in && file)
      return error(file, "give either " + std::string(inline_key) + " or " + std::string(file_key) +
                             ", not both");
    if (!in && !file) {
      if (required)
        return error(nullptr,
                     "missing " + std::string(inline_key) + " (or " + std::string(file_key) + ")");
      return std::optional<crypto::Key32>{};
    }
    const toml::node* node = in ? in : file;
    if (!node->is_string())
      return error(node, std::string(in ? inline_key : file_key) + " must be a string");
    std::string text = node->as_string()->get();
    if (file) {
      auto read = read_key_file(*node, text);
      if (!read) return Err(read.error());
      text = *read;
    }
    auto bytes = crypto::decode_key_base64(text);
    if (!bytes) return error(node, "not a base64 WireGuard key (44 characters ending in '=')");
    return std::optional<crypto::Key32>(crypto::Key32(std::span<const std::byte, 32>(*bytes)));
  }

  template <typename T>
  Result<std::optional<T>, ConfigError> integer(const toml::table& t, std::string_view k,
                                                std::int64_t min, std::int64_t max) const {
    const toml::node* node = t.get(k);
    if (!node) return std::optional<T>{};
    if (!node->is_integer()) return error(node, std::string(k) + " must be an integer");
    const std::int64_t v = node->as_integer()->get();
    if (v < min || v > max)
      return error(node, std::string(k) + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max));
    return std::optional<T>(static_cast<T>(v));
  }

  Result<std::vector<std::pair<std::string, const toml::node*>>, ConfigError> strings(
      const toml::table& t, std::string_view k) const {
    std::vector<std::pair<std::string, const toml::node*>> out;
    const toml::node* node = t.get(k);
    if (!node) return out;
    const toml::array* arr = node->as_array();
    if (!arr) return error(node, std::string(k) + " must be an array of strings");
    for (const auto& item : *arr) {
      if (!item.is_string()) return error(&item, std::string(k) + " must contain strings");
      out.emplace_back(item.as_string()->get(), &item);
    }
    return out;
  }

 private:
  std::string_view source_;
  std::string base_dir_;
};

Result<InterfaceConfig, ConfigError> read_interface(const Reader& r, const toml::node* node) {
  InterfaceConfig cfg;
  const toml::table* t = node ? node->as_table() : nullptr;
  if (!t) return r.error(node, "missing [interface] table");
  if (auto ok = r.only_keys(
          *t, "[interface]",
          {"name", "private_key", "private_key_file", "listen_port", "addresses", "mtu", "fwmark"});
      !ok)
    return Err(ok.error());
  const toml::node* name = t->get("name");
  if (!name || !name->is_string())
    return r.error(name ? name : node, "[interface] needs name = \"...\"");
  cfg.name = name->as_string()->get();
  if (!valid_interface_name(cfg.name))
    return r.error(name, "interface name must be 1-15 characters of A-Z a-z 0-9 _ . - = +");
  auto key = r.key(*t, "private_key", "private_key_file", true);
  if (!key) {
    ConfigError e = key.error();
    if (e.line == 1 && e.column == 1 && !t->get("private_key") && !t->get("private_key_file")) {
      e.line = static_cast<int>(node->source().begin.line);
      e.column = static_cast<int>(node->source().begin.column);
    }
    return Err(std::move(e));
  }
  cfg.private_key = **key;
  auto port = r.integer<std::uint16_t>(*t, "listen_port", 0, 65535);
  if (!port) return Err(port.error());
  cfg.listen_port = port->value_or(0);
  auto mtu = r.integer<unsigned>(*t, "mtu", 1280, 9000);
  if (!mtu) return Err(mtu.error());
  cfg.mtu = mtu->value_or(1420);
  auto fwmark = r.integer<std::uint32_t>(*t, "fwmark", 0, 0xffffffff);
  if (!fwmark) return Err(fwmark.error());
  cfg.fwmark = fwmark->value_or(0);
  auto addresses = r.strings(*t, "addresses");
  if (!addresses) return Err(addresses.error());
  for (const auto& [text, item] : *addresses) {
    auto address = InterfaceAddress::parse(text);
    if (!address) return r.error(item, "not an address with prefix length: '" + text + "'");
    cfg.addresses.push_back(*address);
  }
  return cfg;
}

Result<PeerConfig, ConfigError> read_peer(const Reader& r, const toml::node& node) {
  PeerConfig peer;
  const toml::table* t = node.as_table();
  if (!t) return r.error(&node, "[[peer]] must be a table");
  if (auto ok = r.only_keys(*t, "[[peer]]",
                            {"name", "public_key", "preshared_key", "preshared_key_file",
                             "endpoint", "allowed_ips", "persistent_keepalive"});
      !ok)
    return Err(ok.error());
  if (const toml::node* name = t->get("name")) {
    if (!name->is_string()) return r.error(name, "name must be a string");
    peer.name = name->as_string()->get();
  }
  const toml::node* pk = t->get("public_key");
  if (!pk) return r.error(&node, "[[peer]] needs public_key");
  if (!pk->is_string()) return r.error(pk, "public_key must be a string");
  auto pk_bytes = crypto::decode_key_base64(pk->as_string()->get());
  if (!pk_bytes) return r.error(pk, "not a base64 WireGuard key (44 characters ending in '=')");
  peer.public_key = *pk_bytes;
  auto psk = r.key(*t, "preshared_key", "preshared_key_file", false);
  if (!psk) return Err(psk.error());
  peer.preshared_key = *psk;
  if (const toml::node* ep = t->get("endpoint")) {
    if (!ep->is_string()) return r.error(ep, "endpoint must be a string");
    auto hp = split_host_port(ep->as_string()->get());
    if (!hp) return r.error(ep, "endpoint must be host:port or [ipv6]:port");
    peer.endpoint_host = hp->first;
    peer.endpoint_port = hp->second;
  }
  auto ips = r.strings(*t, "allowed_ips");
  if (!ips) return Err(ips.error());
  for (const auto& [text, item] : *ips) {
    auto prefix = IpPrefix::parse(text);
    if (!prefix) return r.error(item, "not an IP prefix: '" + text + "'");
    peer.allowed_ips.push_back(*prefix);
  }
  auto keepalive = r.integer<std::uint16_t>(*t, "persistent_keepalive", 0, 65535);
  if (!keepalive) return Err(keepalive.error());
  peer.persistent_keepalive = keepalive->value_or(0);
  return peer;
}

}  // namespace

std::string ConfigError::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

bool valid_interface_name(std::string_view name) {
  if (name.empty() || name.size() > 15) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-' &&
        c != '=' && c != '+')
      return false;
  return true;
}

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(std::string_view text) {
  std::string_view host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!IpAddress::parse(host) || !IpAddress::parse(host)->is_v6()) return std::nullopt;
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  unsigned value = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || ec != std::errc() || p != port.data() + port.size() || value == 0 ||
      value > 65535)
    return std::nullopt;
  return std::pair{std::string(host), static_cast<std::uint16_t>(value)};
}

Result<NodeConfig, ConfigError> parse_node_config(std::string_view text,
                                                  std::string_view source_name,
                                                  const std::string& base_dir) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    return Err(ConfigError{std::string(source_name), static_cast<int>(e.source().begin.line),
                           static_cast<int>(e.source().begin.column),
                           std::string(e.description())});
  }
  Reader r(source_name, base_dir);
  if (auto ok = r.only_keys(root, "the top level", {"interface", "peer"}); !ok)
    return Err(ok.error());
  NodeConfig cfg;
  auto iface = read_interface(r, root.get("interface"));
  if (!iface) return Err(iface.error());
  cfg.interface = std::move(*iface);
  if (const toml::node* peers = root.get("peer")) {
    const toml::array* arr = peers->as_array();
    if (!arr) return r.error(peers, "peer must be written as [[peer]] tables");
    std::set<crypto::PublicKey> seen;
    for (const auto& item : *arr) {
      auto peer = read_peer(r, item);
      if (!peer) return Err(peer.error());
      if (!seen.insert(peer->public_key).second)
        return r.error(item.as_table()->get("public_key"), "duplicate peer public_key");
      cfg.peers.push_back(std::move(*peer));
    }
  }
  return cfg;
}

Result<NodeConfig, ConfigError> load_node_config(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Err(ConfigError{path, 0, 0, "cannot open file"});
  std::stringstream ss;
  ss << in.rdbuf();
  const auto slash = path.rfind('/');
  return parse_node_config(ss.str(), path,
                           slash == std::string::npos ? "." : path.substr(0, slash));
}

std::string render_node_config_toml(const NodeConfig& config) {
  auto quote = [](const std::string& s) { return "\"" + s + "\""; };
  std::string out = "# Tandem node configuration\n[interface]\n";
  const auto& i = config.interface;
  out += "name = " + quote(i.name) + "\n";
  out += "private_key = " + quote(crypto::base64_encode(i.private_key.bytes())) + "\n";
  if (i.listen_port) out += "listen_port = " + std::to_string(i.listen_port) + "\n";
  out += "addresses = [";
  for (std::size_t k = 0; k < i.addresses.size(); ++k)
    out += (k ? ", " : "") + quote(i.addresses[k].to_string());
  out += "]\nmtu = " + std::to_string(i.mtu) + "\n";
  if (i.fwmark) out += "fwmark = " + std::to_string(i.fwmark) + "\n";
  for (const auto& p : config.peers) {
    out += "\n[[peer]]\n";
    if (!p.name.empty()) out += "name = " + quote(p.name) + "\n";
    out += "public_key = " + quote(crypto::base64_encode(p.public_key)) + "\n";
    if (p.preshared_key)
      out += "preshared_key = " + quote(crypto::base64_encode(p.preshared_key->bytes())) + "\n";
    if (p.endpoint_host) {
      const bool v6 = p.endpoint_host->find(':') != std::string::npos;
      out += "endpoint = " +
             quote((v6 ? "[" + *p.endpoint_host + "]" : *p.endpoint_host) + ":" +
                   std::to_string(p.endpoint_port)) +
             "\n";
    }
    out += "allowed_ips = [";
    for (std::size_t k = 0; k < p.allowed_ips.size(); ++k)
      out += (k ? ", " : "") + quote(p.allowed_ips[k].to_string());
    out += "]\n";
    if (p.persistent_keepalive)
      out += "persistent_keepalive = " + std::to_string(p.persistent_keepalive) + "\n";
  }
  return out;
}

}  // namespace tandem::control
