// IKE_AUTH (RFC 7296 sections 1.2, 2.15, 2.9, 3.15) in both roles: identities and pre-shared-key
// AUTH, INITIAL_CONTACT, and the first Child SA with its proposals, traffic selectors (narrowed
// by the responder), transport mode and a virtual address through CP.
#include <algorithm>
#include <cctype>

#include "crypto/constant_time.hpp"
#include "ipsec/ike/v2/node.hpp"
#include "ipsec/ike/v2/payloads.hpp"
#include "ipsec/ike/v2/traffic_selectors.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

std::vector<Suite> without_dh(std::vector<Suite> suites) {
  for (Suite& s : suites) s.dh = 0;
  return suites;
}

std::vector<std::byte> address_bytes(const IpAddress& a) {
  const auto* p = reinterpret_cast<const std::byte*>(a.data());
  return {p, p + a.size()};
}

// INTERNAL_IP6_ADDRESS in a reply: the address and a prefix length; a single host here.
std::vector<std::byte> ipv6_attribute(const IpAddress& a) {
  std::vector<std::byte> value = address_bytes(a);
  value.push_back(std::byte{128});
  return value;
}

std::optional<IpAddress> address_in(const ConfigAttribute& a) {
  if (a.type == kInternalIp4Address && a.value.size() == 4) {
    std::array<std::uint8_t, 4> b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::to_integer<std::uint8_t>(a.value[i]);
    return IpAddress::v4(b);
  }
  if (a.type == kInternalIp6Address && a.value.size() == 17) {
    std::array<std::uint8_t, 16> b{};
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::to_integer<std::uint8_t>(a.value[i]);
    return IpAddress::v6(b);
  }
  return std::nullopt;
}

std::vector<std::byte> text_bytes(std::string_view text) {
  const auto* p = reinterpret_cast<const std::byte*>(text.data());
  return {p, p + text.size()};
}

