// Main Mode (RFC 2409 section 5, pre-shared keys), both roles:
//   1 I->R  SA, VID(NAT-T), VID(DPD)          2 R->I  SA (chosen), VIDs
//   3 I->R  KE, Ni, NAT-D, NAT-D              4 R->I  KE, Nr, NAT-D, NAT-D
//   5 I->R* IDii, HASH_I [, INITIAL-CONTACT]  6 R->I* IDir, HASH_R
// After 4 both ends know whether a NAT is in the way; if so the initiator moves to port 4500
// for message 5 and everything after (RFC 3947 section 4).
#include <fmt/format.h>

#include <algorithm>

#include "ipsec/ike/v1/chain.hpp"
#include "ipsec/ike/v1/nat.hpp"
#include "ipsec/ike/v1/node.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

constexpr std::size_t kNonceSize = 32;
constexpr std::uint16_t kNotifyNoProposalChosen = 14;
constexpr std::uint16_t kNotifyInitialContact = 24578;

template <typename T>
const T* first_of(const std::vector<Payload>& payloads) {
  for (const auto& p : payloads)
    if (const auto* t = std::get_if<T>(&p)) return t;
  return nullptr;
}

bool has_vendor(const std::vector<Payload>& payloads, const std::array<std::uint8_t, 16>& id) {
  return std::any_of(payloads.begin(), payloads.end(), [&](const Payload& p) {
    const auto* v = std::get_if<VendorPayload>(&p);
    return v != nullptr && is_vendor(v->id, id);
  });
}

std::vector<std::byte> cookies(const IkeSa& sa) {
  std::vector<std::byte> out(16);
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = std::byte(sa.cky_i >> (56 - 8 * i));
    out[8 + i] = std::byte(sa.cky_r >> (56 - 8 * i));
  }
  return out;
}

IdPayload address_id(const IpAddress& a) {
  IdPayload id;
  id.type = a.is_v4() ? 1 : 5;  // ID_IPV4_ADDR / ID_IPV6_ADDR
  const auto* b = reinterpret_cast<const std::byte*>(a.data());
  id.data.assign(b, b + a.size());
  return id;
}

std::vector<std::byte> id_body(const IdPayload& id) {
  PayloadType first{};
  const auto chain = encode_payloads({id}, first);
  return {chain.begin() + 4, chain.end()};
}

}  // namespace

void Node::on_main_mode(IkeSa* sa, const Message& m, ByteView raw, const Endpoint& local,
                        const Endpoint& from, TimePoint now, Actions& out) {
  if (sa == nullptr) {
    if (m.header.responder_cookie == 0 && !m.header.encrypted)
      respond_mm1(m, raw, local, from, now, out);
    else
      ++stats_.unknown_sa;
    return;
  }
  const bool request = !sa->initiator;
  if (!sa->last_received.empty() &&
      std::equal(raw.begin(), raw.end(), sa->last_received.begin(), sa->last_received.end())) {
    ++stats_.duplicates;
    // A repeated request: our answer was lost. A repeated answer (our request went out twice)
    // needs nothing: our own retransmissions cover a loss.
    if (request && !sa->out.bytes.empty()) send_unreliable(*sa, sa->out.bytes, out);
    return;
  }
  switch (sa->state) {
    case Phase1State::kMm1Sent:
      if (m.header.encrypted) break;
      sa->cky_r = m.header.responder_cookie;
      sa->last_received.assign(raw.begin(), raw.end());
      on_mm2(*sa, m.payloads, now, out);
      return;
    case Phase1State::kMm3Sent:
      if (m.header.encrypted) break;
      sa->last_received.assign(raw.begin(), raw.end());
      on_mm4(*sa, m.payloads, now, out);
      return;
    case Phase1State::kMm5Sent:
      if (!m.header.encrypted) break;
      sa->last_received.assign(raw.begin(), raw.end());
      on_mm6(*sa, m, now, out);
      return;
    case Phase1State::kMm2Sent:
      if (m.header.encrypted) break;
      sa->last_received.assign(raw.begin(), raw.end());
      on_mm3(*sa, m.payloads, now, out);
      return;
    case Phase1State::kMm4Sent:
      if (!m.header.encrypted) break;
      // The initiator floats to 4500 for this message; answer where it came from.
      sa->remote = from;
      sa->local.port = local.port;
      sa->last_received.assign(raw.begin(), raw.end());
      on_mm5(*sa, m, now, out);
      return;
    case Phase1State::kEstablished:
      break;
  }
  ++stats_.malformed;
}

