// What an IKEv1 node is told by its operator: peers with their pre-shared key, proposals,
// ESP mode and traffic, lifetimes and liveness checks. The defaults are what the built-in
// L2TP/IPsec clients of Windows 10/11, macOS/iOS and Android 12+ offer and what is still strong:
// AES-CBC with SHA-1 or SHA-2 and MODP 2048 or ECP 256/384 in phase 1, AES-CBC with HMAC-SHA1-96
// or HMAC-SHA-256-128 (and AES-GCM) in phase 2. Weaker groups are not in the defaults.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v1/proposal.hpp"

namespace tandem::ipsec::ike::v1 {

using namespace std::chrono_literals;

inline std::vector<Phase1Suite> default_phase1_suites() {
  return {
      {kEncryptionAesCbc, 256, Hash::kSha256, 14}, {kEncryptionAesCbc, 256, Hash::kSha256, 19},
      {kEncryptionAesCbc, 256, Hash::kSha384, 20}, {kEncryptionAesCbc, 128, Hash::kSha256, 14},
      {kEncryptionAesCbc, 256, Hash::kSha1, 14},   {kEncryptionAesCbc, 128, Hash::kSha1, 14},
  };
}

inline std::vector<Phase2Suite> default_phase2_suites() {
  return {
      {kEspAesGcm16, 256, 0, 0},           {kEspAesCbc, 256, kAuthHmacSha256, 0},
      {kEspAesCbc, 256, kAuthHmacSha1, 0}, {kEspAesCbc, 128, kAuthHmacSha256, 0},
      {kEspAesCbc, 128, kAuthHmacSha1, 0},
  };
}

struct PeerConfig {
  std::string name;
  // The peer's address; nullopt accepts any (a gateway for road-warrior clients). An initiator
  // needs one.
  std::optional<IpAddress> address;
  std::uint16_t port = kIkePort;
  std::vector<std::byte> psk;
  std::vector<Phase1Suite> phase1 = default_phase1_suites();
  std::vector<Phase2Suite> phase2 = default_phase2_suites();
  EspMode mode = EspMode::kTransport;
  // Transport mode: the protocol and port both ends use (L2TP: UDP 1701). Tunnel mode: the
  // subnets on each side.
  std::uint8_t transport_protocol = 17;
  std::uint16_t transport_port = 1701;
  std::optional<Selector> local_subnet;
  std::optional<Selector> remote_subnet;
  Duration phase1_lifetime = 8h;
  Duration phase2_lifetime = 1h;
  // Rekey this long before a lifetime ends (less up to a third of it again, at random, so that
  // both ends do not rekey at once).
  Duration rekey_margin = 3min;
  // Liveness (RFC 3706): ask after this long without anything from the peer, and declare it
  // dead after `dpd_timeout` of unanswered questions.
  Duration dpd_interval = 30s;
  Duration dpd_timeout = 120s;
  // Send ESP in UDP (port 4500) even when no NAT is found, by announcing a NAT-D hash that
  // cannot match (as strongSwan's encap=yes does). Tandem's data path is userspace UDP, so this
  // is the default; false leaves plain ESP to a peer that needs it.
  bool force_udp_encapsulation = true;
};

struct Config {
  std::vector<PeerConfig> peers;
  // Waits between retransmissions of a request; after the last one the exchange is given up.
  std::vector<Duration> retransmits = {2s, 4s, 8s, 16s, 32s};
  // Phase 1 SAs still negotiating, across all peers, beyond which new ones are refused.
  std::size_t max_half_open = 1024;
  Duration nat_keepalive = 20s;
  // MODP 1024 (group 2), which Android up to 11 offers for L2TP/IPsec, is refused unless this is
  // set, even when a suite lists it: 1024-bit Diffie-Hellman is within reach of well-funded
  // attackers.
  bool allow_modp1024 = false;
};

}  // namespace tandem::ipsec::ike::v1
