#include "wireguard/messages.hpp"

namespace tandem::wireguard {

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kTooShort:
      return "too_short";
    case DropReason::kUnknownType:
      return "unknown_type";
    case DropReason::kWrongSize:
      return "wrong_size";
    case DropReason::kBadMac1:
      return "bad_mac1";
    case DropReason::kCookieRequired:
      return "cookie_required";
    case DropReason::kRateLimited:
      return "rate_limited";
    case DropReason::kUnknownReceiver:
      return "unknown_receiver";
    case DropReason::kNoPrivateKey:
      return "no_private_key";
    case DropReason::kUnknownPeer:
      return "unknown_peer";
    case DropReason::kHandshakeDecryptFailed:
      return "handshake_decrypt_failed";
    case DropReason::kReplayedTimestamp:
      return "replayed_timestamp";
    case DropReason::kInitiationFlood:
      return "initiation_flood";
    case DropReason::kUnexpectedResponse:
      return "unexpected_response";
    case DropReason::kBadCookieReply:
      return "bad_cookie_reply";
    case DropReason::kExpiredKeypair:
      return "expired_keypair";
    case DropReason::kReplayedCounter:
      return "replayed_counter";
    case DropReason::kDecryptFailed:
      return "decrypt_failed";
    case DropReason::kBadInnerPacket:
      return "bad_inner_packet";
    case DropReason::kSourceNotAllowed:
      return "source_not_allowed";
    case DropReason::kNoRouteToPeer:
      return "no_route_to_peer";
    case DropReason::kNoEndpoint:
      return "no_endpoint";
    case DropReason::kStagedQueueFull:
      return "staged_queue_full";
    case DropReason::kNoBufferRoom:
      return "no_buffer_room";
    case DropReason::kNoSession:
      return "no_session";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

Classified classify_message(ByteView datagram) {
  if (datagram.size() < 4) return {std::nullopt, DropReason::kTooShort};
  // The type is one byte followed by three reserved zero bytes, read as a little-endian u32.
  const std::uint32_t type = load_le32(datagram.data());
  const std::size_t n = datagram.size();
  switch (type) {
    case static_cast<std::uint32_t>(MessageType::kHandshakeInitiation):
      if (n != InitiationLayout::kSize) return {std::nullopt, DropReason::kWrongSize};
      return {MessageType::kHandshakeInitiation, DropReason::kCount};
    case static_cast<std::uint32_t>(MessageType::kHandshakeResponse):
      if (n != ResponseLayout::kSize) return {std::nullopt, DropReason::kWrongSize};
      return {MessageType::kHandshakeResponse, DropReason::kCount};
    case static_cast<std::uint32_t>(MessageType::kCookieReply):
      if (n != CookieReplyLayout::kSize) return {std::nullopt, DropReason::kWrongSize};
      return {MessageType::kCookieReply, DropReason::kCount};
    case static_cast<std::uint32_t>(MessageType::kTransportData):
      if (n < TransportLayout::kMinSize) return {std::nullopt, DropReason::kWrongSize};
      return {MessageType::kTransportData, DropReason::kCount};
    default:
      return {std::nullopt, DropReason::kUnknownType};
  }
}

}  // namespace tandem::wireguard
