// The send path: cryptokey routing of inner packets to peers, counters, padding, sealing,
// staging packets while a handshake is in flight, and keepalives (whitepaper sections 5.4.6,
// 6.2-6.5).
#include <algorithm>
#include <cstring>

#include "crypto/aead.hpp"
#include "packet/icmp_echo.hpp"
#include "packet/ip_packet.hpp"
#include "packet/tcp_mss.hpp"
#include "wireguard/device.hpp"

namespace tandem::wireguard {

std::size_t Device::padded_length(std::size_t length, std::size_t cap) {
  // Pad to a multiple of 16, but never past the MTU (a packet already at the MTU stays as is).
  const std::size_t rounded =
      (length + kMessagePaddingMultiple - 1) / kMessagePaddingMultiple * kMessagePaddingMultiple;
  if (length <= cap) return std::min(rounded, std::max(cap, length));
  return rounded;
}

void Device::after_data_sent(Peer& peer, Keypair& keypair, bool keepalive, TimePoint now,
                             DeviceActions& actions) {
  if (!keepalive) peer.timers.data_sent(now, jitter());
  peer.timers.any_authenticated_packet_traversal(now, peer.persistent_keepalive_interval);
  peer.timers.any_authenticated_packet_sent();
  // Keep the session fresh: the initiator rekeys after REKEY_AFTER_TIME, either side after
  // REKEY_AFTER_MESSAGES.
  if (keypair.next_send_counter > kRekeyAfterMessages ||
      (keypair.we_initiated && now - keypair.created >= kRekeyAfterTime))
    send_initiation(peer, false, now, actions);
}

void Device::assign_seal_job(Peer& peer, Keypair& keypair, std::size_t padded, SealJob& job) {
  job.key = keypair.send_key;
  job.counter = keypair.next_send_counter++;
  job.receiver = keypair.remote_index;
  job.padded_length = padded;
  job.to = *peer.endpoint;
  peer.tx_bytes += TransportLayout::kHeaderSize + job.padded_length + kTagSize;
}

SendVerdict Device::prepare_send(Packet& packet, TimePoint now, SealJob& job,
                                 DeviceActions& actions) {
  const auto header = packet::parse_ip_header(packet.bytes());
  if (!header) {
    drop(DropReason::kBadInnerPacket);
    return SendVerdict::kDropped;
  }
  packet.length = header->total_length;
  const auto peer_id = header->family == IpAddress::Family::kV4
                           ? allowed_ips_.lookup_v4(header->destination)
                           : allowed_ips_.lookup_v6(header->destination);
  Peer* peer = peer_id ? find(*peer_id) : nullptr;
  if (!peer) {
    drop(DropReason::kNoRouteToPeer);
    return SendVerdict::kDropped;
  }
  if (!identity_) {
    drop(DropReason::kNoPrivateKey);
    return SendVerdict::kDropped;
  }
  if (!peer->endpoint) {
    drop(DropReason::kNoEndpoint);
    return SendVerdict::kDropped;
  }
  // Held to what the underlay carries to this peer: larger packets go back to the caller, and
  // SYNs ask for no more (the device's own clamp is for the device MTU). A path MTU probe (or
  // the answer to one) is held only to what ICMP said: it is what tests a larger size. So is an
  // ICMP echo reply, which answers whatever probe the far end sends (an MTU search with pings,
  // a ping of a size): each end measures the path itself, not through what the other found, or
  // two ends that each held the other would never see a path grow. Both go at their exact size.
  expire_path_mtu(*peer, now);
  const bool exact_size = packet.mtu_probe || packet::is_icmp_echo_reply(packet.bytes());
  const std::size_t limit = exact_size ? probe_limit(*peer) : inner_mtu(*peer);
  if (packet.length > limit) {
    job.mtu = limit;
    return SendVerdict::kTooBig;
  }
  if (limit < mtu_) packet::clamp_tcp_mss_to_mtu(packet.bytes(), limit);
  Keypair* keypair = peer->current.get();
  if (packet.mtu_probe && (!keypair || !keypair->can_send(now))) {
    // Held for a handshake it would go padded, measuring a size it is not; the prober retries.
    drop(DropReason::kNoSession);
    return SendVerdict::kDropped;
  }
  if (!packet.mtu_probe) ++peer->data_packets_sent;
  if (!keypair || !keypair->can_send(now)) {
    bool dropped_oldest = false;
    if (!peer->staged.push(packet.bytes(), dropped_oldest)) {
      drop(DropReason::kNoBufferRoom);
      return SendVerdict::kDropped;
    }
    if (dropped_oldest) drop(DropReason::kStagedQueueFull);
    send_initiation(*peer, false, now, actions);
    return SendVerdict::kStaged;
  }
  // A probe goes as it is: padding would make it measure a size it is not.
  const std::size_t padded = exact_size ? packet.length : padded_length(packet.length, limit);
  if (packet.headroom() < kHeadroom || packet.slot_size - packet.offset < padded + kTagSize) {
    drop(DropReason::kNoBufferRoom);
    return SendVerdict::kDropped;
  }
  assign_seal_job(*peer, *keypair, padded, job);
  after_data_sent(*peer, *keypair, false, now, actions);
  return SendVerdict::kSeal;
}

void Device::seal(Packet& packet, const SealJob& job) {
  std::byte* const plaintext = packet.slot + packet.offset;
  std::memset(plaintext + packet.length, 0, job.padded_length - packet.length);
  std::byte* const header = plaintext - TransportLayout::kHeaderSize;
  store_le32(header, static_cast<std::uint32_t>(MessageType::kTransportData));
  store_le32(header + TransportLayout::kReceiver, job.receiver);
  store_le64(header + TransportLayout::kCounter, job.counter);
  const auto nonce = crypto::wireguard_nonce(job.counter);
  crypto::chacha20poly1305_seal(job.key.bytes(), nonce, {}, ByteView(plaintext, job.padded_length),
                                MutableByteView(plaintext, job.padded_length + kTagSize));
  packet.set_range(packet.offset - TransportLayout::kHeaderSize,
                   TransportLayout::kHeaderSize + job.padded_length + kTagSize);
  packet.endpoint = job.to;
}

void Device::seal_and_send(Peer& peer, Keypair& keypair, ByteView inner, TimePoint now,
                           DeviceActions& actions) {
  Packet p;
  p.slot = scratch_.data();
  p.slot_size = scratch_.size();
  p.offset = kHeadroom;
  p.length = inner.size();
  std::copy(inner.begin(), inner.end(), scratch_.begin() + kHeadroom);
  SealJob job;
  assign_seal_job(peer, keypair, padded_length(inner.size(), inner_mtu(peer)), job);
  seal(p, job);
  actions.send_datagram(p.endpoint, p.bytes());
  after_data_sent(peer, keypair, inner.empty(), now, actions);
}

void Device::send_keepalive(Peer& peer, TimePoint now, DeviceActions& actions) {
  if (!peer.staged.empty()) {
    send_staged(peer, now, actions);
    return;
  }
  Keypair* keypair = peer.current.get();
  if (!peer.endpoint) return;
  if (!keypair || !keypair->can_send(now)) {
    send_initiation(peer, false, now, actions);
    return;
  }
  seal_and_send(peer, *keypair, {}, now, actions);
}

void Device::send_staged(Peer& peer, TimePoint now, DeviceActions& actions) {
  while (!peer.staged.empty()) {
    Keypair* keypair = peer.current.get();
    if (!peer.endpoint || !keypair || !keypair->can_send(now)) {
      send_initiation(peer, false, now, actions);
      return;
    }
    seal_and_send(peer, *keypair, peer.staged.front(), now, actions);
    peer.staged.pop();
  }
}

}  // namespace tandem::wireguard
