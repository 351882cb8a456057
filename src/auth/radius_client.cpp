// The RADIUS client engine: requests, retransmission and failover, response validation
// (RFC 2865 2.5 and 3, RFC 2866 2, RFC 3579 3.2, RFC 5080 2.2.1).
#include "auth/radius_client.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tandem::auth {
namespace {

using radius::AttributeType;
using radius::Code;

constexpr std::uint32_t kFramedIpNasChooses = 0xfffffffe;  // RFC 2865 5.8
constexpr std::uint32_t kFramedIpUserChooses = 0xffffffff;

// Server-supplied text as it may go into a log line: one line, printable.
std::string printable(ByteView value) {
  std::string s = radius::text_value(value);
  for (char& c : s)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  return s;
}

std::string reply_messages_of(const radius::Packet& p) {
  std::string out;
  for (const auto* a : p.find_all(AttributeType::kReplyMessage)) {
    if (!out.empty()) out += " ";
    out += printable(a->value);
  }
  return out;
}

std::uint32_t whole_seconds(Duration d) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(s, 0, 0xffffffff));
}

void add_nas_attributes(std::vector<radius::Attribute>& attrs, const RadiusClientSettings& s) {
  if (!s.nas_identifier.empty())
    attrs.push_back(radius::string_attribute(AttributeType::kNasIdentifier, s.nas_identifier));
  if (s.nas_ip_address && s.nas_ip_address->is_v4())
    attrs.push_back(radius::address_attribute(AttributeType::kNasIpAddress, *s.nas_ip_address));
  attrs.push_back(
      radius::integer_attribute(AttributeType::kNasPortType, radius::kNasPortTypeVirtual));
  attrs.push_back(
      radius::integer_attribute(AttributeType::kServiceType, radius::kServiceTypeFramed));
  attrs.push_back(
      radius::integer_attribute(AttributeType::kFramedProtocol, radius::kFramedProtocolPpp));
}

void add_credentials(std::vector<radius::Attribute>& attrs, const Credentials& credentials,
                     const RadiusServer& server, const radius::Authenticator& auth) {
  if (const auto* pap = std::get_if<PapCredentials>(&credentials)) {
    // Length checked at submission.
    attrs.push_back(
        radius::bytes_attribute(AttributeType::kUserPassword,
                                *radius::hide_user_password(pap->password, server.secret, auth)));
  } else if (const auto* chap = std::get_if<ChapCredentials>(&credentials)) {
    std::vector<std::byte> value{std::byte{chap->identifier}};
    value.insert(value.end(), chap->response.begin(), chap->response.end());
    attrs.push_back(radius::bytes_attribute(AttributeType::kChapPassword, value));
    attrs.push_back(radius::bytes_attribute(AttributeType::kChapChallenge, chap->challenge));
  } else {
    const auto& ms = std::get<MsChapV2Credentials>(credentials);
    attrs.push_back(
        radius::vendor_attribute(radius::kVendorMicrosoft,
                                 static_cast<std::uint8_t>(radius::MicrosoftType::kMsChapChallenge),
                                 ms.authenticator_challenge));
    // Ident, Flags (0), Peer-Challenge, Reserved (8 zeros), Response (RFC 2548 2.3.2).
    std::vector<std::byte> response(radius::kMsChap2ResponseSize);
    response[0] = std::byte{ms.identifier};
    std::copy(ms.peer_challenge.begin(), ms.peer_challenge.end(), response.begin() + 2);
    std::copy(ms.nt_response.begin(), ms.nt_response.end(), response.begin() + 26);
    attrs.push_back(radius::vendor_attribute(
        radius::kVendorMicrosoft,
        static_cast<std::uint8_t>(radius::MicrosoftType::kMsChap2Response), response));
  }
}

// Why credentials cannot be sent at all, if they cannot.
std::optional<std::string> unsendable(const Credentials& credentials) {
  if (const auto* pap = std::get_if<PapCredentials>(&credentials))
    if (pap->password.size() > radius::kMaxUserPassword)
      return "the password is longer than RADIUS's 128 bytes";
  if (const auto* chap = std::get_if<ChapCredentials>(&credentials))
    if (chap->challenge.empty() || chap->challenge.size() > radius::kMaxAttributeValue)
      return "the CHAP challenge does not fit in CHAP-Challenge";
  return std::nullopt;
}

