// RFC 2661 section 4.4: AVP values of the control messages Tandem speaks (section 6).
#include "l2tp/control_message.hpp"

#include <algorithm>

#include "l2tp/avp.hpp"

namespace tandem::l2tp {
namespace {

bool is_known_message_type(std::uint16_t t) {
  return (t >= 1 && t <= 4) || (t >= 6 && t <= 12) || (t >= 14 && t <= 16);
}

std::string to_string(ByteView v) {
  return {reinterpret_cast<const char*>(v.data()), v.size()};
}

// Stores one AVP value into its field. Returns false when the value has the wrong size; unknown
// types are reported through `known`.
bool store_avp(ControlMessage& m, AvpType type, ByteView v, bool& known) {
  known = true;
  const auto u16 = [&](std::optional<std::uint16_t>& field) {
    if (v.size() != 2) return false;
    field = load_be16(v.data());
    return true;
  };
  const auto u32 = [&](std::optional<std::uint32_t>& field) {
    if (v.size() != 4) return false;
    field = load_be32(v.data());
    return true;
  };
  switch (type) {
    case AvpType::kResultCode: {
      if (v.size() < 2) return false;
      ResultCodeValue r;
      r.result = load_be16(v.data());
      if (v.size() >= 4) r.error = load_be16(v.data() + 2);
      if (v.size() > 4) r.message = to_string(v.subspan(4));
      m.result_code = std::move(r);
      return v.size() != 3;
    }
    case AvpType::kProtocolVersion:
      return u16(m.protocol_version);
    case AvpType::kFramingCapabilities:
      return u32(m.framing_capabilities);
    case AvpType::kBearerCapabilities:
      return u32(m.bearer_capabilities);
    case AvpType::kTieBreaker:
      if (v.size() != 8) return false;
      m.tie_breaker.emplace();
      std::copy(v.begin(), v.end(), m.tie_breaker->begin());
      return true;
    case AvpType::kFirmwareRevision:
      return u16(m.firmware_revision);
    case AvpType::kHostName:
      if (v.empty()) return false;
      m.host_name = to_string(v);
      return true;
    case AvpType::kVendorName:
      m.vendor_name = to_string(v);
      return true;
    case AvpType::kAssignedTunnelId:
      return u16(m.assigned_tunnel_id);
    case AvpType::kReceiveWindowSize:
      return u16(m.receive_window_size);
    case AvpType::kChallenge:
      if (v.empty()) return false;
      m.challenge.emplace(v.begin(), v.end());
      return true;
    case AvpType::kChallengeResponse:
      if (v.size() != 16) return false;
      m.challenge_response.emplace();
      std::copy(v.begin(), v.end(), m.challenge_response->begin());
      return true;
    case AvpType::kAssignedSessionId:
      return u16(m.assigned_session_id);
    case AvpType::kCallSerialNumber:
      return u32(m.call_serial_number);
    case AvpType::kBearerType:
      return u32(m.bearer_type);
    case AvpType::kFramingType:
      return u32(m.framing_type);
    case AvpType::kTxConnectSpeed:
      return u32(m.tx_connect_speed);
    case AvpType::kRxConnectSpeed:
      return u32(m.rx_connect_speed);
    case AvpType::kCalledNumber:
      m.called_number = to_string(v);
      return true;
    case AvpType::kCallingNumber:
      m.calling_number = to_string(v);
      return true;
    case AvpType::kSequencingRequired:
      m.sequencing_required = true;
      return v.empty();
    // Understood but not needed by Tandem's LAC or LNS: accepted and dropped.
    case AvpType::kQ931CauseCode:
    case AvpType::kMinimumBps:
    case AvpType::kMaximumBps:
    case AvpType::kSubAddress:
    case AvpType::kPhysicalChannelId:
    case AvpType::kInitialReceivedLcpConfReq:
    case AvpType::kLastSentLcpConfReq:
    case AvpType::kLastReceivedLcpConfReq:
    case AvpType::kProxyAuthenType:
    case AvpType::kProxyAuthenName:
    case AvpType::kProxyAuthenChallenge:
    case AvpType::kProxyAuthenId:
    case AvpType::kProxyAuthenResponse:
    case AvpType::kCallErrors:
    case AvpType::kAccm:
    case AvpType::kPrivateGroupId:
      return true;
    default:
      known = false;
      return true;
  }
}

}  // namespace

Result<ControlMessage, DecodeFailure> decode_control_message(ByteView body,
                                                             std::string_view secret) {
  AvpReader reader(body);
  ControlMessage m;
  std::optional<MessageType> type;
  bool type_mandatory = true;
  std::vector<std::byte> random_vector;
  std::vector<std::byte> revealed;
  const auto fail = [&](MessageError e, bool mandatory = true) {
    return Err(DecodeFailure{e, mandatory, type});
  };
  for (;;) {
    auto next = reader.next();
    if (!next) {
      // Reserved bits make an AVP "unknown" (4.1): fatal only if it claims to be mandatory.
      return fail(MessageError::kMalformedAvp, type_mandatory);
    }
    if (!next->has_value()) break;
    const Avp& avp = **next;
    if (!type) {
      if (avp.vendor_id != kIetfVendorId || avp.type != 0 || avp.hidden || avp.value.size() != 2)
        return fail(MessageError::kFirstAvpNotMessageType);
      const std::uint16_t t = load_be16(avp.value.data());
      type_mandatory = avp.mandatory;
      if (!is_known_message_type(t)) return fail(MessageError::kUnknownMessageType, avp.mandatory);
      type = static_cast<MessageType>(t);
      m.type = *type;
      continue;
    }
    if (avp.vendor_id != kIetfVendorId) {
      if (avp.mandatory) return fail(MessageError::kUnknownMandatoryAvp);
      continue;
    }
    ByteView value = avp.value;
    if (avp.type == static_cast<std::uint16_t>(AvpType::kRandomVector)) {
      random_vector.assign(value.begin(), value.end());
      continue;
    }
    if (avp.hidden) {
      if (secret.empty() || random_vector.empty()) return fail(MessageError::kHiddenWithoutSecret);
      auto shown = unhide_avp_value(avp.type, value, secret, random_vector, revealed);
      if (!shown) return fail(MessageError::kBadAvpValue);
      value = *shown;
    }
    bool known = false;
    if (!store_avp(m, static_cast<AvpType>(avp.type), value, known))
      return fail(MessageError::kBadAvpValue);
    if (!known && avp.mandatory) return fail(MessageError::kUnknownMandatoryAvp);
  }
  if (!type) return fail(MessageError::kFirstAvpNotMessageType);
  return m;
}

void encode_control_message(const ControlMessage& m, const EncodeOptions& options,
                            std::vector<std::byte>& out) {
  AvpWriter w = options.rng != nullptr ? AvpWriter(out, options.secret, options.hide, *options.rng)
                                       : AvpWriter(out);
  w.add_u16(AvpType::kMessageType, static_cast<std::uint16_t>(m.type));
  if (m.result_code) {
    std::vector<std::byte> v(2);
    store_be16(v.data(), m.result_code->result);
    if (m.result_code->error || !m.result_code->message.empty()) {
      v.resize(4);
      store_be16(v.data() + 2, m.result_code->error.value_or(0));
      const auto text = as_bytes(m.result_code->message);
      v.insert(v.end(), text.begin(), text.end());
    }
    w.add_bytes(AvpType::kResultCode, v);
  }
  if (m.protocol_version) w.add_u16(AvpType::kProtocolVersion, *m.protocol_version);
  if (m.host_name) w.add_string(AvpType::kHostName, *m.host_name);
  if (m.vendor_name) w.add_string(AvpType::kVendorName, *m.vendor_name, false);
  if (m.firmware_revision) w.add_u16(AvpType::kFirmwareRevision, *m.firmware_revision, false);
  if (m.framing_capabilities) w.add_u32(AvpType::kFramingCapabilities, *m.framing_capabilities);
  if (m.bearer_capabilities) w.add_u32(AvpType::kBearerCapabilities, *m.bearer_capabilities);
  if (m.tie_breaker) w.add_bytes(AvpType::kTieBreaker, *m.tie_breaker, false);
  if (m.assigned_tunnel_id) w.add_u16(AvpType::kAssignedTunnelId, *m.assigned_tunnel_id);
  if (m.receive_window_size) w.add_u16(AvpType::kReceiveWindowSize, *m.receive_window_size);
  if (m.challenge) w.add_bytes(AvpType::kChallenge, *m.challenge);
  if (m.challenge_response) w.add_bytes(AvpType::kChallengeResponse, *m.challenge_response);
  if (m.assigned_session_id) w.add_u16(AvpType::kAssignedSessionId, *m.assigned_session_id);
  if (m.call_serial_number) w.add_u32(AvpType::kCallSerialNumber, *m.call_serial_number);
  if (m.bearer_type) w.add_u32(AvpType::kBearerType, *m.bearer_type);
  if (m.framing_type) w.add_u32(AvpType::kFramingType, *m.framing_type);
  if (m.tx_connect_speed) w.add_u32(AvpType::kTxConnectSpeed, *m.tx_connect_speed);
  if (m.rx_connect_speed) w.add_u32(AvpType::kRxConnectSpeed, *m.rx_connect_speed, false);
  if (m.called_number) w.add_string(AvpType::kCalledNumber, *m.called_number);
  if (m.calling_number) w.add_string(AvpType::kCallingNumber, *m.calling_number);
  if (m.sequencing_required) w.add_bytes(AvpType::kSequencingRequired, {});
}

const char* message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kSccrq:
      return "SCCRQ";
    case MessageType::kSccrp:
      return "SCCRP";
    case MessageType::kScccn:
      return "SCCCN";
    case MessageType::kStopCcn:
      return "StopCCN";
    case MessageType::kHello:
      return "HELLO";
    case MessageType::kOcrq:
      return "OCRQ";
    case MessageType::kOcrp:
      return "OCRP";
    case MessageType::kOccn:
      return "OCCN";
    case MessageType::kIcrq:
      return "ICRQ";
    case MessageType::kIcrp:
      return "ICRP";
    case MessageType::kIccn:
      return "ICCN";
    case MessageType::kCdn:
      return "CDN";
    case MessageType::kWen:
      return "WEN";
    case MessageType::kSli:
      return "SLI";
  }
  return "unknown";
}

}  // namespace tandem::l2tp