void Node::respond_mm1(const Message& m, ByteView raw, const Endpoint& local, const Endpoint& from,
                       TimePoint now, Actions& out) {
  const std::size_t half_open =
      static_cast<std::size_t>(std::count_if(sas_.begin(), sas_.end(), [](const auto& e) {
        return !e.second->initiator && e.second->state != Phase1State::kEstablished;
      }));
  const auto refuse = [&](std::string why) {
    ++stats_.refused;
    out.events.push_back({EventType::kRefused, 0, from, std::move(why)});
  };
  if (half_open >= config_.max_half_open) {
    refuse(fmt::format("IKEv1 Main Mode from {} refused: {} negotiations already pending",
                       from.to_string(), half_open));
    return;
  }
  const PeerConfig* peer = nullptr;
  for (const auto& p : config_.peers)
    if (p.address && *p.address == from.address) peer = &p;
  if (peer == nullptr)
    for (const auto& p : config_.peers)
      if (!p.address) {
        peer = &p;
        break;
      }
  if (peer == nullptr) {
    ++stats_.unknown_peer;
    refuse(fmt::format("IKEv1 Main Mode from {} refused: no peer is configured for that address",
                       from.to_string()));
    return;
  }
  const auto* offer = first_of<SaPayload>(m.payloads);
  const auto raw_sa = raw_body(static_cast<PayloadType>(std::to_integer<std::uint8_t>(raw[16])),
                               raw.subspan(kHeaderSize), PayloadType::kSa);
  if (offer == nullptr || !raw_sa) {
    ++stats_.malformed;
    return;
  }
  auto choice = select_phase1(*offer, peer->phase1, peer->phase1_lifetime);
  if (choice && (!crypto::dh_group_supported(choice->suite.group) ||
                 (crypto::dh_group_weak(choice->suite.group) && !config_.allow_modp1024)))
    choice.reset();
  if (!choice) {
    refuse(
        fmt::format("IKEv1 Main Mode from {} (peer {}) refused: no acceptable proposal; it "
                    "offered {}",
                    from.to_string(), peer->name, describe_offer(*offer)));
    Message n;
    n.header = {m.header.initiator_cookie, 0, ExchangeType::kInformational, false, false, 0};
    n.payloads = {NotificationPayload{1, kProtocolIsakmp, {}, kNotifyNoProposalChosen, {}}};
    out.datagrams.push_back({local.port, from, encode_message(n), false});
    return;
  }
  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.handle = new_cookie();
  sa.initiator = false;
  sa.peer = peer;
  sa.local = local;
  sa.remote = from;
  sa.cky_i = m.header.initiator_cookie;
  sa.cky_r = sa.handle;
  sa.created = sa.last_heard = now;
  sa.sai_b.assign(raw_sa->begin(), raw_sa->end());
  sa.choice = *choice;
  sa.nat_t = has_vendor(m.payloads, kVendorNatT);
  sa.dpd = has_vendor(m.payloads, kVendorDpd);
  sa.last_received.assign(raw.begin(), raw.end());
  sa.state = Phase1State::kMm2Sent;
  sas_.emplace(sa.handle, std::move(owned));

  Message reply;
  reply.header = {sa.cky_i, sa.cky_r, ExchangeType::kIdentityProtection, false, false, 0};
  reply.payloads = {make_phase1_answer(sa.choice)};
  if (sa.nat_t) reply.payloads.emplace_back(VendorPayload{vendor_id(kVendorNatT)});
  reply.payloads.emplace_back(VendorPayload{vendor_id(kVendorDpd)});
  send(sa, encode_message(reply), false, now, out);
}