std::optional<std::vector<std::byte>> encoded(const radius::Packet& p) {
  auto bytes = radius::encode(p);
  if (!bytes) return std::nullopt;
  return std::move(bytes).value();
}

}  // namespace

const char* access_outcome_name(AccessOutcome o) {
  switch (o) {
    case AccessOutcome::kAccepted:
      return "accepted";
    case AccessOutcome::kRejected:
      return "rejected";
    case AccessOutcome::kFailed:
      return "failed";
  }
  return "?";
}

const char* response_drop_name(ResponseDrop d) {
  switch (d) {
    case ResponseDrop::kMalformed:
      return "malformed";
    case ResponseDrop::kUnexpectedCode:
      return "unexpected_code";
    case ResponseDrop::kUnknownServer:
      return "unknown_server";
    case ResponseDrop::kUnknownId:
      return "unknown_id";
    case ResponseDrop::kBadAuthenticator:
      return "bad_authenticator";
    case ResponseDrop::kMissingMessageAuthenticator:
      return "missing_message_authenticator";
    case ResponseDrop::kBadMessageAuthenticator:
      return "bad_message_authenticator";
  }
  return "?";
}

AccessResult read_access_accept(const radius::Packet& accept, const Credentials& credentials) {
  AccessResult r;
  r.outcome = AccessOutcome::kAccepted;
  if (const auto* a = accept.find(AttributeType::kFramedIpAddress)) {
    const auto v = radius::integer_value(*a);
    if (v && *v != kFramedIpNasChooses && *v != kFramedIpUserChooses)
      r.framed_ip_address = IpAddress::v4_from_u32(*v);
  }
  if (const auto* a = accept.find(AttributeType::kSessionTimeout))
    if (const auto v = radius::integer_value(*a)) r.session_timeout = std::chrono::seconds(*v);
  if (const auto* a = accept.find(AttributeType::kIdleTimeout))
    if (const auto v = radius::integer_value(*a)) r.idle_timeout = std::chrono::seconds(*v);
  for (const auto* a : accept.find_all(AttributeType::kClass)) r.classes.push_back(a->value);
  for (const auto* a : accept.find_all(AttributeType::kReplyMessage))
    r.reply_messages.push_back(printable(a->value));
  if (const auto* ms = std::get_if<MsChapV2Credentials>(&credentials)) {
    const auto value =
        accept.find_vendor(radius::kVendorMicrosoft,
                           static_cast<std::uint8_t>(radius::MicrosoftType::kMsChap2Success));
    if (!value) {
      r.outcome = AccessOutcome::kRejected;
      r.reason = "Access-Accept without MS-CHAP2-Success for an MS-CHAPv2 login: refused";
      return r;
    }
    const auto s = radius::ms_chap2_success_string(*value, ms->identifier);
    if (!s) {
      r.outcome = AccessOutcome::kRejected;
      r.reason =
          "Access-Accept with a malformed MS-CHAP2-Success (not \"S=\" and 40 hex digits "
          "for our ident): refused";
      return r;
    }
    r.ms_chap2_success = *s;
  }
  r.reason = fmt::format("{}", fmt::join(r.reply_messages, " "));
  return r;
}

RadiusClient::RadiusClient(RadiusClientSettings settings, Rng& rng)
    : settings_(std::move(settings)), rng_(&rng) {
  for (const auto& s : settings_.authentication) auth_servers_.emplace_back().config = s;
  for (const auto& s : settings_.accounting) acct_servers_.emplace_back().config = s;
}

RequestId RadiusClient::submit_access(const AccessRequestInput& input, TimePoint now,
                                      RadiusOutput& out) {
  ++stats_.access_requests;
  return submit(Kind::kAccess, input, now, out);
}

