// IKE_SA_INIT (RFC 7296 sections 1.2, 2.6, 2.10, 2.14, 2.23) in both roles: proposals, Diffie-
// Hellman and nonces, NAT detection and the move to port 4500, INVALID_KE_PAYLOAD retries, and
// stateless cookies once too many IKE SAs are half open.
#include <algorithm>

#include "ipsec/ike/v2/nat_detection.hpp"
#include "ipsec/ike/v2/node.hpp"
#include "ipsec/ike/v2/payloads.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

// COOKIE and INVALID_KE_PAYLOAD may each restart IKE_SA_INIT; a peer that keeps asking is broken.
constexpr unsigned kMaxInitRestarts = 4;

std::vector<std::byte> group_bytes(std::uint16_t group) {
  std::vector<std::byte> out(2);
  store_be16(out.data(), group);
  return out;
}

}  // namespace

void Node::send_init(IkeSa& sa, TimePoint now, Actions& out) {
  const PeerConfig& p = *peer_of(sa);
  Message m;
  m.header = {sa.spi_i, 0, ExchangeType::kIkeSaInit, true, false, 0};
  if (!sa.cookie.empty()) m.payloads.push_back(notify(kCookie, sa.cookie));  // first (2.6)
  m.payloads.push_back(make_sa_payload(ProtocolId::kIke, {}, p.ike_suites));
  m.payloads.push_back(
      KePayload{static_cast<std::uint16_t>(sa.dh->group()), sa.dh->public_value()});
  m.payloads.push_back(NoncePayload{sa.ni});
  m.payloads.push_back(
      notify(kNatDetectionSourceIp, config_.force_udp_encapsulation
                                        ? forced_nat_hash()
                                        : nat_detection_hash(sa.spi_i, 0, sa.local)));
  m.payloads.push_back(
      notify(kNatDetectionDestinationIp, nat_detection_hash(sa.spi_i, 0, sa.remote)));
  sa.first_request = encode_message(m);
  sa.next_message_id = 1;
  PendingRequest r;
  r.kind = RequestKind::kIkeSaInit;
  r.exchange = ExchangeType::kIkeSaInit;
  r.message_id = 0;
  r.bytes = sa.first_request;
  r.due = now + config_.retransmit_timeouts.front();
  send(sa, sa.first_request, now, out);
  sa.pending = std::move(r);
}

