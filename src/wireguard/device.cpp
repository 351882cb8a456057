// Device configuration, the index table and the whole-path entry points.
#include "wireguard/device.hpp"

#include <algorithm>

namespace tandem::wireguard {

Device::Device(Rng& rng, WallClock& wall) : rng_(rng), wall_(wall) {}
Device::~Device() = default;

Peer* Device::find(PeerId id) {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

const Peer* Device::peer(PeerId id) const {
  auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

std::vector<PeerId> Device::peer_ids() const {
  return peer_order_;
}

std::uint64_t Device::total_drops() const {
  std::uint64_t total = 0;
  for (auto d : drops_) total += d;
  return total;
}

Duration Device::jitter() {
  // Uniform in [0, REKEY_TIMEOUT_JITTER_MAX) so peers that lost contact together do not
  // retry in lockstep.
  const auto max_ns = std::chrono::duration_cast<Duration>(kRekeyTimeoutJitterMax).count();
  return Duration(static_cast<Duration::rep>(rng_.next_u64() % static_cast<std::uint64_t>(max_ns)));
}

std::uint32_t Device::allocate_index(PeerId peer) {
  for (;;) {
    const std::uint32_t index = rng_.next_u32();
    if (indices_.emplace(index, peer).second) return index;
  }
}

void Device::release_index(std::uint32_t index) {
  indices_.erase(index);
}

void Device::destroy_keypair(std::unique_ptr<Keypair>& keypair) {
  if (!keypair) return;
  release_index(keypair->local_index);
  keypair.reset();
}

void Device::clear_sessions(Peer& peer) {
  destroy_keypair(peer.previous);
  destroy_keypair(peer.current);
  destroy_keypair(peer.next);
  if (peer.handshake.stage == HandshakeStage::kCreatedInitiation)
    release_index(peer.handshake.local_index);
  peer.handshake.clear();
}

void Device::set_private_key(const std::optional<PrivateKey>& key) {
  if (key && identity_ &&
      std::equal(key->bytes().begin(), key->bytes().end(), identity_->private_key.bytes().begin()))
    return;
  if (!key && !identity_) return;
  if (key) {
    identity_ = make_static_identity(*key);
    cookie_checker_.set_identity(*identity_);
  } else {
    identity_.reset();
  }
  std::vector<PeerId> self_peers;
  for (auto& [id, peer] : peers_) {
    clear_sessions(*peer);
    forget_static_static(peer->remote);
    if (identity_ && peer->remote.public_key == identity_->public_key) self_peers.push_back(id);
  }
  for (PeerId id : self_peers) remove_peer(id);
}

PeerId Device::add_peer(const PublicKey& public_key) {
  if (auto existing = find_peer(public_key)) return *existing;
  auto peer = std::make_unique<Peer>();
  peer->id = next_peer_id_++;
  // The static-static DH waits for the peer's first handshake (ensure_static_static).
  peer->remote = make_remote_static(public_key, Key{});
  const PeerId id = peer->id;
  peers_.emplace(id, std::move(peer));
  peer_order_.push_back(id);
  by_key_.emplace(public_key, id);
  return id;
}

std::optional<PeerId> Device::find_peer(const PublicKey& public_key) const {
  const auto it = by_key_.find(public_key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

void Device::remove_peer(PeerId id) {
  Peer* peer = find(id);
  if (!peer) return;
  clear_sessions(*peer);
  allowed_ips_.remove_value(id);
  by_key_.erase(peer->remote.public_key);
  peers_.erase(id);
  peer_order_.erase(std::remove(peer_order_.begin(), peer_order_.end(), id), peer_order_.end());
}

void Device::remove_all_peers() {
  while (!peer_order_.empty()) remove_peer(peer_order_.back());
}

void Device::set_preshared_key(PeerId id, const std::optional<Key>& psk) {
  Peer* peer = find(id);
  if (!peer) return;
  peer->has_preshared_key = psk.has_value();
  peer->remote.preshared_key = psk ? *psk : Key{};
}

void Device::set_endpoint(PeerId id, const Endpoint& endpoint) {
  if (Peer* peer = find(id)) {
    if (peer->endpoint != endpoint) peer->path_mtu.reset();
    peer->endpoint = endpoint;
  }
}

void Device::set_persistent_keepalive(PeerId id, std::uint16_t seconds, TimePoint now,
                                      DeviceActions& actions) {
  Peer* peer = find(id);
  if (!peer) return;
  const bool turned_on = peer->persistent_keepalive_interval == 0 && seconds != 0;
  peer->persistent_keepalive_interval = seconds;
  if (seconds == 0) peer->timers.persistent_keepalive.reset();
  if (turned_on && peer->endpoint && identity_) send_keepalive(*peer, now, actions);
}

void Device::add_allowed_ip(PeerId id, const IpPrefix& prefix) {
  if (find(id)) allowed_ips_.insert(prefix, id);
}

void Device::clear_allowed_ips(PeerId id) {
  allowed_ips_.remove_value(id);
}

std::vector<IpPrefix> Device::allowed_ips(PeerId id) const {
  return allowed_ips_.prefixes_of(id);
}

bool Device::under_load(TimePoint now) {
  if (forced_under_load_) return true;
  // Count handshake messages per one-second window; a busy window keeps us under load for
  // the next second too (wireguard-go's UnderLoadAfterTime).
  if (now - load_window_start_ >= std::chrono::seconds(1)) {
    load_window_start_ = now;
    handshakes_in_window_ = 0;
  }
  if (++handshakes_in_window_ > under_load_threshold_)
    under_load_until_ = now + std::chrono::seconds(1);
  return under_load_until_ && now < *under_load_until_;
}

void Device::send_inner_packet(Packet& packet, TimePoint now, DeviceActions& actions) {
  SealJob job;
  if (prepare_send(packet, now, job, actions) != SendVerdict::kSeal) return;
  seal(packet, job);
  actions.send_datagram(packet.endpoint, packet.bytes());
}

void Device::receive_datagram(Packet& packet, TimePoint now, DeviceActions& actions) {
  OpenJob job;
  if (prepare_receive(packet, now, job, actions) != ReceiveVerdict::kOpen) return;
  const bool opened = open(packet, job);
  if (complete_receive(packet, opened, job, now, actions))
    actions.deliver_inner_packet(packet.bytes());
}

}  // namespace tandem::wireguard
