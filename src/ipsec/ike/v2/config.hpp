// What an IKEv2 node is configured with (RFC 7296): our identity, the peers we talk to (their
// identity, pre-shared key, proposals, traffic and mode), the address pool a responder hands
// out through CP (3.15) or a peer's own fixed inner address, and the timers of liveness, rekeying,
// retransmission and cookies. The daemon's TOML reader fills it; the defaults are the secure ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "ipsec/ike/actions.hpp"
#include "ipsec/ike/v2/proposal.hpp"

namespace tandem::ipsec::ike::v2 {

// ID payload types (3.5).
inline constexpr std::uint8_t kIdIpv4Addr = 1;
inline constexpr std::uint8_t kIdFqdn = 2;
inline constexpr std::uint8_t kIdRfc822Addr = 3;
inline constexpr std::uint8_t kIdIpv6Addr = 5;
inline constexpr std::uint8_t kIdKeyId = 11;

struct Identity {
  std::uint8_t type = kIdFqdn;
  std::vector<std::byte> data;

  static Identity fqdn(std::string_view name);
  static Identity ipv4(const IpAddress& address);
  static Identity key_id(ByteView id);
  // "fqdn:vpn.example.com", "ipv4:192.0.2.1", "keyid:0a0b..." for log lines.
  std::string to_string() const;
  friend bool operator==(const Identity&, const Identity&) = default;
};

// ECP-256 and MODP-2048 with AES-GCM-16-256 and PRF-HMAC-SHA256; the same with AES-CBC-256 and
// HMAC-SHA256-128 for peers without GCM.
std::vector<Suite> default_ike_suites();
// AES-GCM-16-256, then AES-CBC-256 with HMAC-SHA256-128; no PFS group (see PeerConfig).
std::vector<Suite> default_esp_suites();

struct PeerConfig {
  std::string name;
  std::optional<IpAddress> remote_address;  // needed to initiate
  Identity remote_id;                       // what the peer's IDi (or IDr) must be
  std::vector<std::byte> psk;
  std::vector<Suite> ike_suites = default_ike_suites();
  std::vector<Suite> esp_suites = default_esp_suites();
  // DH group for Child SA rekeys (perfect forward secrecy); 0 for none. The first Child SA,
  // negotiated in IKE_AUTH, never has its own exchange (2.17).
  std::uint16_t pfs_group = 0;
  EspMode mode = EspMode::kTunnel;  // transport is asked for with USE_TRANSPORT_MODE
  std::vector<Selector> local_selectors;
  std::vector<Selector> remote_selectors;
  // Initiator: ask for an inner address with CP(CFG_REQUEST) and use it as our selector; with
  // request_virtual_ip6 an IPv6 address as well.
  bool request_virtual_ip = false;
  bool request_virtual_ip6 = false;
  // Initiator, with request_virtual_ip: also ask for the responder's split-DNS domains
  // (INTERNAL_DNS_DOMAIN, RFC 8598), which the IKE SA then lists (IkeSaInfo::dns_domains).
  bool request_dns_domains = false;
  // Responder: this peer's own inner address (a hybrid gateway's account). A CFG_REQUEST gets
  // exactly this address, never a pool lease, and every Child SA's remote traffic selectors are
  // narrowed to it (and to remote_selectors, the peer's subnets) whether or not the peer asked:
  // ESP's policy check is then the account's source check.
  std::optional<IpAddress> virtual_address;
  // Its IPv6 address, handed out when asked for (INTERNAL_IP6_ADDRESS) and held to likewise.
  std::optional<IpAddress> virtual_address6;
  // Node::replace_peers took the peer away or changed it: kept only for its IKE SAs that are
  // being closed; nobody is initiated to it or authenticated as it.
  bool retired = false;
  friend bool operator==(const PeerConfig&, const PeerConfig&) = default;
};

// Responder: the inner IPv4 addresses handed out in CFG_REPLY.
struct AddressPoolConfig {
  IpAddress first;
  std::uint32_t size = 0;
  std::vector<IpAddress> dns;
  // RFC 8598: the domains resolved through `dns`, sent as INTERNAL_DNS_DOMAIN beside the IPv4
  // DNS servers to a peer whose request asked for them ("corp.example").
  std::vector<std::string> dns_domains;
};

struct Config {
  Identity identity;
  IpAddress local_address;  // what an initiator sends from (its NAT-D hash needs it)
  std::vector<PeerConfig> peers;
  std::optional<AddressPoolConfig> pool;

  Duration ike_lifetime = std::chrono::hours(4);
  Duration child_lifetime = std::chrono::hours(1);
  // Rekeying starts this fraction of a lifetime before it ends, minus up to half as much again
  // at random so that two peers rarely start at once.
  double rekey_margin = 0.1;
  Duration liveness_interval = std::chrono::seconds(30);  // DPD, only without inbound traffic
  Duration nat_keepalive_interval = std::chrono::seconds(20);
  // Waits after each transmission of a request; the last one expiring gives up.
  std::vector<Duration> retransmit_timeouts = {std::chrono::seconds(1), std::chrono::seconds(2),
                                               std::chrono::seconds(4), std::chrono::seconds(8),
                                               std::chrono::seconds(16)};
  Duration half_open_timeout = std::chrono::seconds(30);
  // Put ESP in UDP (port 4500) even without a NAT, by sending a NAT_DETECTION_SOURCE_IP that
  // cannot match (as strongSwan's encap=yes does, RFC 7296 2.23 allows it): a userspace data
  // path receives UDP, not raw ESP.
  bool force_udp_encapsulation = false;
  std::size_t cookie_threshold = 64;  // half-open IKE SAs before IKE_SA_INIT needs a cookie
  Duration cookie_secret_lifetime = std::chrono::minutes(2);
};

}  // namespace tandem::ipsec::ike::v2