// A domain as RFC 8598 sends it, kept only when it is letters, digits, '-', '_' and '.'.
bool plain_name(const std::vector<std::byte>& value) {
  return !value.empty() && std::all_of(value.begin(), value.end(), [](std::byte b) {
    const auto c = std::to_integer<unsigned char>(b);
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

bool asks_for(const ConfigPayload& cp, std::uint16_t type) {
  return std::any_of(cp.attributes.begin(), cp.attributes.end(),
                     [&](const ConfigAttribute& a) { return a.type == type; });
}

// The addresses a peer was given (or holds of its own), as host selectors.
std::vector<Selector> hosts(const std::optional<IpAddress>& v4,
                            const std::optional<IpAddress>& v6) {
  std::vector<Selector> out;
  if (v4) out.push_back(host_selector(*v4));
  if (v6) out.push_back(host_selector(*v6));
  return out;
}

}  // namespace

std::vector<std::byte> Node::auth_value(const IkeSa& sa, const PeerConfig& peer, bool for_initiator,
                                        const IdPayload& id) const {
  // The ID payload's body after the generic header: type, three reserved bytes, data (2.15).
  std::vector<std::byte> body{std::byte(id.type), std::byte{0}, std::byte{0}, std::byte{0}};
  body.insert(body.end(), id.data.begin(), id.data.end());
  return for_initiator ? psk_auth(sa.prf, peer.psk, sa.first_request, sa.nr, sa.keys.sk_pi, body)
                       : psk_auth(sa.prf, peer.psk, sa.first_response, sa.ni, sa.keys.sk_pr, body);
}

void Node::send_auth(IkeSa& sa, TimePoint now, Actions& out) {
  const PeerConfig& p = *peer_of(sa);
  const IdPayload idi{true, config_.identity.type, config_.identity.data};
  std::vector<Payload> inner{idi, notify(kInitialContact)};
  if (!p.remote_id.data.empty())
    inner.push_back(IdPayload{false, p.remote_id.type, p.remote_id.data});
  inner.push_back(AuthPayload{kAuthSharedKeyMic, auth_value(sa, p, true, idi)});
  if (p.request_virtual_ip || p.request_virtual_ip6) {
    ConfigPayload request{kCfgRequest, {}};
    if (p.request_virtual_ip) {
      request.attributes.push_back({kInternalIp4Address, {}});
      request.attributes.push_back({kInternalIp4Dns, {}});
      if (p.request_dns_domains) request.attributes.push_back({kInternalDnsDomain, {}});
    }
    if (p.request_virtual_ip6) request.attributes.push_back({kInternalIp6Address, {}});
    inner.push_back(std::move(request));
  }
  if (p.mode == EspMode::kTransport) inner.push_back(notify(kUseTransportMode));
  sa.auth_child_spi = new_child_spi();
  sa.auth_child_offer = without_dh(p.esp_suites);  // IKE_AUTH's Child SA has no KE of its own
  if (p.request_virtual_ip || p.request_virtual_ip6) {
    sa.auth_local.clear();
    if (p.request_virtual_ip) sa.auth_local.push_back(any_ipv4_selector());
    if (p.request_virtual_ip6) sa.auth_local.push_back(any_ipv6_selector());
  } else {
    sa.auth_local = p.local_selectors.empty() ? std::vector{host_selector(config_.local_address)}
                                              : p.local_selectors;
  }
  sa.auth_remote = p.remote_selectors.empty() ? std::vector{host_selector(*p.remote_address)}
                                              : p.remote_selectors;
  inner.push_back(
      make_sa_payload(ProtocolId::kEsp, spi32_bytes(sa.auth_child_spi), sa.auth_child_offer));
  inner.push_back(TsPayload{true, to_wire(sa.auth_local)});
  inner.push_back(TsPayload{false, to_wire(sa.auth_remote)});
  sa.state = IkeSaState::kAuthSent;
  PendingRequest r;
  r.kind = RequestKind::kIkeAuth;
  r.exchange = ExchangeType::kIkeAuth;
  send_request(sa, std::move(r), inner, now, out);
}

void Node::drop_older_sas_of(const IkeSa& sa, Actions& out) {
  // INITIAL_CONTACT (3.10.1): the peer has no other SAs with us any more, e.g. it restarted.
  for (auto& [id, other] : sas_) {
    IkeSa& o = *other;
    if (&o == &sa || o.dead || !o.established() || o.peer != sa.peer || o.remote_id != sa.remote_id)
      continue;
    tear_down(
        o, EventType::kIkeSaDown,
        "IKE SA with " + peer_label(o) + " replaced: the peer made a new one (INITIAL_CONTACT)",
        out);
  }
}

void Node::on_auth_request(IkeSa& sa, const Header& h, ByteView message,
                           const std::vector<Payload>& in, TimePoint now, Actions& out) {
  const IdPayload* idi = find_id(in, true);
  const auto* auth = find_payload<AuthPayload>(in);
  if (idi == nullptr || auth == nullptr) {
    send_response(sa, h, message, {notify(kInvalidSyntax)}, now, out);
    sa.dead = true;
    return;
  }
  const Identity claimed{idi->type, idi->data};
  const auto refuse = [&](AuthFailure reason, const std::string& why, bool logged = true) {
    ++stats_.auth_failures[static_cast<std::size_t>(reason)];
    send_response(sa, h, message, {notify(kAuthenticationFailed)}, now, out);
    if (logged)
      event(out, EventType::kRefused, sa,
            "IKE_AUTH from " + claimed.to_string() + " at " + sa.remote.to_string() +
                " refused: " + why);
    sa.dead = true;
  };
  // The gate first: a held-back attempt has its AUTH looked at not at all, so a guess made then
  // tells the guesser nothing, even with the right key. Only the first refusal of a delay or
  // lockout becomes an event (a log line); a flood shows in the counters.
  const std::string identity = claimed.to_string();
  if (login_gate_ != nullptr)
    if (auto held = login_gate_->held_back(identity, sa.remote.address, now))
      return refuse(AuthFailure::kThrottled, "throttled: " + held->reason, held->first);
  // A refusal a guesser would cause goes to the gate as a failure.
  const auto guessed = [&](AuthFailure reason, const std::string& why) {
    if (login_gate_ != nullptr) login_gate_->failed(identity, sa.remote.address, now);
    refuse(reason, why);
  };
  const auto peer = live_peer([&](const PeerConfig& p) { return p.remote_id == claimed; });
  if (!peer) return guessed(AuthFailure::kUnknownIdentity, "no peer has that identity");
  const PeerConfig& p = config_.peers[*peer];
  sa.peer = *peer;
  sa.remote_id = claimed;
  if (std::find(p.ike_suites.begin(), p.ike_suites.end(), sa.suite) == p.ike_suites.end())
    return refuse(AuthFailure::kSuiteNotAllowed,
                  "peer " + p.name + " may not use " + ike_suite_name(sa.suite));
  if (const IdPayload* idr = find_id(in, false);
      idr != nullptr && Identity{idr->type, idr->data} != config_.identity)
    return refuse(AuthFailure::kWrongResponderId, "it asks for " +
                                                      Identity{idr->type, idr->data}.to_string() +
                                                      ", we are " + config_.identity.to_string());
  if (auth->method != kAuthSharedKeyMic ||
      !crypto::constant_time_equal(auth->data, auth_value(sa, p, true, *idi)))
    return guessed(AuthFailure::kWrongKey,
                   "authentication of peer " + p.name + " failed (wrong pre-shared key?)");
  if (login_gate_ != nullptr) login_gate_->succeeded(identity);

  sa.state = IkeSaState::kEstablished;
  sa.gone_at = TimePoint::max();
  sa.rekey_at = jittered(now, config_.ike_lifetime);
  sa.expire_at = now + config_.ike_lifetime;
  if (find_notify(in, kInitialContact) != nullptr) drop_older_sas_of(sa, out);
  event(out, EventType::kIkeSaUp, sa,
        "IKE SA with peer " + p.name + " (" + claimed.to_string() + ") up as responder: " +
            ike_suite_name(sa.suite) + (sa.nat_remote ? ", peer behind NAT" : "") +
            (sa.nat_local ? ", we are behind NAT" : ""));

  const IdPayload idr{false, config_.identity.type, config_.identity.data};
  std::vector<Payload> answer{idr, AuthPayload{kAuthSharedKeyMic, auth_value(sa, p, false, idr)}};
  std::uint16_t error = 0;
  const auto* cp = find_payload<ConfigPayload>(in);
  // A peer with an address of its own is held to it even when it does not ask (choose_child).
  if (p.virtual_address) sa.virtual_ip = p.virtual_address;
  if (p.virtual_address6) sa.virtual_ip6 = p.virtual_address6;
  if (cp != nullptr && cp->type == kCfgRequest && (p.virtual_address || pool_.enabled())) {
    if (!sa.virtual_ip) sa.virtual_ip = pool_.lease(claimed.to_string(), sa.id);
    if (!sa.virtual_ip) {
      error = kInternalAddressFailure;
    } else {
      ConfigPayload reply{kCfgReply, {{kInternalIp4Address, address_bytes(*sa.virtual_ip)}}};
      bool dns_given = false;
      for (const IpAddress& dns : pool_.dns())
        if (dns.is_v4()) {
          reply.attributes.push_back({kInternalIp4Dns, address_bytes(dns)});
          dns_given = true;
        }
      // RFC 8598 section 3: only to a peer that asked, and beside the servers that resolve them.
      if (dns_given && asks_for(*cp, kInternalDnsDomain))
        for (const std::string& domain : pool_.dns_domains())
          reply.attributes.push_back({kInternalDnsDomain, text_bytes(domain)});
      // IPv6 only where asked for and the peer has an address of its own (no IPv6 pool).
      if (sa.virtual_ip6 && asks_for(*cp, kInternalIp6Address))
        reply.attributes.push_back({kInternalIp6Address, ipv6_attribute(*sa.virtual_ip6)});
      answer.push_back(std::move(reply));
    }
  }
  Child child;
  Selection chosen;
  if (error == 0) error = choose_child(sa, in, false, nullptr, child, answer, chosen);
  if (error != 0) {
    answer.push_back(notify(error));
    const auto* proposed = find_payload<SaPayload>(in);
    event(out, EventType::kRefused, sa,
          "Child SA with peer " + p.name + " refused with " + notify_name(error) +
              "; it proposed " + (proposed ? describe(*proposed) : std::string("nothing")));
  }
  send_response(sa, h, message, answer, now, out);
  if (error != 0) return;
  const auto keymat = derive_child_sa_keys(sa.prf, sa.keys.sk_d, std::nullopt, sa.ni, sa.nr,
                                           esp_key_sizes(child.suite));
  install_child(sa, std::move(child), keymat, false, std::nullopt, now, out);
}

void Node::on_auth_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                            TimePoint now, Actions& out) {
  (void)done;
  const PeerConfig& p = *peer_of(sa);
  const IdPayload* idr = find_id(in, false);
  const auto* auth = find_payload<AuthPayload>(in);
  if (idr == nullptr || auth == nullptr) {
    const auto err = first_error(in);
    tear_down(
        sa, EventType::kRefused,
        peer_label(sa) + " refused our IKE_AUTH with " +
            (err ? notify_name(*err) : "no AUTH payload") +
            (err == kAuthenticationFailed ? " (check the pre-shared key and identities)" : ""),
        out);
    return;
  }
  const Identity answered{idr->type, idr->data};
  const bool id_ok = p.remote_id.data.empty() || answered == p.remote_id;
  if (!id_ok || auth->method != kAuthSharedKeyMic ||
      !crypto::constant_time_equal(auth->data, auth_value(sa, p, false, *idr))) {
    send_notify_once(sa, kAuthenticationFailed, now, out);
    tear_down(sa, EventType::kRefused,
              peer_label(sa) + " (" + answered.to_string() + ") failed authentication: " +
                  (id_ok ? "wrong pre-shared key?" : "expected " + p.remote_id.to_string()),
              out);
    return;
  }
  sa.remote_id = answered;
  sa.state = IkeSaState::kEstablished;
  sa.rekey_at = jittered(now, config_.ike_lifetime);
  sa.expire_at = now + config_.ike_lifetime;
  if (const auto* cp = find_payload<ConfigPayload>(in); cp != nullptr && cp->type == kCfgReply) {
    for (const ConfigAttribute& a : cp->attributes) {
      const auto address = address_in(a);
      if (address && address->is_v4() && p.request_virtual_ip) sa.virtual_ip = address;
      if (address && !address->is_v4() && p.request_virtual_ip6) sa.virtual_ip6 = address;
      if (a.type == kInternalDnsDomain && p.request_dns_domains && plain_name(a.value))
        sa.dns_domains.emplace_back(reinterpret_cast<const char*>(a.value.data()), a.value.size());
    }
  }
  event(out, EventType::kIkeSaUp, sa,
        "IKE SA with peer " + p.name + " (" + answered.to_string() + ") up as initiator: " +
            ike_suite_name(sa.suite) + (sa.nat_local ? ", we are behind NAT" : "") +
            (sa.nat_remote ? ", peer behind NAT" : "") +
            (sa.virtual_ip ? ", virtual IP " + sa.virtual_ip->to_string() : "") +
            (sa.virtual_ip6 ? ", virtual IPv6 " + sa.virtual_ip6->to_string() : ""));

  Child child;
  std::string why;
  if (const auto err = first_error(in))
    why = std::string(notify_name(*err)) + "; we proposed " +
          describe(make_sa_payload(ProtocolId::kEsp, {}, sa.auth_child_offer));
  else
    why = accept_child(sa, in, sa.auth_child_offer, sa.auth_local, sa.auth_remote, child);
  if (!why.empty()) {
    // An IKE SA without its Child SA carries nothing we asked for.
    event(out, EventType::kRefused, sa, peer_label(sa) + " refused our Child SA: " + why);
    close_sa(sa, now, out);
    return;
  }
  if (sa.virtual_ip || sa.virtual_ip6) {
    // Our side of the traffic is the addresses we were given (3.15.4).
    auto mine = narrow(child.local, hosts(sa.virtual_ip, sa.virtual_ip6));
    if (!mine.empty()) child.local = std::move(mine);
  }
  child.inbound_spi = sa.auth_child_spi;
  const auto keymat = derive_child_sa_keys(sa.prf, sa.keys.sk_d, std::nullopt, sa.ni, sa.nr,
                                           esp_key_sizes(child.suite));
  install_child(sa, std::move(child), keymat, true, std::nullopt, now, out);
}

std::uint16_t Node::choose_child(IkeSa& sa, const std::vector<Payload>& in, bool pfs,
                                 const Child* rekeyed, Child& child, std::vector<Payload>& answer,
                                 Selection& chosen) {
  const PeerConfig& p = *peer_of(sa);
  const auto* proposal = find_payload<SaPayload>(in);
  const TsPayload* tsi = find_ts(in, true);
  const TsPayload* tsr = find_ts(in, false);
  if (proposal == nullptr || tsi == nullptr || tsr == nullptr) return kInvalidSyntax;
  std::vector<Suite> ours = p.esp_suites;
  for (Suite& s : ours) s.dh = pfs ? p.pfs_group : 0;
  const auto selection = select_proposal(*proposal, ProtocolId::kEsp, ours);
  if (!selection || selection->peer_spi.size() != 4) return kNoProposalChosen;

  // The initiator's selectors (TSi) are the peer's side of the traffic, TSr ours. A rekey keeps
  // the traffic of the SA it replaces; a new SA gets what policy allows, an empty list meaning
  // the host itself, a peer with an address from our pool gets that address alone, and a peer
  // with an address of its own that address (and its subnets).
  std::vector<Selector> allowed_local, allowed_remote;
  if (rekeyed != nullptr) {
    allowed_local = rekeyed->local;
    allowed_remote = rekeyed->remote;
  } else {
    allowed_local = p.local_selectors.empty() ? std::vector{host_selector(sa.local.address)}
                                              : p.local_selectors;
    if (!sa.initiator && p.virtual_address) {
      allowed_remote = hosts(p.virtual_address, p.virtual_address6);
      allowed_remote.insert(allowed_remote.end(), p.remote_selectors.begin(),
                            p.remote_selectors.end());
    } else if (!sa.initiator && sa.virtual_ip)
      allowed_remote = {host_selector(*sa.virtual_ip)};
    else if (!p.remote_selectors.empty())
      allowed_remote = p.remote_selectors;
    else if (sa.nat_remote)
      allowed_remote = from_wire(tsi->selectors);  // its own address, hidden by the NAT
    else
      allowed_remote = {host_selector(sa.remote.address)};
  }
  child.remote = narrow(from_wire(tsi->selectors), allowed_remote);
  child.local = narrow(from_wire(tsr->selectors), allowed_local);
  if (child.local.empty() || child.remote.empty()) return kTsUnacceptable;

  child.inbound_spi = new_child_spi();
  child.outbound_spi = spi32_of(selection->peer_spi);
  child.suite = selection->suite;
  const bool transport =
      find_notify(in, kUseTransportMode) != nullptr && p.mode == EspMode::kTransport;
  child.mode = transport ? EspMode::kTransport : EspMode::kTunnel;
  if (transport) answer.push_back(notify(kUseTransportMode));
  answer.push_back(make_answer(ProtocolId::kEsp, *selection, spi32_bytes(child.inbound_spi)));
  answer.push_back(TsPayload{true, to_wire(child.remote)});
  answer.push_back(TsPayload{false, to_wire(child.local)});
  chosen = *selection;
  return 0;
}

std::string Node::accept_child(IkeSa& sa, const std::vector<Payload>& in,
                               const std::vector<Suite>& offered,
                               const std::vector<Selector>& local,
                               const std::vector<Selector>& remote, Child& child) {
  (void)sa;
  const auto* answer = find_payload<SaPayload>(in);
  const TsPayload* tsi = find_ts(in, true);
  const TsPayload* tsr = find_ts(in, false);
  if (answer == nullptr || tsi == nullptr || tsr == nullptr)
    return "the answer lacks SA, TSi or TSr";
  auto selection = check_answer(*answer, ProtocolId::kEsp, offered);
  if (!selection) return selection.error();
  if (selection->peer_spi.size() != 4) return "the answer's SPI is not 4 bytes";
  child.local = from_wire(tsi->selectors);
  child.remote = from_wire(tsr->selectors);
  if (child.local.empty() || child.remote.empty() || !covered_by(child.local, local) ||
      !covered_by(child.remote, remote))
    return "the answer's traffic selectors are not within what we proposed";
  child.outbound_spi = spi32_of(selection->peer_spi);
  child.suite = selection->suite;
  child.mode =
      find_notify(in, kUseTransportMode) != nullptr ? EspMode::kTransport : EspMode::kTunnel;
  return {};
}

}  // namespace tandem::ipsec::ike::v2