void Node::on_mm2(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out) {
  const auto* answer = first_of<SaPayload>(p);
  if (answer == nullptr) {
    ++stats_.malformed;
    return;
  }
  auto checked = check_phase1_answer(*answer, sa.peer->phase1);
  if (!checked) {
    ++stats_.refused;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 peer {} ({}): {}", sa.peer->name, sa.remote.to_string(),
                      checked.error()));
    remove(sa.handle, "bad proposal", now, out);
    return;
  }
  sa.choice = *checked;
  if (sa.choice.lifetime == Duration::zero()) sa.choice.lifetime = sa.peer->phase1_lifetime;
  sa.nat_t = has_vendor(p, kVendorNatT);
  sa.dpd = has_vendor(p, kVendorDpd);
  auto payloads = key_exchange_payloads(sa);
  if (payloads.empty()) {
    remove(sa.handle, "key exchange failed", now, out);
    return;
  }
  Message m;
  m.header = {sa.cky_i, sa.cky_r, ExchangeType::kIdentityProtection, false, false, 0};
  m.payloads = std::move(payloads);
  sa.state = Phase1State::kMm3Sent;
  send(sa, encode_message(m), true, now, out);
}

std::vector<Payload> Node::key_exchange_payloads(IkeSa& sa) {
  sa.dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(sa.choice.suite.group));
  if (!sa.dh) return {};
  std::vector<std::byte> nonce(kNonceSize);
  rng_.fill(nonce);
  (sa.initiator ? sa.ni : sa.nr) = nonce;
  (sa.initiator ? sa.g_xi : sa.g_xr) = sa.dh->public_value();
  std::vector<Payload> p = {KePayload{sa.dh->public_value()}, NoncePayload{nonce}};
  if (sa.nat_t) {
    const Hash h = sa.choice.suite.hash;
    p.emplace_back(NatDPayload{nat_d_hash(h, sa.cky_i, sa.cky_r, sa.remote)});
    std::vector<std::byte> self = nat_d_hash(h, sa.cky_i, sa.cky_r, sa.local);
    // A hash that cannot match makes the peer believe we are behind a NAT: UDP-encapsulated ESP.
    if (sa.peer->force_udp_encapsulation) rng_.fill(self);
    p.emplace_back(NatDPayload{std::move(self)});
  }
  return p;
}

bool Node::take_key_exchange(IkeSa& sa, const std::vector<Payload>& p, Actions& out) {
  const auto* ke = first_of<KePayload>(p);
  const auto* nonce = first_of<NoncePayload>(p);
  if (ke == nullptr || nonce == nullptr || nonce->data.size() < 8) {
    ++stats_.malformed;
    return false;
  }
  auto g_xy = sa.dh->shared_secret(ke->data);
  if (!g_xy) {
    ++stats_.refused;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 peer {} ({}) sent an invalid key exchange value", sa.peer->name,
                      sa.remote.to_string()));
    return false;
  }
  (sa.initiator ? sa.nr : sa.ni) = nonce->data;
  (sa.initiator ? sa.g_xr : sa.g_xi) = ke->data;
  const Hash h = sa.choice.suite.hash;
  sa.keys = derive_phase1_keys(h, sa.peer->psk, sa.ni, sa.nr, *g_xy, sa.cky_i, sa.cky_r,
                               sa.choice.suite.key_length / 8u);
  sa.cipher = BodyCipher::create(sa.keys.encryption);
  sa.iv = phase1_iv(h, sa.g_xi, sa.g_xr, BodyCipher::block());
  if (!sa.cipher) return false;
  // NAT-D (RFC 3947 3.2): the first describes us as the peer saw us, the rest the peer itself.
  std::vector<const NatDPayload*> natd;
  for (const auto& x : p)
    if (const auto* n = std::get_if<NatDPayload>(&x)) natd.push_back(n);
  if (sa.nat_t && natd.size() >= 2) {
    sa.local_behind_nat = natd[0]->hash != nat_d_hash(h, sa.cky_i, sa.cky_r, sa.local);
    const auto remote = nat_d_hash(h, sa.cky_i, sa.cky_r, sa.remote);
    sa.remote_behind_nat = std::none_of(natd.begin() + 1, natd.end(),
                                        [&](const NatDPayload* n) { return n->hash == remote; });
    if (sa.peer->force_udp_encapsulation) sa.local_behind_nat = true;
  }
  return true;
}

