// Parsing a UAPI get=1 reply and merging Tandem's "status" document into it (uapi_status.hpp).
#include "control/uapi_status.hpp"

#include <fmt/format.h>

#include <charconv>

#include "crypto/key_encoding.hpp"
#include "crypto/x25519.hpp"

namespace tandem::control {
namespace {

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

std::string public_from_private_hex(std::string_view hex) {
  auto raw = crypto::decode_key_hex(hex);
  if (!raw) return {};
  crypto::PrivateKey key{std::span<const std::byte, 32>(*raw)};
  crypto::secure_wipe(*raw);
  bool all_zero = true;
  for (auto b : key.bytes()) all_zero = all_zero && b == std::byte{0};
  if (all_zero) return {};
  return crypto::base64_encode(crypto::x25519_public_key(key));
}

std::string hex_to_base64(std::string_view hex) {
  auto raw = crypto::decode_key_hex(hex);
  return raw ? crypto::base64_encode(*raw) : std::string(hex);
}

}  // namespace

Result<InterfaceStatus, std::string> parse_uapi_get(std::string name, std::string_view reply) {
  InterfaceStatus st;
  st.name = std::move(name);
  PeerStatus* peer = nullptr;
  bool saw_errno = false;
  while (!reply.empty()) {
    const auto nl = reply.find('\n');
    const auto line = reply.substr(0, nl);
    reply = nl == std::string_view::npos ? std::string_view{} : reply.substr(nl + 1);
    if (line.empty()) continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return Err{fmt::format("malformed line '{}'", line)};
    const auto key = line.substr(0, eq);
    const auto value = line.substr(eq + 1);
    bool ok = true;
    if (key == "errno") {
      int code = 0;
      if (!parse_number(value, code) || code != 0)
        return Err{fmt::format("the daemon answered errno={}", value)};
      saw_errno = true;
    } else if (key == "private_key") {
      st.public_key = public_from_private_hex(value);
    } else if (key == "listen_port") {
      ok = parse_number(value, st.listen_port);
    } else if (key == "fwmark") {
      ok = parse_number(value, st.fwmark);
    } else if (key == "public_key") {
      peer = &st.peers.emplace_back();
      peer->public_key = hex_to_base64(value);
    } else if (peer == nullptr) {
      continue;  // unknown interface-level key from a newer daemon: ignore
    } else if (key == "preshared_key") {
      peer->has_preshared_key = value.find_first_not_of('0') != std::string_view::npos;
    } else if (key == "endpoint") {
      peer->endpoint = std::string(value);
    } else if (key == "allowed_ip") {
      peer->allowed_ips.emplace_back(value);
    } else if (key == "last_handshake_time_sec") {
      ok = parse_number(value, peer->last_handshake_sec);
    } else if (key == "last_handshake_time_nsec") {
      ok = parse_number(value, peer->last_handshake_nsec);
    } else if (key == "tx_bytes") {
      ok = parse_number(value, peer->tx_bytes);
    } else if (key == "rx_bytes") {
      ok = parse_number(value, peer->rx_bytes);
    } else if (key == "persistent_keepalive_interval") {
      ok = parse_number(value, peer->persistent_keepalive);
    }
    if (!ok) return Err{fmt::format("bad value in line '{}'", line)};
  }
  if (!saw_errno) return Err{std::string("reply has no errno line")};
  return st;
}

void merge_peer_mtus(InterfaceStatus& status, std::string_view status_reply) {
  const auto doc = nlohmann::json::parse(status_reply, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("peers") || !doc["peers"].is_array())
    return;
  const auto number = [](const nlohmann::json& j, const char* key) -> std::optional<std::uint64_t> {
    if (!j.contains(key) || !j[key].is_number_unsigned()) return std::nullopt;
    return j[key].get<std::uint64_t>();
  };
  if (doc.contains("drops") && doc["drops"].is_object())
    for (const auto& [reason, count] : doc["drops"].items())
      if (count.is_number_unsigned()) status.drops.emplace_back(reason, count.get<std::uint64_t>());
  for (const auto& entry : doc["peers"]) {
    if (!entry.is_object()) continue;
    const std::string key = entry.value("public_key", "");
    for (PeerStatus& p : status.peers) {
      if (p.public_key != key) continue;
      p.name = entry.value("name", "");
      p.mtu = number(entry, "mtu");
      p.configured_mtu = number(entry, "configured_mtu");
      p.mtu_probe_target = entry.value("mtu_probe_target", "");
      const auto probe = entry.value("mtu_probe", nlohmann::json());
      if (probe.is_object()) p.mtu_probe = probe;
    }
  }
}

nlohmann::json interface_status_json(const InterfaceStatus& status, std::int64_t now_unix) {
  auto peers = nlohmann::json::array();
  for (const auto& p : status.peers) {
    nlohmann::json peer(
        {{"public_key", p.public_key},
         {"preshared_key", p.has_preshared_key},
         {"endpoint", p.endpoint},
         {"allowed_ips", p.allowed_ips},
         {"latest_handshake_unix", p.last_handshake_sec},
         {"latest_handshake_age_seconds", p.last_handshake_sec == 0
                                              ? nlohmann::json(nullptr)
                                              : nlohmann::json(now_unix - p.last_handshake_sec)},
         {"rx_bytes", p.rx_bytes},
         {"tx_bytes", p.tx_bytes},
         {"persistent_keepalive", p.persistent_keepalive}});
    if (!p.name.empty()) peer["name"] = p.name;
    if (p.mtu) peer["mtu"] = *p.mtu;
    if (p.configured_mtu) peer["configured_mtu"] = *p.configured_mtu;
    if (!p.mtu_probe_target.empty()) peer["mtu_probe_target"] = p.mtu_probe_target;
    if (p.mtu_probe.is_object()) peer["mtu_probe"] = p.mtu_probe;
    peers.push_back(std::move(peer));
  }
  nlohmann::json doc{{"name", status.name},
                     {"public_key", status.public_key},
                     {"listen_port", status.listen_port},
                     {"fwmark", status.fwmark},
                     {"peers", std::move(peers)}};
  if (!status.drops.empty()) {
    nlohmann::json drops = nlohmann::json::object();
    for (const auto& [reason, n] : status.drops) drops[reason] = n;
    doc["drops"] = std::move(drops);
  }
  if (status.dns.is_object()) doc["dns"] = status.dns;
  return doc;
}

Result<InterfaceStatus, std::string> interface_status_from_json(const nlohmann::json& doc) {
  // json's get<> throws on a type mismatch; the reply came over a socket, so check first.
  const auto field = [](const nlohmann::json& j, const char* key, nlohmann::json::value_t type) {
    if (!j.is_object() || !j.contains(key)) return false;
    const auto t = j.at(key).type();
    const auto& v = j.at(key);
    if (type == nlohmann::json::value_t::number_unsigned)  // what a parser or a literal makes
      return t == nlohmann::json::value_t::number_unsigned ||
             (t == nlohmann::json::value_t::number_integer && v.get<std::int64_t>() >= 0);
    if (type == nlohmann::json::value_t::number_integer)
      return t == nlohmann::json::value_t::number_unsigned ||
             t == nlohmann::json::value_t::number_integer;
    return t == type;
  };
  using V = nlohmann::json::value_t;
  if (!field(doc, "name", V::string) || !field(doc, "public_key", V::string) ||
      !field(doc, "listen_port", V::number_unsigned) || !field(doc, "fwmark", V::number_unsigned) ||
      !field(doc, "peers", V::array))
    return Err(std::string(
        "a WireGuard interface document needs name, public_key, listen_port, fwmark and peers"));
  InterfaceStatus s;
  s.name = doc["name"].get<std::string>();
  s.public_key = doc["public_key"].get<std::string>();
  s.listen_port = doc["listen_port"].get<unsigned>();
  s.fwmark = doc["fwmark"].get<std::uint32_t>();
  if (doc.contains("dns") && doc["dns"].is_object()) s.dns = doc["dns"];
  for (const auto& p : doc["peers"]) {
    if (!field(p, "public_key", V::string) || !field(p, "endpoint", V::string) ||
        !field(p, "allowed_ips", V::array) ||
        !field(p, "latest_handshake_unix", V::number_integer) ||
        !field(p, "rx_bytes", V::number_unsigned) || !field(p, "tx_bytes", V::number_unsigned))
      return Err("peer " + std::to_string(s.peers.size()) + " of " + s.name +
                 " lacks public_key, endpoint, allowed_ips, latest_handshake_unix or bytes");
    PeerStatus peer;
    peer.public_key = p["public_key"].get<std::string>();
    peer.has_preshared_key = p.value("preshared_key", false);
    peer.endpoint = p["endpoint"].get<std::string>();
    for (const auto& ip : p["allowed_ips"])
      if (ip.is_string()) peer.allowed_ips.push_back(ip.get<std::string>());
    peer.last_handshake_sec = p["latest_handshake_unix"].get<std::int64_t>();
    peer.rx_bytes = p["rx_bytes"].get<std::uint64_t>();
    peer.tx_bytes = p["tx_bytes"].get<std::uint64_t>();
    if (field(p, "persistent_keepalive", V::number_unsigned))
      peer.persistent_keepalive = p["persistent_keepalive"].get<unsigned>();
    if (field(p, "name", V::string)) peer.name = p["name"].get<std::string>();
    if (field(p, "mtu", V::number_unsigned)) peer.mtu = p["mtu"].get<std::uint64_t>();
    if (field(p, "configured_mtu", V::number_unsigned))
      peer.configured_mtu = p["configured_mtu"].get<std::uint64_t>();
    if (field(p, "mtu_probe_target", V::string))
      peer.mtu_probe_target = p["mtu_probe_target"].get<std::string>();
    if (field(p, "mtu_probe", V::object)) peer.mtu_probe = p["mtu_probe"];
    s.peers.push_back(std::move(peer));
  }
  if (field(doc, "drops", V::object))
    for (const auto& [reason, n] : doc["drops"].items())
      if (n.is_number_unsigned()) s.drops.emplace_back(reason, n.get<std::uint64_t>());
  return s;
}

}  // namespace tandem::control