RequestId RadiusClient::submit_accounting(const AccountingInput& input, TimePoint now,
                                          RadiusOutput& out) {
  ++stats_.accounting_requests;
  return submit(Kind::kAccounting, input, now, out);
}

RequestId RadiusClient::submit(Kind kind, std::variant<AccessRequestInput, AccountingInput> input,
                               TimePoint now, RadiusOutput& out) {
  const RequestId id = next_request_++;
  Pending p;
  p.kind = kind;
  p.input = std::move(input);
  p.submitted = now;
  p.order = try_order(kind, now);
  std::optional<std::string> refused;
  if (p.order.empty())
    refused = kind == Kind::kAccess ? "no RADIUS authentication server is configured"
                                    : "no RADIUS accounting server is configured";
  else if (const auto* access = std::get_if<AccessRequestInput>(&p.input))
    refused = unsendable(access->credentials);
  if (refused) {
    p.tried.clear();
    auto& q = pending_.emplace(id, std::move(p)).first->second;
    fail(id, q, out, *refused);
    return id;
  }
  auto& q = pending_.emplace(id, std::move(p)).first->second;
  start_at_server(id, q, now, out);
  return id;
}

std::vector<std::size_t> RadiusClient::try_order(Kind kind, TimePoint now) {
  auto& list = servers(kind);
  std::vector<std::size_t> alive, all;
  for (std::size_t i = 0; i < list.size(); ++i) {
    all.push_back(i);
    if (!list[i].dead || list[i].dead_until <= now) alive.push_back(i);
  }
  // When every server is held down, the hold-down is only advice: try them all, in order.
  return alive.empty() ? all : alive;
}

void RadiusClient::start_at_server(RequestId id, Pending& p, TimePoint now, RadiusOutput& out) {
  ServerState& server = servers(p.kind)[p.order.front()];
  std::optional<std::uint8_t> identifier;
  for (unsigned i = 0; i < 256 && !identifier; ++i) {
    const auto candidate = static_cast<std::uint8_t>(server.next_id + i);
    if (!server.ids[candidate]) identifier = candidate;
  }
  if (!identifier) {
    // All 256 in use (RFC 2865 3: the identifier tells outstanding requests apart).
    server.waiting.push_back(id);
    ++stats_.queued_for_identifier;
    p.deadline = TimePoint::max();
    return;
  }
  server.ids[*identifier] = id;
  server.next_id = static_cast<std::uint8_t>(*identifier + 1);
  p.identifier = identifier;
  std::optional<std::vector<std::byte>> bytes;
  if (const auto* access = std::get_if<AccessRequestInput>(&p.input))
    bytes = build_access(*access, server.config, *identifier, p.request_authenticator);
  else
    bytes = build_accounting(std::get<AccountingInput>(p.input), server.config, *identifier,
                             now - p.submitted, p.request_authenticator);
  if (!bytes) {
    release_identifier(p.kind, p.order.front(), p, now, out);
    fail(id, p, out, "the request does not fit in a RADIUS packet");
    return;
  }
  p.bytes = std::move(*bytes);
  p.sends = 0;
  p.first_send = now;
  send(p, now, out);
}

void RadiusClient::send(Pending& p, TimePoint now, RadiusOutput& out) {
  const ServerState& server = servers(p.kind)[p.order.front()];
  out.datagrams.push_back({server.config.endpoint, server.config.name, p.bytes});
  if (p.sends > 0) ++stats_.retransmissions;
  ++p.sends;
  p.deadline = now + server.config.timeout;
}

void RadiusClient::release_identifier(Kind kind, std::size_t index, Pending& p, TimePoint now,
                                      RadiusOutput& out) {
  ServerState& server = servers(kind)[index];
  if (p.identifier) server.ids[*p.identifier].reset();
  p.identifier.reset();
  p.deadline = TimePoint::max();
  // The identifier freed lets the longest-waiting request at this server go.
  while (!server.waiting.empty()) {
    const RequestId next = server.waiting.front();
    server.waiting.pop_front();
    const auto it = pending_.find(next);
    if (it == pending_.end()) continue;
    start_at_server(next, it->second, now, out);
    break;
  }
}

