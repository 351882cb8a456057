// Tunnel demultiplexing and the data plane of RFC 2661 (sections 3.1 and 5.1).
#include "l2tp/node.hpp"

#include <algorithm>

namespace tandem::l2tp {

Node::Node(NodeConfig config, Rng& rng) : config_(std::move(config)), rng_(&rng) {}

std::uint16_t Node::allocate_tunnel_id() {
  for (;;) {
    const auto id = static_cast<std::uint16_t>(rng_->next_u32());
    if (id != 0 && !tunnels_.contains(id)) return id;
  }
}

Result<std::uint16_t, std::string> Node::open_tunnel(const Endpoint& lns, TimePoint now,
                                                     Actions& actions) {
  if (tunnels_.size() >= config_.max_tunnels) return Err(std::string("tunnel limit reached"));
  const auto id = allocate_tunnel_id();
  tunnels_[id] = std::make_unique<Tunnel>(Tunnel::initiate(id, lns, config_, *rng_, now, actions));
  return id;
}

Result<SessionRef, std::string> Node::open_session(std::uint16_t tunnel_id, TimePoint now,
                                                   Actions& actions) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end() || it->second->state() == TunnelState::kClosing)
    return Err(std::string("no such tunnel"));
  if (it->second->sessions().size() >= config_.max_sessions_per_tunnel)
    return Err(std::string("session limit reached"));
  const auto session = it->second->open_session(next_call_serial_++, now, actions);
  return SessionRef{tunnel_id, session};
}

void Node::close_session(SessionRef ref, CdnResult result, std::string_view reason, TimePoint now,
                         Actions& actions) {
  auto it = tunnels_.find(ref.tunnel_id);
  if (it != tunnels_.end()) it->second->close_session(ref.session_id, result, reason, now, actions);
}

void Node::close_tunnel(std::uint16_t tunnel_id, StopCcnResult result, std::string_view reason,
                        TimePoint now, Actions& actions) {
  auto it = tunnels_.find(tunnel_id);
  if (it == tunnels_.end()) return;
  it->second->close(result, reason, now, actions);
  reap();
}

void Node::on_datagram(ByteView datagram, const Endpoint& from, TimePoint now, Actions& actions) {
  auto header = parse_header(datagram);
  if (!header) {
    drop(DropReason::kMalformedHeader);
    return;
  }
  if (header->is_control && header->tunnel_id == 0) {
    on_sccrq(*header, from, now, actions);
    reap();
    return;
  }
  auto it = tunnels_.find(header->tunnel_id);
  if (it == tunnels_.end()) {
    drop(DropReason::kUnknownTunnel);
    return;
  }
  Tunnel& t = *it->second;
  // 8.1 lets an LNS answer SCCRQ from another port, so an initiator learns the port from SCCRP;
  // after that the peer is pinned to its address and port.
  if (from != t.peer()) {
    if (!header->is_control || t.state() != TunnelState::kWaitCtlReply ||
        from.address != t.peer().address) {
      drop(DropReason::kWrongSource);
      return;
    }
    t.repin_peer(from);
  }
  if (header->is_control) {
    t.on_control(*header, now, actions);
    reap();
    return;
  }
  if (t.state() != TunnelState::kEstablished ||
      t.established_session(header->session_id) == nullptr) {
    drop(DropReason::kUnknownSession);
    return;
  }
  ++stats_.data_received;
  actions.frames.push_back({{t.local_id(), header->session_id}, header->payload});
}

void Node::on_sccrq(const Header& header, const Endpoint& from, TimePoint now, Actions& actions) {
  if (header.payload.empty()) {
    drop(DropReason::kUnknownTunnel);  // a ZLB for tunnel 0 means nothing
    return;
  }
  auto decoded = decode_control_message(header.payload, config_.secret);
  if (!decoded || decoded->type != MessageType::kSccrq) {
    drop(DropReason::kBadSccrq);
    return;
  }
  if (!config_.accept_tunnels) {
    drop(DropReason::kUnsolicitedSccrq);
    return;
  }
  // A retransmitted SCCRQ (our SCCRP was lost) belongs to the tunnel it already created; its
  // channel sees the duplicate and acknowledges it. A new SCCRQ from a peer that already has
  // tunnels (from its address, on any port) may mean the peer restarted, so those tunnels are
  // probed now rather than in a minute.
  const auto peer_tunnel = decoded->assigned_tunnel_id.value_or(0);
  for (auto& [id, t] : tunnels_) {
    if (t->peer() != from) continue;
    if (t->peer_id() == peer_tunnel) {
      t->on_control(header, now, actions);
      return;
    }
  }
  if (tunnels_.size() >= config_.max_tunnels) {
    drop(DropReason::kTunnelLimit);
    return;
  }
  // By address, not port: a restarted LAC usually comes back from a new ephemeral port.
  for (auto& [id, t] : tunnels_)
    if (t->peer().address == from.address) t->probe(now, actions);
  const auto id = allocate_tunnel_id();
  tunnels_[id] = std::make_unique<Tunnel>(
      Tunnel::respond(id, from, header, *decoded, config_, *rng_, now, actions));
}

void Node::on_timer(TimePoint now, Actions& actions) {
  for (auto& [id, t] : tunnels_)
    if (t->next_deadline() <= now) t->on_timer(now, actions);
  reap();
}

TimePoint Node::next_deadline() const {
  TimePoint next = TimePoint::max();
  for (const auto& [id, t] : tunnels_) next = std::min(next, t->next_deadline());
  return next;
}

bool Node::encapsulate(SessionRef ref, Packet& packet) {
  auto it = tunnels_.find(ref.tunnel_id);
  if (it == tunnels_.end() || it->second->state() != TunnelState::kEstablished) return false;
  const Session* s = it->second->established_session(ref.session_id);
  if (s == nullptr || packet.headroom() < kDataHeadroom) return false;
  packet.set_range(packet.offset - kDataHeadroom, packet.length + kDataHeadroom);
  write_data_header(packet.bytes().data(), it->second->peer_id(), s->peer_id);
  packet.endpoint = it->second->peer();
  ++stats_.data_sent;
  return true;
}

const Tunnel* Node::tunnel(std::uint16_t id) const {
  auto it = tunnels_.find(id);
  return it == tunnels_.end() ? nullptr : it->second.get();
}

std::vector<std::uint16_t> Node::tunnel_ids() const {
  std::vector<std::uint16_t> ids;
  ids.reserve(tunnels_.size());
  for (const auto& entry : tunnels_) ids.push_back(entry.first);
  return ids;
}

void Node::reap() {
  std::erase_if(tunnels_, [](const auto& e) { return e.second->finished(); });
}

}  // namespace tandem::l2tp