void Node::on_init_response(IkeSa& sa, ByteView message, const Endpoint& local,
                            const Endpoint& from, TimePoint now, Actions& out) {
  (void)local;
  auto m = decode_message(message);
  if (!m) {
    drop(DropReason::kMalformed);
    return;
  }
  const std::vector<Payload>& in = m->payloads;
  const PeerConfig& p = *peer_of(sa);
  const std::string offered = describe(make_sa_payload(ProtocolId::kIke, {}, p.ike_suites));
  if (const auto* c = find_notify(in, kCookie)) {
    if (sa.init_restarts++ >= kMaxInitRestarts || c->data.empty() || c->data.size() > 64) {
      drop(DropReason::kMalformed);
      return;
    }
    sa.cookie = c->data;
    send_init(sa, now, out);
    return;
  }
  if (const auto* ke = find_notify(in, kInvalidKePayload)) {
    const std::uint16_t group = ke->data.size() == 2 ? load_be16(ke->data.data()) : 0;
    const bool offered_group = std::any_of(p.ike_suites.begin(), p.ike_suites.end(),
                                           [&](const Suite& s) { return s.dh == group; });
    auto dh = offered_group && group != static_cast<std::uint16_t>(sa.dh->group())
                  ? crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(group))
                  : std::nullopt;
    if (!dh || sa.init_restarts++ >= kMaxInitRestarts) {
      tear_down(sa, EventType::kRefused,
                peer_label(sa) + " asks for DH group " + std::to_string(group) +
                    ", which we do not offer (we proposed " + offered + ")",
                out);
      return;
    }
    sa.dh = std::move(*dh);  // the same SPI and nonce; only the KE changes (1.2)
    send_init(sa, now, out);
    return;
  }
  if (const auto err = first_error(in)) {
    tear_down(sa, EventType::kRefused,
              peer_label(sa) + " refused IKE_SA_INIT with " + notify_name(*err) + "; we proposed " +
                  offered,
              out);
    return;
  }
  const auto* sa_payload = find_payload<SaPayload>(in);
  const auto* ke = find_payload<KePayload>(in);
  const auto* nonce = find_payload<NoncePayload>(in);
  if (sa_payload == nullptr || ke == nullptr || nonce == nullptr || m->header.responder_spi == 0) {
    drop(DropReason::kMalformed);
    return;
  }
  auto chosen = check_answer(*sa_payload, ProtocolId::kIke, p.ike_suites);
  const auto prf = chosen ? prf_from_id(chosen->suite.prf) : std::nullopt;
  if (!chosen || !prf || ke->group != chosen->suite.dh ||
      ke->group != static_cast<std::uint16_t>(sa.dh->group())) {
    tear_down(sa, EventType::kRefused,
              peer_label(sa) + " answered IKE_SA_INIT with an unacceptable choice: " +
                  (chosen ? describe(*sa_payload) + " with KE group " + std::to_string(ke->group)
                          : chosen.error()),
              out);
    return;
  }
  const auto shared = sa.dh->shared_secret(ke->data);
  if (!shared) {
    tear_down(sa, EventType::kRefused, peer_label(sa) + " sent an invalid KE value", out);
    return;
  }
  sa.spi_r = m->header.responder_spi;
  sa.nr = nonce->data;
  sa.suite = chosen->suite;
  sa.prf = *prf;
  sa.keys = derive_ike_sa_keys(sa.prf, sa.ni, sa.nr, *shared, sa.spi_i, sa.spi_r,
                               ike_key_sizes(sa.suite));
  if (!sa.arm_protectors()) {
    tear_down(sa, EventType::kRefused, peer_label(sa) + ": unusable IKE SA keys", out);
    return;
  }
  sa.first_response.assign(message.begin(), message.end());
  sa.dh.reset();
  sa.pending.reset();
  sa.last_received = now;
  const auto* nat_source = find_notify(in, kNatDetectionSourceIp);
  const auto* nat_destination = find_notify(in, kNatDetectionDestinationIp);
  if (nat_source != nullptr && nat_destination != nullptr) {
    sa.nat_remote = nat_source->data != nat_detection_hash(sa.spi_i, sa.spi_r, from);
    sa.nat_local = nat_destination->data != nat_detection_hash(sa.spi_i, sa.spi_r, sa.local);
  }
  if (config_.force_udp_encapsulation) sa.nat_local = true;
  // Behind a NAT everything from IKE_AUTH on goes between the 4500 ports (2.23).
  if (sa.nat_local || sa.nat_remote) {
    sa.local.port = kNatTraversalPort;
    sa.remote.port = kNatTraversalPort;
  }
  send_auth(sa, now, out);
}

std::vector<Suite> Node::responder_ike_suites(const Endpoint& from) const {
  // Before IDi names the peer, the peers at this address (or those without one) decide.
  std::vector<Suite> out;
  const auto add = [&](const PeerConfig& p) {
    for (const Suite& s : p.ike_suites)
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const PeerConfig& p : config_.peers)
    if (p.remote_address == from.address) add(p);
  for (const PeerConfig& p : config_.peers)
    if (!p.remote_address) add(p);
  if (out.empty())
    for (const PeerConfig& p : config_.peers) add(p);
  // No peer at all (a gateway whose road warriors are all revoked): IKE_AUTH refuses the
  // identity, which says more than a refused proposal.
  if (out.empty()) out = default_ike_suites();
  return out;
}

std::size_t Node::half_open_count() const {
  return static_cast<std::size_t>(std::count_if(sas_.begin(), sas_.end(), [](const auto& e) {
    return !e.second->dead && e.second->state == IkeSaState::kHalfOpen;
  }));
}