void RadiusClient::give_up_on_server(RequestId id, Pending& p, TimePoint now, RadiusOutput& out) {
  const std::size_t index = p.order.front();
  ServerState& server = servers(p.kind)[index];
  p.tried.push_back(
      fmt::format("{} ({} tr{})", server.config.name, p.sends, p.sends == 1 ? "y" : "ies"));
  // A server that answered something since this request went to it is alive; one lost
  // request does not make it dead.
  if (!server.dead && server.last_valid_response < p.first_send) {
    server.dead = true;
    server.dead_until = now + settings_.dead_time;
    out.events.push_back({RadiusEvent::Kind::kServerDown, server.config.name,
                          fmt::format("no answer after {} tries; held down for {} s", p.sends,
                                      to_millis(settings_.dead_time) / 1000)});
  } else if (server.dead) {
    server.dead_until = std::max(server.dead_until, now + settings_.dead_time);
  }
  release_identifier(p.kind, index, p, now, out);
  p.order.erase(p.order.begin());
  if (p.order.empty()) {
    fail(id, p, out, "");
    return;
  }
  ++stats_.failovers;
  start_at_server(id, p, now, out);
}

void RadiusClient::on_timer(TimePoint now, RadiusOutput& out) {
  std::vector<RequestId> due;
  for (const auto& [id, p] : pending_)
    if (p.deadline <= now) due.push_back(id);
  for (const RequestId id : due) {
    const auto it = pending_.find(id);
    if (it == pending_.end() || it->second.deadline > now) continue;
    Pending& p = it->second;
    const ServerState& server = servers(p.kind)[p.order.front()];
    if (p.sends < 1 + server.config.retries)
      send(p, now, out);  // the identical packet (RFC 5080 2.2.1)
    else
      give_up_on_server(id, p, now, out);
  }
}

TimePoint RadiusClient::next_deadline() const {
  TimePoint next = TimePoint::max();
  for (const auto& [id, p] : pending_) next = std::min(next, p.deadline);
  return next;
}

void RadiusClient::drop(ResponseDrop reason, const std::string& server, RadiusOutput& out) {
  ++stats_.drops[static_cast<std::size_t>(reason)];
  out.events.push_back({RadiusEvent::Kind::kDropped, server, response_drop_name(reason)});
}

void RadiusClient::on_datagram(ByteView bytes, const Endpoint& from, TimePoint now,
                               RadiusOutput& out) {
  auto decoded = radius::decode(bytes);
  if (!decoded) return drop(ResponseDrop::kMalformed, from.to_string(), out);
  const radius::Packet& response = *decoded;
  Kind kind = Kind::kAccess;
  switch (response.code) {
    case Code::kAccessAccept:
    case Code::kAccessReject:
    case Code::kAccessChallenge:
      break;
    case Code::kAccountingResponse:
      kind = Kind::kAccounting;
      break;
    default:
      return drop(ResponseDrop::kUnexpectedCode, from.to_string(), out);
  }
  auto& list = servers(kind);
  bool known = false;
  std::size_t index = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (list[i].config.endpoint != from) continue;
    if (!known) index = i;
    known = true;
    if (list[i].ids[response.identifier]) {
      index = i;
      break;
    }
  }
  if (!known) return drop(ResponseDrop::kUnknownServer, from.to_string(), out);
  ServerState& server = list[index];
  const auto rid = server.ids[response.identifier];
  if (!rid) return drop(ResponseDrop::kUnknownId, server.config.name, out);
  Pending& p = pending_.at(*rid);
  const ByteView packet = bytes.first(load_be16(bytes.data() + 2));
  const std::string& secret = server.config.secret;
  if (!radius::response_authenticator_valid(packet, p.request_authenticator, secret)) {
    ++p.wrong_authenticator;
    return drop(ResponseDrop::kBadAuthenticator, server.config.name, out);
  }
  switch (radius::check_message_authenticator(packet, secret, p.request_authenticator)) {
    case radius::MessageAuthenticatorCheck::kInvalid:
      ++p.wrong_authenticator;
      return drop(ResponseDrop::kBadMessageAuthenticator, server.config.name, out);
    case radius::MessageAuthenticatorCheck::kAbsent:
      if (kind == Kind::kAccess && server.config.require_message_authenticator) {
        ++p.missing_message_authenticator;
        return drop(ResponseDrop::kMissingMessageAuthenticator, server.config.name, out);
      }
      break;
    case radius::MessageAuthenticatorCheck::kValid:
      break;
  }
  server.last_valid_response = now;
  if (server.dead) {
    server.dead = false;
    out.events.push_back({RadiusEvent::Kind::kServerUp, server.config.name, "answering again"});
  }
  complete(*rid, response, index, now, out);
}

