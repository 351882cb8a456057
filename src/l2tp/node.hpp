// An L2TP node (RFC 2661): many tunnels, each with many sessions, in either role. It routes each
// datagram to its tunnel, creates responder tunnels for SCCRQs (LNS), dials tunnels and places
// calls (LAC), carries PPP frames in data messages, and runs every tunnel's timers.
// Sans-I/O and single-threaded: bytes, endpoints and `now` in; Actions out.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/packet.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "l2tp/events.hpp"
#include "l2tp/node_config.hpp"
#include "l2tp/tunnel.hpp"

namespace tandem::l2tp {

// Why a datagram was dropped; every drop is counted.
enum class DropReason : std::uint8_t {
  kMalformedHeader,
  kUnknownTunnel,
  kWrongSource,
  kUnknownSession,  // data for a session that is not established
  kUnsolicitedSccrq,
  kBadSccrq,
  kTunnelLimit,
  kCount,
};

struct NodeStats {
  std::uint64_t drops[static_cast<std::size_t>(DropReason::kCount)] = {};
  std::uint64_t data_received = 0;
  std::uint64_t data_sent = 0;
  std::uint64_t drops_of(DropReason r) const { return drops[static_cast<std::size_t>(r)]; }
};

class Node {
 public:
  // Bytes a caller must leave in front of a PPP frame for encapsulate().
  static constexpr std::size_t kDataHeadroom = kMinimalDataHeaderSize;

  Node(NodeConfig config, Rng& rng);
  // Tunnels point at the node's config: a node stays where it was made.
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // LAC: dials an LNS. Returns our tunnel id.
  Result<std::uint16_t, std::string> open_tunnel(const Endpoint& lns, TimePoint now,
                                                 Actions& actions);
  // LAC: places an incoming call on a tunnel (sent as soon as the tunnel is up).
  Result<SessionRef, std::string> open_session(std::uint16_t tunnel_id, TimePoint now,
                                               Actions& actions);
  void close_session(SessionRef ref, CdnResult result, std::string_view reason, TimePoint now,
                     Actions& actions);
  void close_tunnel(std::uint16_t tunnel_id, StopCcnResult result, std::string_view reason,
                    TimePoint now, Actions& actions);

  // LNS: SCCRQs that would open new tunnels are dropped from now on (shutting down); existing
  // tunnels carry on until they are closed.
  void stop_accepting_tunnels() { config_.accept_tunnels = false; }

  void on_datagram(ByteView datagram, const Endpoint& from, TimePoint now, Actions& actions);
  void on_timer(TimePoint now, Actions& actions);
  TimePoint next_deadline() const;

  // Wraps the PPP frame in `packet` (which needs kDataHeadroom) in a data message for `ref` and
  // sets its destination. False when the session is not established.
  bool encapsulate(SessionRef ref, Packet& packet);

  const Tunnel* tunnel(std::uint16_t id) const;
  std::size_t tunnel_count() const { return tunnels_.size(); }
  std::vector<std::uint16_t> tunnel_ids() const;
  const NodeStats& stats() const { return stats_; }
  const NodeConfig& config() const { return config_; }

 private:
  void drop(DropReason r) { ++stats_.drops[static_cast<std::size_t>(r)]; }
  void on_sccrq(const Header& header, const Endpoint& from, TimePoint now, Actions& actions);
  std::uint16_t allocate_tunnel_id();
  void reap();

  NodeConfig config_;
  Rng* rng_;
  std::map<std::uint16_t, std::unique_ptr<Tunnel>> tunnels_;
  std::uint32_t next_call_serial_ = 1;
  NodeStats stats_;
};

}  // namespace tandem::l2tp
