// A decoded L2TP control message (RFC 2661 sections 4.4 and 6): the message type and every AVP
// Tandem understands, as typed optional fields; plus the encoder that writes one back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"
#include "l2tp/protocol.hpp"

namespace tandem::l2tp {

struct ResultCodeValue {
  std::uint16_t result = 0;
  std::optional<std::uint16_t> error;
  std::string message;
};

struct ControlMessage {
  MessageType type = MessageType::kHello;
  std::optional<ResultCodeValue> result_code;
  std::optional<std::uint16_t> protocol_version;  // version << 8 | revision; 0x0100 for L2TPv2
  std::optional<std::uint32_t> framing_capabilities;
  std::optional<std::uint32_t> bearer_capabilities;
  std::optional<std::array<std::byte, 8>> tie_breaker;
  std::optional<std::uint16_t> firmware_revision;
  std::optional<std::string> host_name;
  std::optional<std::string> vendor_name;
  std::optional<std::uint16_t> assigned_tunnel_id;
  std::optional<std::uint16_t> receive_window_size;
  std::optional<std::vector<std::byte>> challenge;
  std::optional<std::array<std::byte, 16>> challenge_response;
  std::optional<std::uint16_t> assigned_session_id;
  std::optional<std::uint32_t> call_serial_number;
  std::optional<std::uint32_t> bearer_type;
  std::optional<std::uint32_t> framing_type;
  std::optional<std::uint32_t> tx_connect_speed;
  std::optional<std::uint32_t> rx_connect_speed;
  std::optional<std::string> called_number;
  std::optional<std::string> calling_number;
  bool sequencing_required = false;
};

enum class MessageError : std::uint8_t {
  kMalformedAvp,            // an AVP header or length is wrong
  kFirstAvpNotMessageType,  // 4.4.1: Message Type must come first
  kUnknownMessageType,      // with the M bit: the tunnel must be cleared
  kUnknownMandatoryAvp,     // 4.1: the session or tunnel must be cleared
  kBadAvpValue,             // a known AVP with a wrong-sized value
  kHiddenWithoutSecret,     // a hidden AVP, but no secret or no Random Vector before it
};

struct DecodeFailure {
  MessageError error;
  // Whether the failure is about a message the peer marked mandatory (the caller must then tear
  // the tunnel or session down rather than ignore the message).
  bool mandatory = true;
  std::optional<MessageType> type;  // when the Message Type AVP was read
};

// Decodes the AVPs of a non-empty control message body. `secret` reveals hidden AVPs.
Result<ControlMessage, DecodeFailure> decode_control_message(ByteView body,
                                                             std::string_view secret);

// Options for encoding: which AVP types to hide (needs a non-empty secret and an Rng).
struct EncodeOptions {
  std::string_view secret;
  std::span<const AvpType> hide;
  Rng* rng = nullptr;
};

// Appends the AVPs of `message` to `out` (no L2TP header).
void encode_control_message(const ControlMessage& message, const EncodeOptions& options,
                            std::vector<std::byte>& out);

const char* message_type_name(MessageType type);

}  // namespace tandem::l2tp
