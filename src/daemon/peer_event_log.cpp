#include "daemon/peer_event_log.hpp"

#include <iterator>

#include "crypto/key_encoding.hpp"

namespace tandem::daemon {
namespace {

using Kind = wireguard::DeviceEvent::Kind;

bool is_refusal(Kind kind) {
  switch (kind) {
    case Kind::kResponseNotAuthenticated:
    case Kind::kInitiationFromUnknownKey:
    case Kind::kInitiationReplayed:
    case Kind::kInitiationNotForUs:
      return true;
    default:
      return false;
  }
}

std::string base64_key(const wireguard::PublicKey& key) {
  return crypto::base64_encode(ByteView(key.data(), key.size()));
}

// Why a handshake was refused, in the words an operator can act on.
std::string refusal_reason(const wireguard::DeviceEvent& e) {
  const std::string from = e.endpoint.to_string();
  switch (e.kind) {
    case Kind::kResponseNotAuthenticated:
      return "handshake failed: the peer's response did not authenticate: the pre-shared keys "
             "differ, or the peer has another key for us (response from " +
             from + ")";
    case Kind::kInitiationFromUnknownKey:
      return "handshake refused: initiation from unknown public key " + base64_key(e.public_key) +
             " at " + from;
    case Kind::kInitiationReplayed:
      return "handshake refused: initiation from " + from +
             " replays an old timestamp (a replayed packet, or the peer's clock went back)";
    case Kind::kInitiationNotForUs:
      return "handshake refused: initiation from " + from +
             " is not for our public key (the sender has another public key for us)";
    default:
      return {};
  }
}

const char* what_happened(const wireguard::DeviceEvent& e) {
  switch (e.kind) {
    case Kind::kHandshakeInitiationSent:
      return "handshake initiation sent";
    case Kind::kHandshakeCompleted:
      return e.we_initiated ? "handshake completed (initiator)" : "handshake completed (responder)";
    case Kind::kHandshakeGaveUp:
      return "handshake gave up after 90 s";
    case Kind::kKeysZeroed:
      return "session keys zeroed";
    case Kind::kEndpointChanged:
      return "endpoint changed";
    case Kind::kCookieReplySent:
      return "under load: cookie reply sent";
    case Kind::kCookieReplyReceived:
      return "cookie reply received";
    default:
      return "";
  }
}

}  // namespace

void PeerEventLog::set_name(const wireguard::PublicKey& key, std::string name) {
  names_[key] = std::move(name);
}

std::string PeerEventLog::name_of(const wireguard::PublicKey& key) const {
  if (auto it = names_.find(key); it != names_.end() && !it->second.empty()) return it->second;
  return abbreviate(key);
}

std::string PeerEventLog::abbreviate(const wireguard::PublicKey& key) {
  return base64_key(key).substr(0, 8);
}

bool PeerEventLog::allow(const std::string& source, TimePoint now, std::uint64_t& suppressed) {
  if (limits_.size() >= kMaxTrackedSources) {
    // Forget sources quiet for a whole interval; at most once per interval, so a flood from
    // ever new addresses costs no sweep per datagram. Until room is made, new sources go
    // unlogged.
    if (now - last_sweep_ >= kRefusalInterval) {
      last_sweep_ = now;
      for (auto it = limits_.begin(); it != limits_.end();)
        it = now - it->second.last_logged >= kRefusalInterval ? limits_.erase(it) : std::next(it);
    }
    if (limits_.size() >= kMaxTrackedSources && !limits_.contains(source)) return false;
  }
  auto [it, fresh] = limits_.try_emplace(source, Limit{now, 0});
  if (fresh) {
    suppressed = 0;
    return true;
  }
  if (now - it->second.last_logged < kRefusalInterval) {
    ++it->second.suppressed;
    return false;
  }
  suppressed = it->second.suppressed;
  it->second = Limit{now, 0};
  return true;
}

std::optional<PeerEventLog::Line> PeerEventLog::describe(
    const wireguard::DeviceEvent& event, const std::optional<wireguard::PublicKey>& peer_key,
    TimePoint now) {
  const std::string who = peer_key ? "peer " + name_of(*peer_key) : std::string();
  if (event.kind == Kind::kPathMtuLowered) {
    return Line{true, (who.empty() ? std::string("a peer") : who) + ": the underlay towards " +
                          event.endpoint.to_string() + " carries only " +
                          std::to_string(event.path_mtu) + "-byte datagrams: inner packets " +
                          "over " + std::to_string(event.inner_mtu) +
                          " bytes to it are now answered with ICMP (fragmented when without DF)"};
  }
  if (!is_refusal(event.kind)) {
    std::string text =
        who.empty() ? std::string(what_happened(event)) : who + " " + what_happened(event);
    return Line{false, text + ": " + event.endpoint.to_string()};
  }
  const std::string source =
      peer_key ? "peer " + base64_key(*peer_key) : "address " + event.endpoint.address.to_string();
  std::uint64_t suppressed = 0;
  if (!allow(source, now, suppressed)) return std::nullopt;
  std::string text = who.empty() ? refusal_reason(event) : who + ": " + refusal_reason(event);
  if (suppressed)
    text += " (" + std::to_string(suppressed) + " more since the last report, not logged)";
  return Line{true, std::move(text)};
}

}  // namespace tandem::daemon
