// The receive path: classifying datagrams, finding the session by receiver index, replay and
// expiry checks, decryption, session confirmation, roaming and the cryptokey-routing check on
// the inner source address (whitepaper sections 2, 5.4.6, 6.1).
#include "crypto/aead.hpp"
#include "packet/ip_packet.hpp"
#include "packet/tcp_mss.hpp"
#include "wireguard/device.hpp"

namespace tandem::wireguard {

ReceiveVerdict Device::prepare_receive(Packet& packet, TimePoint now, OpenJob& job,
                                       DeviceActions& actions) {
  const ByteView msg = packet.bytes();
  const Classified kind = classify_message(msg);
  if (!kind.type) {
    drop(kind.drop);
    return ReceiveVerdict::kDropped;
  }
  switch (*kind.type) {
    case MessageType::kHandshakeInitiation:
      handle_initiation(packet, now, actions);
      return ReceiveVerdict::kHandled;
    case MessageType::kHandshakeResponse:
      handle_response(packet, now, actions);
      return ReceiveVerdict::kHandled;
    case MessageType::kCookieReply:
      handle_cookie_reply(packet, now, actions);
      return ReceiveVerdict::kHandled;
    case MessageType::kTransportData:
      break;
  }
  const std::uint32_t index = load_le32(msg.data() + TransportLayout::kReceiver);
  auto it = indices_.find(index);
  Peer* peer = it == indices_.end() ? nullptr : find(it->second);
  Keypair* keypair = peer ? peer->keypair_by_index(index) : nullptr;
  if (!keypair) {
    drop(DropReason::kUnknownReceiver);
    return ReceiveVerdict::kDropped;
  }
  if (!keypair->can_receive(now)) {
    drop(DropReason::kExpiredKeypair);
    return ReceiveVerdict::kDropped;
  }
  const std::uint64_t counter = load_le64(msg.data() + TransportLayout::kCounter);
  if (!keypair->replay.may_accept(counter)) {
    drop(DropReason::kReplayedCounter);
    return ReceiveVerdict::kDropped;
  }
  job.key = keypair->receive_key;
  job.counter = counter;
  job.peer = peer->id;
  job.local_index = index;
  job.datagram_size = msg.size();
  return ReceiveVerdict::kOpen;
}

bool Device::open(Packet& packet, const OpenJob& job) {
  std::byte* const ciphertext = packet.slot + packet.offset + TransportLayout::kHeaderSize;
  const std::size_t ciphertext_length = packet.length - TransportLayout::kHeaderSize;
  const auto nonce = crypto::wireguard_nonce(job.counter);
  if (!crypto::chacha20poly1305_open(job.key.bytes(), nonce, {},
                                     ByteView(ciphertext, ciphertext_length),
                                     MutableByteView(ciphertext, ciphertext_length - kTagSize)))
    return false;
  packet.set_range(packet.offset + TransportLayout::kHeaderSize, ciphertext_length - kTagSize);
  return true;
}

bool Device::complete_receive(Packet& packet, bool opened, const OpenJob& job, TimePoint now,
                              DeviceActions& actions) {
  if (!opened) {
    drop(DropReason::kDecryptFailed);
    return false;
  }
  // The session may have been replaced or the peer removed while we decrypted unlocked.
  Peer* peer = find(job.peer);
  Keypair* keypair = peer ? peer->keypair_by_index(job.local_index) : nullptr;
  if (!keypair) {
    drop(DropReason::kExpiredKeypair);
    return false;
  }
  if (!keypair->replay.accept(job.counter)) {
    drop(DropReason::kReplayedCounter);
    return false;
  }
  if (keypair == peer->next.get()) {
    // The initiator's first data on the new session confirms it: it becomes current.
    destroy_keypair(peer->previous);
    peer->previous = std::move(peer->current);
    peer->current = std::move(peer->next);
    peer->timers.handshake_complete();
    peer->last_handshake = wall_.wall_now();
    actions.on_event({DeviceEvent::Kind::kHandshakeCompleted, peer->id, false, packet.endpoint});
    send_staged(*peer, now, actions);
  }
  peer->rx_bytes += job.datagram_size;
  update_endpoint(*peer, packet.endpoint, actions);
  peer->timers.any_authenticated_packet_received();
  peer->timers.any_authenticated_packet_traversal(now, peer->persistent_keepalive_interval);

  // Near the end of a session we started, start the next one before it expires.
  Keypair* current = peer->current.get();
  if (current && current->we_initiated && !peer->timers.sent_lastminute_handshake &&
      now - current->created >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout) {
    peer->timers.sent_lastminute_handshake = true;
    send_initiation(*peer, false, now, actions);
  }

  if (packet.length == 0) return false;  // a keepalive: authenticated, nothing to deliver
  const auto header = packet::parse_ip_header(packet.bytes());
  if (!header) {
    drop(DropReason::kBadInnerPacket);
    return false;
  }
  const auto source_peer = header->family == IpAddress::Family::kV4
                               ? allowed_ips_.lookup_v4(header->source)
                               : allowed_ips_.lookup_v6(header->source);
  if (!source_peer || *source_peer != peer->id) {
    drop(DropReason::kSourceNotAllowed);
    return false;
  }
  peer->timers.data_received(now);
  packet.length = header->total_length;
  // SYN-ACKs from a peer whose path is smaller than the device: the hosts here then send it
  // segments that fit.
  if (const std::size_t limit = inner_mtu(*peer); limit < mtu_)
    packet::clamp_tcp_mss_to_mtu(packet.bytes(), limit);
  return true;
}

}  // namespace tandem::wireguard