void RadiusClient::complete(RequestId id, const radius::Packet& response, std::size_t server,
                            TimePoint now, RadiusOutput& out) {
  Pending& p = pending_.at(id);
  const std::string name = servers(p.kind)[server].config.name;
  release_identifier(p.kind, server, p, now, out);
  if (p.kind == Kind::kAccounting) {
    ++stats_.accounting_responses;
    out.accounting.push_back({id, true, name, ""});
    pending_.erase(id);
    return;
  }
  const auto& input = std::get<AccessRequestInput>(p.input);
  AccessResult r;
  if (response.code == Code::kAccessAccept) {
    r = read_access_accept(response, input.credentials);
  } else if (response.code == Code::kAccessChallenge) {
    ++stats_.challenges;
    r.outcome = AccessOutcome::kRejected;
    r.reason = "Access-Challenge: challenges are not supported, treated as Access-Reject";
  } else {
    r.outcome = AccessOutcome::kRejected;
    r.reason = "Access-Reject";
    const std::string messages = reply_messages_of(response);
    if (!messages.empty()) r.reason += ": " + messages;
    const auto error = response.find_vendor(
        radius::kVendorMicrosoft, static_cast<std::uint8_t>(radius::MicrosoftType::kMsChapError));
    if (error && !error->empty())
      r.reason += " (MS-CHAP-Error " + printable(error->subspan(1)) + ")";
  }
  if (r.outcome == AccessOutcome::kAccepted)
    ++stats_.accepts;
  else
    ++stats_.rejects;
  r.id = id;
  r.server = name;
  out.access.push_back(std::move(r));
  pending_.erase(id);
}

void RadiusClient::fail(RequestId id, Pending& p, RadiusOutput& out, const std::string& why) {
  std::string reason = why;
  if (reason.empty() && p.wrong_authenticator + p.missing_message_authenticator == 0)
    // A server that checks Message-Authenticator (FreeRADIUS with require_message_authenticator,
    // any server since BlastRADIUS) drops a request signed with another secret without a word.
    reason = fmt::format(
        "no answer from {} (servers down or unreachable, or dropping requests signed with "
        "another shared secret)",
        fmt::join(p.tried, ", "));
  else if (reason.empty())
    reason = fmt::format("no usable answer from {}", fmt::join(p.tried, ", "));
  if (p.wrong_authenticator > 0)
    reason += fmt::format(
        "; {} response(s) failed the Response Authenticator or Message-Authenticator check "
        "(shared secret mismatch?)",
        p.wrong_authenticator);
  if (p.missing_message_authenticator > 0)
    reason += fmt::format(
        "; {} response(s) without the Message-Authenticator this server is required to send "
        "(require_message_authenticator)",
        p.missing_message_authenticator);
  if (p.kind == Kind::kAccess) {
    ++stats_.access_failures;
    AccessResult r;
    r.id = id;
    r.outcome = AccessOutcome::kFailed;
    r.reason = std::move(reason);
    out.access.push_back(std::move(r));
  } else {
    ++stats_.accounting_failures;
    out.accounting.push_back({id, false, "", std::move(reason)});
  }
  pending_.erase(id);
}

