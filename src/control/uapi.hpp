// The WireGuard cross-platform UAPI (wireguard.com/xplatform): the text protocol the stock `wg`
// tool speaks over /var/run/wireguard/IFNAME.sock. Parsing of get/set requests and formatting
// of get replies; what a set means is the daemon's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace tandem::control {

struct UapiError {
  int errno_value = 0;  // positive, e.g. EINVAL
  std::string message;
};

struct UapiPeerSet {
  crypto::PublicKey public_key{};
  bool remove = false;
  bool update_only = false;
  std::optional<crypto::Key32> preshared_key;  // all zero means "no PSK"
  std::optional<Endpoint> endpoint;
  std::optional<std::uint16_t> persistent_keepalive_interval;  // seconds, 0 = off
  bool replace_allowed_ips = false;
  std::vector<IpPrefix> allowed_ips;  // added after the replace, if any
};

struct UapiSet {
  std::optional<crypto::PrivateKey> private_key;  // all zero means "remove"
  std::optional<std::uint16_t> listen_port;
  std::optional<std::uint32_t> fwmark;  // 0 = none
  bool replace_peers = false;
  std::vector<UapiPeerSet> peers;  // in request order
};

struct UapiGet {};
using UapiRequest = std::variant<UapiGet, UapiSet>;

// `text` is one whole request as read from the socket, including its terminating blank line.
Result<UapiRequest, UapiError> parse_uapi_request(std::string_view text);

struct UapiPeerState {
  crypto::PublicKey public_key{};
  std::optional<crypto::Key32> preshared_key;
  std::optional<Endpoint> endpoint;
  std::uint16_t persistent_keepalive_interval = 0;
  std::int64_t last_handshake_time_sec = 0;
  std::int64_t last_handshake_time_nsec = 0;
  std::uint64_t rx_bytes = 0;
  std::uint64_t tx_bytes = 0;
  std::vector<IpPrefix> allowed_ips;
};

struct UapiDeviceState {
  std::optional<crypto::PrivateKey> private_key;
  std::uint16_t listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<UapiPeerState> peers;
};

// key=value lines in wireguard-go's order, keys in lowercase hex, ending "errno=0\n\n".
std::string format_uapi_get(const UapiDeviceState& state);
std::string format_uapi_errno(int errno_value);

}  // namespace tandem::control
