#include "control/uapi.hpp"

#include <cerrno>
#include <charconv>

#include "crypto/constant_time.hpp"
#include "crypto/key_encoding.hpp"

namespace tandem::control {
namespace {

constexpr std::size_t kMaxRequestBytes = 1 << 20;

Err<UapiError> invalid(std::string message) {
  return Err(UapiError{EINVAL, std::move(message)});
}

template <typename T>
std::optional<T> parse_number(std::string_view s) {
  T v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<crypto::Key32> parse_key(std::string_view hex) {
  auto bytes = crypto::decode_key_hex(hex);
  if (!bytes) return std::nullopt;
  return crypto::Key32(std::span<const std::byte, 32>(*bytes));
}

// Flags are only ever set, with the literal value "true".
Result<Ok, UapiError> set_flag(bool& flag, std::string_view key, std::string_view value) {
  if (value != "true") return invalid(std::string(key) + " must be true");
  flag = true;
  return Ok{};
}

Result<Ok, UapiError> apply_device_key(UapiSet& set, std::string_view key, std::string_view value) {
  if (key == "private_key") {
    auto k = parse_key(value);
    if (!k) return invalid("private_key is not 64 hex digits");
    set.private_key = *k;
  } else if (key == "listen_port") {
    auto port = parse_number<std::uint16_t>(value);
    if (!port) return invalid("bad listen_port");
    set.listen_port = *port;
  } else if (key == "fwmark") {
    auto mark = parse_number<std::uint32_t>(value);
    if (!mark) return invalid("bad fwmark");
    set.fwmark = *mark;
  } else if (key == "replace_peers") {
    return set_flag(set.replace_peers, key, value);
  } else {
    return invalid("unknown device key " + std::string(key));
  }
  return Ok{};
}

Result<Ok, UapiError> apply_peer_key(UapiPeerSet& peer, std::string_view key,
                                     std::string_view value) {
  if (key == "remove") {
    return set_flag(peer.remove, key, value);
  } else if (key == "update_only") {
    return set_flag(peer.update_only, key, value);
  } else if (key == "preshared_key") {
    auto k = parse_key(value);
    if (!k) return invalid("preshared_key is not 64 hex digits");
    peer.preshared_key = *k;
  } else if (key == "endpoint") {
    auto ep = Endpoint::parse(value);
    if (!ep) return invalid("bad endpoint " + std::string(value));
    peer.endpoint = *ep;
  } else if (key == "persistent_keepalive_interval") {
    auto s = parse_number<std::uint16_t>(value);
    if (!s) return invalid("bad persistent_keepalive_interval");
    peer.persistent_keepalive_interval = *s;
  } else if (key == "replace_allowed_ips") {
    return set_flag(peer.replace_allowed_ips, key, value);
  } else if (key == "allowed_ip") {
    auto prefix = IpPrefix::parse(value);
    if (!prefix || value.find('/') == std::string_view::npos)
      return invalid("bad allowed_ip " + std::string(value));
    peer.allowed_ips.push_back(*prefix);
  } else if (key == "protocol_version") {
    if (value != "1") return invalid("unsupported protocol_version");
  } else {
    return invalid("unknown peer key " + std::string(key));
  }
  return Ok{};
}

}  // namespace

Result<UapiRequest, UapiError> parse_uapi_request(std::string_view text) {
  if (text.size() > kMaxRequestBytes) return invalid("request too large");
  if (text.size() < 2 || text.substr(text.size() - 2) != "\n\n")
    return invalid("request does not end with a blank line");
  text.remove_suffix(1);  // keep one '\n' to end the last line
  const auto first_end = text.find('\n');
  const std::string_view first = text.substr(0, first_end);
  if (first == "get=1") {
    if (first_end + 1 != text.size()) return invalid("get=1 takes no arguments");
    return UapiRequest{UapiGet{}};
  }
  if (first != "set=1") return invalid("unknown operation");

  UapiSet set;
  std::size_t pos = first_end + 1;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return invalid("line without '='");
    const std::string_view key = line.substr(0, eq);
    const std::string_view value = line.substr(eq + 1);
    if (key == "public_key") {
      auto k = crypto::decode_key_hex(value);
      if (!k) return invalid("public_key is not 64 hex digits");
      set.peers.emplace_back();
      set.peers.back().public_key = *k;
      continue;
    }
    auto applied = set.peers.empty() ? apply_device_key(set, key, value)
                                     : apply_peer_key(set.peers.back(), key, value);
    if (!applied) return Err(applied.error());
  }
  return UapiRequest{std::move(set)};
}

std::string format_uapi_get(const UapiDeviceState& state) {
  std::string out;
  auto line = [&](std::string_view key, const std::string& value) {
    out.append(key).append("=").append(value).append("\n");
  };
  if (state.private_key) line("private_key", crypto::hex_encode(state.private_key->bytes()));
  if (state.listen_port) line("listen_port", std::to_string(state.listen_port));
  if (state.fwmark) line("fwmark", std::to_string(state.fwmark));
  for (const auto& peer : state.peers) {
    line("public_key", crypto::hex_encode(peer.public_key));
    if (peer.preshared_key && !crypto::constant_time_is_zero(peer.preshared_key->bytes()))
      line("preshared_key", crypto::hex_encode(peer.preshared_key->bytes()));
    line("protocol_version", "1");
    if (peer.endpoint) line("endpoint", peer.endpoint->to_string());
    line("last_handshake_time_sec", std::to_string(peer.last_handshake_time_sec));
    line("last_handshake_time_nsec", std::to_string(peer.last_handshake_time_nsec));
    line("tx_bytes", std::to_string(peer.tx_bytes));
    line("rx_bytes", std::to_string(peer.rx_bytes));
    line("persistent_keepalive_interval", std::to_string(peer.persistent_keepalive_interval));
    for (const auto& prefix : peer.allowed_ips) line("allowed_ip", prefix.to_string());
  }
  out.append("errno=0\n\n");
  return out;
}

std::string format_uapi_errno(int errno_value) {
  return "errno=" + std::to_string(errno_value) + "\n\n";
}

}  // namespace tandem::control
