// What a WireGuard daemon's UAPI socket says of its interface: the get=1 reply (key=value lines,
// any daemon that speaks the cross-platform UAPI) and Tandem's own "status" document merged into
// it. `tandem status` renders it; the metrics endpoint exports it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.hpp"

namespace tandem::control {

struct PeerStatus {
  std::string public_key;  // base64
  bool has_preshared_key = false;
  std::string endpoint;
  std::vector<std::string> allowed_ips;
  std::int64_t last_handshake_sec = 0;
  std::int64_t last_handshake_nsec = 0;
  std::uint64_t tx_bytes = 0;
  std::uint64_t rx_bytes = 0;
  unsigned persistent_keepalive = 0;
  // From Tandem's own status request (absent for a daemon that answers only the UAPI).
  std::string name;                             // the peer's name, as log lines give it
  std::optional<std::uint64_t> mtu;             // what the peer's packets are held to
  std::optional<std::uint64_t> configured_mtu;  // the device's
  nlohmann::json mtu_probe;  // its "mtu_probe" object (daemon/mtu_probe_status.hpp); null: none
  std::string mtu_probe_target;
};

struct InterfaceStatus {
  std::string name;
  std::string public_key;  // base64, derived from the private key; empty if none is set
  unsigned listen_port = 0;
  std::uint32_t fwmark = 0;
  std::vector<PeerStatus> peers;
  // From Tandem's own status request: packets dropped, by the engine's reason.
  std::vector<std::pair<std::string, std::uint64_t>> drops;
  // The node's split-DNS forwarder ([dns]) when it runs beside this interface: its listen
  // addresses and counters (daemon/dns_service.hpp), an object; null otherwise.
  nlohmann::json dns;
};

// Parses a UAPI get=1 reply (key=value lines ending in errno=N).
Result<InterfaceStatus, std::string> parse_uapi_get(std::string name, std::string_view reply);

// Adds what a Tandem daemon's reply to "status" (a JSON document, per peer by base64 public key)
// says of each peer's MTU and name, and the interface's drops; a reply that is no such document
// changes nothing.
void merge_peer_mtus(InterfaceStatus& status, std::string_view status_reply);

// The interface as `tandem status --json` and the admin socket give it: `wg`'s fields, each
// handshake also as an age at `now_unix`, and Tandem's own (peer names, MTUs, drops).
nlohmann::json interface_status_json(const InterfaceStatus& status, std::int64_t now_unix);
// Back from that document (the CLI renders what the admin socket sent); the error names the
// field that is missing or of the wrong type.
Result<InterfaceStatus, std::string> interface_status_from_json(const nlohmann::json& doc);

}  // namespace tandem::control