std::optional<std::vector<std::byte>> RadiusClient::build_access(const AccessRequestInput& in,
                                                                 const RadiusServer& server,
                                                                 std::uint8_t identifier,
                                                                 radius::Authenticator& auth) {
  radius::Packet p;
  p.code = Code::kAccessRequest;
  p.identifier = identifier;
  p.authenticator = radius::random_authenticator(*rng_);
  auth = p.authenticator;
  // First, as the BlastRADIUS advice asks: a forged prefix cannot then precede it.
  p.attributes.push_back(radius::empty_message_authenticator());
  p.attributes.push_back(radius::string_attribute(AttributeType::kUserName, in.user_name));
  add_credentials(p.attributes, in.credentials, server, p.authenticator);
  add_nas_attributes(p.attributes, settings_);
  if (!in.calling_station_id.empty())
    p.attributes.push_back(
        radius::string_attribute(AttributeType::kCallingStationId, in.calling_station_id));
  auto bytes = encoded(p);
  if (bytes) radius::sign_message_authenticator(*bytes, server.secret, std::nullopt);
  return bytes;
}

std::optional<std::vector<std::byte>> RadiusClient::build_accounting(const AccountingInput& in,
                                                                     const RadiusServer& server,
                                                                     std::uint8_t identifier,
                                                                     Duration delay,
                                                                     radius::Authenticator& auth) {
  using radius::integer_attribute;
  radius::Packet p;
  p.code = Code::kAccountingRequest;
  p.identifier = identifier;
  auto& a = p.attributes;
  a.push_back(integer_attribute(AttributeType::kAcctStatusType,
                                static_cast<std::uint32_t>(in.status_type)));
  a.push_back(radius::string_attribute(AttributeType::kAcctSessionId, in.session_id));
  if (!in.user_name.empty())
    a.push_back(radius::string_attribute(AttributeType::kUserName, in.user_name));
  add_nas_attributes(a, settings_);
  if (in.framed_ip_address && in.framed_ip_address->is_v4())
    a.push_back(radius::address_attribute(AttributeType::kFramedIpAddress, *in.framed_ip_address));
  if (!in.calling_station_id.empty())
    a.push_back(radius::string_attribute(AttributeType::kCallingStationId, in.calling_station_id));
  for (const auto& c : in.classes) a.push_back(radius::bytes_attribute(AttributeType::kClass, c));
  if (in.status_type != radius::AcctStatusType::kStart) {
    const auto low = [](std::uint64_t v) { return static_cast<std::uint32_t>(v & 0xffffffff); };
    const auto high = [](std::uint64_t v) { return static_cast<std::uint32_t>(v >> 32); };
    a.push_back(integer_attribute(AttributeType::kAcctInputOctets, low(in.input_octets)));
    a.push_back(integer_attribute(AttributeType::kAcctOutputOctets, low(in.output_octets)));
    a.push_back(integer_attribute(AttributeType::kAcctInputGigawords, high(in.input_octets)));
    a.push_back(integer_attribute(AttributeType::kAcctOutputGigawords, high(in.output_octets)));
    a.push_back(integer_attribute(AttributeType::kAcctInputPackets, in.input_packets));
    a.push_back(integer_attribute(AttributeType::kAcctOutputPackets, in.output_packets));
    if (in.session_time)
      a.push_back(
          integer_attribute(AttributeType::kAcctSessionTime, whole_seconds(*in.session_time)));
  }
  if (in.status_type == radius::AcctStatusType::kStop && in.terminate_cause)
    a.push_back(integer_attribute(AttributeType::kAcctTerminateCause,
                                  static_cast<std::uint32_t>(*in.terminate_cause)));
  if (in.event_timestamp)
    a.push_back(integer_attribute(AttributeType::kEventTimestamp, *in.event_timestamp));
  // How long the record has waited: 0 at the first server, more after a failover (a new packet
  // then anyway; retransmissions to one server stay identical).
  a.push_back(integer_attribute(AttributeType::kAcctDelayTime, whole_seconds(delay)));
  auto bytes = encoded(p);
  if (!bytes) return bytes;
  radius::sign_accounting_request(*bytes, server.secret);
  std::copy_n(bytes->begin() + 4, radius::kAuthenticatorSize, auth.begin());
  return bytes;
}

}  // namespace tandem::auth
