// The gateway's router: which path an inner packet leaves on, and whether one that arrived may
// enter. Paths are attached to the account that authenticated on them (a WireGuard peer's key, a
// PPP login, an IKE identity); an account may have several live at once. Outbound, a packet goes
// to the account that owns its destination address and, of that account's live paths, to the one
// on which its most recent authenticated packet arrived, as WireGuard follows a roaming endpoint.
// Inbound, a packet is accepted only from a source its path's account owns (cryptokey routing for
// every protocol), so no account can send from another's address.
//
// An account with several live paths may send different traffic on each (a client's traffic
// rules, traffic_policy.hpp): the router remembers which path each of its flows (protocol,
// addresses, ports) last arrived on, and replies to a flow leave on that path, so a class of
// traffic stays on its tunnel both ways. Traffic of no known flow uses the return path. The flow
// memory is bounded (it starts over when full) and costs nothing for accounts with one path.
//
// In-tunnel health probes addressed to the gateway's own inner address are recognised here: they
// are answered on the path they came by and do not move the account's return path (a client
// probes its standby path too). Sans-I/O and single-threaded; route() never allocates, nor does
// on_inbound() but to remember a new flow of an account with several paths.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "hybrid/accounts.hpp"
#include "hybrid/path.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::hybrid {

enum class InboundVerdict : std::uint8_t {
  kDeliver,      // write it to the TUN device
  kProbe,        // a health probe for this gateway: answer it on the same path (probe.hpp)
  kSpoofed,      // its source is not an address of the path's account
  kUnknownPath,  // the path is not attached (or was detached)
  kMalformed,    // not a whole IPv4/IPv6 packet
};

enum class RouteDrop : std::uint8_t {
  kMalformed,
  kNoAccount,   // no account owns the destination
  kNoLivePath,  // the account has no path attached
  kDisabled,    // the account is disabled
};

struct RouteDecision {
  std::optional<PathId> path;  // where it goes, or nullopt with `drop` saying why
  RouteDrop drop = RouteDrop::kNoAccount;
};

struct GatewayRouterStats {
  std::uint64_t delivered = 0;
  std::uint64_t routed = 0;
  std::uint64_t probes = 0;
  std::uint64_t spoofed = 0;
  std::uint64_t unknown_path = 0;
  std::uint64_t malformed = 0;
  std::uint64_t no_account = 0;
  std::uint64_t no_live_path = 0;
  std::uint64_t disabled = 0;
  std::uint64_t path_moves = 0;   // an account's return path changed
  std::uint64_t flow_routed = 0;  // sent on the path their flow arrived by, not the return path
};

class GatewayRouter {
 public:
  // `accounts` must outlive the router. `own_addresses` are the gateway's inner addresses, which
  // probes are sent to.
  GatewayRouter(const AccountTable& accounts, std::vector<IpAddress> own_addresses);

  // `path` now carries `account` (it authenticated). The first path of an account becomes its
  // return path; later ones wait until a packet arrives on them. A disabled account is refused
  // (false).
  bool attach(PathId path, AccountId account, TimePoint now);
  // The path is gone; when it was its account's return path, the most recently used of the
  // account's remaining paths takes over.
  void detach(PathId path);

  // An authenticated inner packet that arrived on `path`. kDeliver also makes `path` the return
  // path of its account.
  InboundVerdict on_inbound(PathId path, ByteView packet, TimePoint now);
  // Where a packet read from the TUN device goes.
  RouteDecision route(ByteView packet) const;

  // The accounts were replaced (a reload): from now on the router reads `accounts` (which must
  // outlive it), and each attached path becomes the path and account `moved` maps it to, or is
  // detached when that is nothing or the account is now disabled. An account keeps its return
  // path and the order of its standbys (by latest use), so traffic to it goes on undisturbed.
  struct PathMove {
    PathId path = kNoPath;
    AccountId account = 0;
  };
  void rebind(const AccountTable& accounts,
              const std::function<std::optional<PathMove>(PathId)>& moved);

  std::optional<AccountId> account_of(PathId path) const;
  std::optional<PathId> return_path(AccountId account) const;
  // Every path of `account`, the return path first.
  std::vector<PathId> paths_of(AccountId account) const;
  // How often `account`'s return path moved since it last had no path at all (its failovers
  // and failbacks as the gateway sees them).
  std::uint64_t path_moves_of(AccountId account) const;
  const GatewayRouterStats& stats() const { return stats_; }

  static constexpr std::size_t kMaxFlows = 65536;
  std::size_t flows() const { return flows_.size(); }

 private:
  // A flow as seen arriving (source first); replies look it up reversed.
  struct FlowId {
    std::array<std::byte, 16> source{};
    std::array<std::byte, 16> destination{};
    std::uint16_t source_port = 0;
    std::uint16_t destination_port = 0;
    std::uint8_t protocol = 0;
    std::uint8_t family = 0;
    bool operator==(const FlowId&) const = default;
  };
  struct FlowHash {
    std::size_t operator()(const FlowId& f) const;
  };
  // The flow of a parsed packet; `reversed` swaps its ends (a reply's view).
  static FlowId flow_of(ByteView packet, const packet::IpHeaderView& header, bool reversed);

  struct Attachment {
    AccountId account = 0;
    TimePoint last_inbound{};
  };
  struct AccountPaths {
    std::vector<PathId> paths;
    PathId current = kNoPath;
    std::uint64_t moves = 0;
  };

  bool is_own_address(const std::byte* address, std::size_t size) const;

  const AccountTable* accounts_;
  std::vector<IpAddress> own_addresses_;
  std::unordered_map<PathId, Attachment> attachments_;
  std::unordered_map<AccountId, AccountPaths> by_account_;
  std::unordered_map<FlowId, PathId, FlowHash> flows_;  // accounts with several paths only
  mutable GatewayRouterStats stats_;
};

}  // namespace tandem::hybrid