void Node::on_init_request(const Header& h, ByteView message, const Endpoint& local,
                           const Endpoint& from, TimePoint now, Actions& out) {
  if (h.responder_spi != 0 || h.message_id != 0) {
    drop(DropReason::kMalformed);
    return;
  }
  // A retransmission of a request we answered gets the same answer.
  for (const auto& [id, other] : sas_) {
    IkeSa& o = *other;
    if (o.dead || o.initiator || o.spi_i != h.initiator_spi || o.reply_to != from) continue;
    if (std::equal(message.begin(), message.end(), o.first_request.begin(),
                   o.first_request.end())) {
      out.datagrams.push_back({local.port, from, o.first_response, false});
      ++stats_.responses_resent;
    } else {
      drop(DropReason::kBadMessageId);
    }
    return;
  }
  auto m = decode_message(message);
  if (!m) {
    drop(DropReason::kMalformed);
    return;
  }
  const std::vector<Payload>& in = m->payloads;
  const auto* sa_payload = find_payload<SaPayload>(in);
  const auto* ke = find_payload<KePayload>(in);
  const auto* nonce = find_payload<NoncePayload>(in);
  if (sa_payload == nullptr || ke == nullptr || nonce == nullptr) {
    drop(DropReason::kMalformed);
    return;
  }
  const auto answer = [&](std::uint16_t type, std::vector<std::byte> data) {
    Message r;
    r.header = {h.initiator_spi, 0, ExchangeType::kIkeSaInit, false, true, 0};
    r.payloads.push_back(notify(type, std::move(data)));
    out.datagrams.push_back({local.port, from, encode_message(r), false});
  };
  if (half_open_count() >= config_.cookie_threshold) {
    const auto* cookie = find_notify(in, kCookie);
    if (cookie == nullptr ||
        !cookies_.check(cookie->data, nonce->data, from.address, h.initiator_spi, now)) {
      answer(kCookie, cookies_.make(nonce->data, from.address, h.initiator_spi, now));
      ++stats_.cookies_sent;
      return;
    }
  }
  const auto chosen = select_proposal(*sa_payload, ProtocolId::kIke, responder_ike_suites(from));
  if (!chosen) {
    answer(kNoProposalChosen, {});
    out.events.push_back({EventType::kRefused, 0, from,
                          "IKE_SA_INIT from " + from.to_string() +
                              " refused: no proposal chosen; it proposed " +
                              describe(*sa_payload)});
    return;
  }
  if (ke->group != chosen->suite.dh) {
    answer(kInvalidKePayload, group_bytes(chosen->suite.dh));
    return;
  }
  const auto prf = prf_from_id(chosen->suite.prf);
  auto dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(chosen->suite.dh));
  const auto shared = dh ? dh->shared_secret(ke->data) : std::nullopt;
  if (!prf || !shared) {
    drop(DropReason::kMalformed);
    return;
  }

  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.id = new_ike_spi();
  sa.initiator = false;
  sa.spi_i = h.initiator_spi;
  sa.spi_r = sa.id;
  sa.state = IkeSaState::kHalfOpen;
  sa.local = local;
  sa.remote = from;
  sa.reply_to = from;
  sa.reply_port = local.port;
  sa.suite = chosen->suite;
  sa.prf = *prf;
  sa.ni = nonce->data;
  sa.nr = new_nonce();
  sa.keys = derive_ike_sa_keys(sa.prf, sa.ni, sa.nr, *shared, sa.spi_i, sa.spi_r,
                               ike_key_sizes(sa.suite));
  if (!sa.arm_protectors()) {
    drop(DropReason::kMalformed);
    return;
  }
  sa.first_request.assign(message.begin(), message.end());
  sa.peer_message_id = 1;
  sa.gone_at = now + config_.half_open_timeout;
  sa.last_received = now;

  Message r;
  r.header = {sa.spi_i, sa.spi_r, ExchangeType::kIkeSaInit, false, true, 0};
  r.payloads.push_back(make_answer(ProtocolId::kIke, *chosen, {}));
  r.payloads.push_back(KePayload{chosen->suite.dh, dh->public_value()});
  r.payloads.push_back(NoncePayload{sa.nr});
  const auto* nat_source = find_notify(in, kNatDetectionSourceIp);
  const auto* nat_destination = find_notify(in, kNatDetectionDestinationIp);
  if (nat_source != nullptr && nat_destination != nullptr) {
    sa.nat_remote = nat_source->data != nat_detection_hash(sa.spi_i, 0, from);
    sa.nat_local = config_.force_udp_encapsulation ||
                   nat_destination->data != nat_detection_hash(sa.spi_i, 0, local);
    r.payloads.push_back(
        notify(kNatDetectionSourceIp, config_.force_udp_encapsulation
                                          ? forced_nat_hash()
                                          : nat_detection_hash(sa.spi_i, sa.spi_r, local)));
    r.payloads.push_back(
        notify(kNatDetectionDestinationIp, nat_detection_hash(sa.spi_i, sa.spi_r, from)));
  }
  sa.first_response = encode_message(r);
  send(sa, sa.first_response, now, out);
  sas_[sa.id] = std::move(owned);
}

std::vector<std::byte> Node::forced_nat_hash() {
  std::vector<std::byte> h(20);  // SHA-1 sized, like a real one
  rng_->fill(h);
  return h;
}

}  // namespace tandem::ipsec::ike::v2