std::vector<Payload> Node::identity_payloads(IkeSa& sa, bool with_initial_contact) {
  const IdPayload id = address_id(sa.local.address);
  const auto body = id_body(id);
  const Hash h = sa.choice.suite.hash;
  const auto hash =
      sa.initiator
          ? hash_i(h, sa.keys.skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sai_b, body)
          : hash_r(h, sa.keys.skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sai_b, body);
  std::vector<Payload> p = {id, HashPayload{hash}};
  if (with_initial_contact)
    p.emplace_back(NotificationPayload{1, kProtocolIsakmp, cookies(sa), kNotifyInitialContact, {}});
  return p;
}

void Node::on_mm3(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out) {
  auto reply = key_exchange_payloads(sa);
  if (reply.empty() || !take_key_exchange(sa, p, out)) {
    remove(sa.handle, "key exchange failed", now, out);
    return;
  }
  Message m;
  m.header = {sa.cky_i, sa.cky_r, ExchangeType::kIdentityProtection, false, false, 0};
  m.payloads = std::move(reply);
  sa.state = Phase1State::kMm4Sent;
  send(sa, encode_message(m), false, now, out);
}

void Node::on_mm4(IkeSa& sa, const std::vector<Payload>& p, TimePoint now, Actions& out) {
  if (!take_key_exchange(sa, p, out)) {
    remove(sa.handle, "key exchange failed", now, out);
    return;
  }
  if (sa.nat_t && (sa.local_behind_nat || sa.remote_behind_nat)) {
    sa.local.port = kNatTraversalPort;
    sa.remote.port = kNatTraversalPort;
  }
  // INITIAL-CONTACT would make the peer drop the Child SAs a renewal is meant to keep.
  const auto payloads = identity_payloads(sa, !sa.replaces);
  sa.state = Phase1State::kMm5Sent;
  send(sa, seal(sa, ExchangeType::kIdentityProtection, 0, payloads, sa.iv), true, now, out);
}

void Node::on_mm5(IkeSa& sa, const Message& m, TimePoint now, Actions& out) {
  const auto body = sa.cipher->decrypt(m.encrypted, sa.iv);
  const auto fail = [&](std::string_view why) {
    ++stats_.refused;
    ++stats_.auth_failed;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 peer {} ({}) failed to authenticate: {}", sa.peer->name,
                      sa.remote.to_string(), why));
    remove(sa.handle, "authentication failed", now, out);
  };
  if (!body) return fail("message 5 is not whole cipher blocks");
  auto payloads = decode_payloads(m.first, *body, true);
  const auto raw_id = raw_body(m.first, *body, PayloadType::kId);
  if (!payloads || !raw_id) return fail("message 5 does not decrypt (pre-shared key mismatch?)");
  const auto* hash = first_of<HashPayload>(*payloads);
  if (hash == nullptr) return fail("message 5 has no HASH_I");
  const Hash h = sa.choice.suite.hash;
  const auto expected =
      hash_i(h, sa.keys.skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sai_b, *raw_id);
  if (!same_hash(expected, hash->data))
    return fail("HASH_I does not verify (pre-shared key mismatch)");
  sa.peer_id.assign(raw_id->begin(), raw_id->end());
  bool initial_contact = false;
  for (const auto& x : *payloads)
    if (const auto* n = std::get_if<NotificationPayload>(&x); n && n->type == kNotifyInitialContact)
      initial_contact = true;
  // INITIAL-CONTACT: the peer has restarted, so whatever it had with us before is gone.
  if (initial_contact) {
    std::vector<std::uint64_t> stale;
    for (const auto& [handle, other] : sas_)
      if (handle != sa.handle && !other->initiator && other->remote.address == sa.remote.address &&
          other->peer_id == sa.peer_id)
        stale.push_back(handle);
    for (const auto handle : stale) remove(handle, "the peer made initial contact again", now, out);
  }
  const auto reply = identity_payloads(sa, false);
  send(sa, seal(sa, ExchangeType::kIdentityProtection, 0, reply, sa.iv), false, now, out);
  sa.last_mm_block = sa.iv;
  established(sa, now, out);
}

void Node::on_mm6(IkeSa& sa, const Message& m, TimePoint now, Actions& out) {
  auto iv = sa.iv;
  const auto body = sa.cipher->decrypt(m.encrypted, iv);
  auto payloads = body ? decode_payloads(m.first, *body, true)
                       : Result<std::vector<Payload>, DecodeError>(Err(DecodeError{"blocks"}));
  const auto raw_id = body ? raw_body(m.first, *body, PayloadType::kId) : std::nullopt;
  const auto* hash = payloads ? first_of<HashPayload>(*payloads) : nullptr;
  const Hash h = sa.choice.suite.hash;
  if (!raw_id || hash == nullptr ||
      !same_hash(hash_r(h, sa.keys.skeyid, sa.g_xi, sa.g_xr, sa.cky_i, sa.cky_r, sa.sai_b, *raw_id),
                 hash->data)) {
    ++stats_.refused;
    ++stats_.auth_failed;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 peer {} ({}) failed to authenticate: HASH_R does not verify "
                      "(pre-shared key mismatch)",
                      sa.peer->name, sa.remote.to_string()));
    remove(sa.handle, "authentication failed", now, out);
    return;
  }
  sa.iv = iv;
  sa.last_mm_block = iv;
  sa.peer_id.assign(raw_id->begin(), raw_id->end());
  established(sa, now, out);
}

void Node::established(IkeSa& sa, TimePoint now, Actions& out) {
  sa.state = Phase1State::kEstablished;
  sa.out.armed = false;
  sa.last_heard = now;
  const Duration life =
      sa.choice.lifetime > Duration::zero() ? sa.choice.lifetime : sa.peer->phase1_lifetime;
  sa.expires_at = now + life;
  // The initiator renews phase 1; a responder only lets it lapse.
  sa.rekey_at = sa.initiator ? jittered(now, life, sa.peer->rekey_margin) : TimePoint::max();
  if (sa.nat_t && sa.local_behind_nat) sa.next_keepalive = now + config_.nat_keepalive;
  event(out, EventType::kIkeSaUp, sa,
        fmt::format("IKEv1 SA with {} ({}) established as {}: {}, {}", sa.peer->name,
                    sa.remote.to_string(), sa.initiator ? "initiator" : "responder",
                    describe(sa.choice.suite),
                    sa.remote.port == kNatTraversalPort ? "UDP-encapsulated (NAT-T)" : "no NAT"));
  // A renewed phase 1 SA takes over the Child SAs of the one it replaces.
  std::optional<std::uint64_t> old = sa.replaces;
  if (!old && !sa.initiator)
    for (const auto& [handle, other] : sas_)
      if (handle != sa.handle && other->state == Phase1State::kEstablished &&
          other->remote.address == sa.remote.address && other->peer_id == sa.peer_id)
        old = handle;
  if (old) {
    if (const auto it = sas_.find(*old); it != sas_.end()) {
      IkeSa& previous = *it->second;
      for (auto& c : previous.children) sa.children.push_back(c);
      previous.children.clear();
      if (sa.initiator) {
        send_delete_ike(previous, out);
        remove(*old, "replaced by a new phase 1 SA", now, out);
      }
    }
  }
  // A first SA negotiates its Child SA; so does a renewal whose predecessor died (or had none)
  // before it completed, with nothing to take over.
  if (sa.initiator && sa.children.empty()) start_quick_mode(sa, std::nullopt, now, out);
}

}  // namespace tandem::ipsec::ike::v1
