// Quick Mode (RFC 2409 section 5.5), both roles, under an established phase 1 SA:
//   1 I->R* HASH(1), SA, Ni [, KE] [, IDci, IDcr] [, NAT-OAi, NAT-OAr]
//   2 R->I* HASH(2), SA, Nr [, KE] [, IDci, IDcr]
//   3 I->R* HASH(3)
// Each exchange has its own message ID and IV chain. The initiator installs the ESP SA pair
// after sending message 3, the responder when message 3 arrives. A Quick Mode that replaces an
// SA (rekey) carries the same traffic description; the old pair stays a few seconds for
// packets in flight, then is deleted.
#include <fmt/format.h>

#include <algorithm>

#include "ipsec/ike/v1/chain.hpp"
#include "ipsec/ike/v1/node.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kNonceSize = 32;
constexpr std::uint16_t kNotifyNoProposalChosen = 14;
constexpr Duration kKeepAfterDone = 60s;
constexpr Duration kOldSaGrace = 10s;

// A selector as a Quick Mode ID (RFC 2407 4.6.2): an address, a subnet, or a range.
IdPayload selector_id(const Selector& s) {
  IdPayload id;
  id.protocol = s.ip_protocol;
  id.port = s.start_port == s.end_port ? s.start_port : 0;
  const bool v4 = s.start.is_v4();
  const auto* a = reinterpret_cast<const std::byte*>(s.start.data());
  const auto* b = reinterpret_cast<const std::byte*>(s.end.data());
  id.data.assign(a, a + s.start.size());
  if (s.start == s.end) {
    id.type = v4 ? 1 : 5;
    return id;
  }
  // A prefix if start..end is one; otherwise a range.
  std::vector<std::byte> mask(s.start.size());
  bool prefix = true;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    const auto x = std::to_integer<std::uint8_t>(a[i]), y = std::to_integer<std::uint8_t>(b[i]);
    const auto m = static_cast<std::uint8_t>(~(x ^ y));
    mask[i] = std::byte(m);
    if ((x & ~m) != 0 || (y | m) != 0xff) prefix = false;
  }
  id.type = prefix ? (v4 ? 4 : 6) : (v4 ? 7 : 8);
  if (prefix)
    id.data.insert(id.data.end(), mask.begin(), mask.end());
  else
    id.data.insert(id.data.end(), b, b + s.end.size());
  return id;
}

std::optional<Selector> id_selector(const IdPayload& id) {
  const bool v4 = id.type == 1 || id.type == 4 || id.type == 7;
  const bool v6 = id.type == 5 || id.type == 6 || id.type == 8;
  const std::size_t n = v4 ? 4 : 16;
  if ((!v4 && !v6) || id.data.size() != (id.type == 1 || id.type == 5 ? n : 2 * n))
    return std::nullopt;
  const auto address = [&](std::size_t off) {
    if (v4) {
      std::array<std::uint8_t, 4> a{};
      for (std::size_t i = 0; i < 4; ++i) a[i] = std::to_integer<std::uint8_t>(id.data[off + i]);
      return IpAddress::v4(a);
    }
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < 16; ++i) a[i] = std::to_integer<std::uint8_t>(id.data[off + i]);
    return IpAddress::v6(a);
  };
  Selector s;
  s.ip_protocol = id.protocol;
  s.start_port = id.port;
  s.end_port = id.port == 0 ? 65535 : id.port;
  s.start = address(0);
  if (id.type == 1 || id.type == 5) {
    s.end = s.start;
  } else if (id.type == 7 || id.type == 8) {
    s.end = address(n);
  } else {
    // Subnet: end = start | ~mask.
    std::vector<std::byte> end(id.data.begin(), id.data.begin() + static_cast<std::ptrdiff_t>(n));
    for (std::size_t i = 0; i < n; ++i) end[i] |= ~id.data[n + i];
    IdPayload host;
    host.type = v4 ? 1 : 5;
    host.data = end;
    s.end = id_selector(host)->start;
  }
  return s;
}

bool within(const Selector& inner, const Selector& outer) {
  return inner.start.family() == outer.start.family() && outer.start <= inner.start &&
         inner.end <= outer.end &&
         (outer.ip_protocol == 0 || inner.ip_protocol == outer.ip_protocol) &&
         outer.start_port <= inner.start_port && inner.end_port <= outer.end_port;
}

// Transport mode: the peer may name the L2TP port, or leave protocol and port open.
bool transport_fits(const Selector& s, const PeerConfig& peer) {
  return (s.ip_protocol == 0 || s.ip_protocol == peer.transport_protocol) &&
         (s.start_port == 0 || s.start_port == peer.transport_port);
}

Payload nat_oa(const IpAddress& a) {
  OpaquePayload p;
  p.type = static_cast<std::uint8_t>(PayloadType::kNatOa);
  p.body = {std::byte{a.is_v4() ? std::uint8_t{1} : std::uint8_t{5}}, std::byte{0}, std::byte{0},
            std::byte{0}};
  const auto* b = reinterpret_cast<const std::byte*>(a.data());
  p.body.insert(p.body.end(), b, b + a.size());
  return p;
}

template <typename T>
std::vector<const T*> all_of_type(const std::vector<Payload>& payloads) {
  std::vector<const T*> out;
  for (const auto& p : payloads)
    if (const auto* t = std::get_if<T>(&p)) out.push_back(t);
  return out;
}

}  // namespace

Selector Node::default_local(const IkeSa& sa) const {
  if (sa.peer->mode == EspMode::kTunnel && sa.peer->local_subnet) return *sa.peer->local_subnet;
  return {sa.local.address, sa.local.address, sa.peer->transport_protocol, sa.peer->transport_port,
          sa.peer->transport_port};
}

Selector Node::default_remote(const IkeSa& sa) const {
  if (sa.peer->mode == EspMode::kTunnel && sa.peer->remote_subnet) return *sa.peer->remote_subnet;
  return {sa.remote.address, sa.remote.address, sa.peer->transport_protocol,
          sa.peer->transport_port, sa.peer->transport_port};
}

void Node::start_quick_mode(IkeSa& sa, std::optional<std::size_t> rekey_of, TimePoint now,
                            Actions& out) {
  const PeerConfig& peer = *sa.peer;
  QuickMode qm;
  qm.message_id = new_message_id(sa);
  qm.initiator = true;
  qm.iv = phase2_iv(sa.choice.suite.hash, sa.last_mm_block, qm.message_id, BodyCipher::block());
  qm.our_spi = new_spi();
  qm.ni.resize(kNonceSize);
  rng_.fill(qm.ni);
  if (rekey_of) {
    Child& c = sa.children[*rekey_of];
    c.rekeying = true;
    qm.replaces = c.inbound_spi;
    qm.local = c.local;
    qm.remote = c.remote;
  } else {
    qm.local = default_local(sa);
    qm.remote = default_remote(sa);
  }
  const bool udp = sa.nat_t && (sa.local_behind_nat || sa.remote_behind_nat);
  std::vector<Payload> rest = {
      make_phase2_offer(peer.phase2, qm.our_spi, peer.mode, udp, peer.phase2_lifetime),
      NoncePayload{qm.ni}};
  const std::uint16_t pfs = peer.phase2.empty() ? 0 : peer.phase2.front().pfs_group;
  if (pfs != 0) {
    qm.dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(pfs));
    if (!qm.dh) return;
    rest.emplace_back(KePayload{qm.dh->public_value()});
  }
  rest.emplace_back(selector_id(qm.local));
  rest.emplace_back(selector_id(qm.remote));
  if (udp && peer.mode == EspMode::kTransport) {
    rest.push_back(nat_oa(sa.local.address));
    rest.push_back(nat_oa(sa.remote.address));
  }
  PayloadType rest_first{};
  const auto rest_bytes = encode_payloads(rest, rest_first);
  const auto hash = quick_hash_1(sa.choice.suite.hash, sa.keys.skeyid_a, qm.message_id, rest_bytes);
  Message m;
  m.header = {sa.cky_i, sa.cky_r, ExchangeType::kQuickMode, true, false, qm.message_id};
  m.first = PayloadType::kHash;
  m.encrypted = sa.cipher->encrypt(join_hashed(hash, rest_first, rest_bytes), qm.iv);
  qm.out.bytes = encode_message(m);
  qm.out.sent = 1;
  qm.out.armed = !config_.retransmits.empty();
  qm.out.next = now + (qm.out.armed ? config_.retransmits.front() : Duration::zero());
  send_unreliable(sa, qm.out.bytes, out);
  sa.quick_modes.emplace(qm.message_id, std::move(qm));
}

void Node::on_quick_mode(IkeSa& sa, const Message& m, ByteView raw, TimePoint now, Actions& out) {
  const auto it = sa.quick_modes.find(m.header.message_id);
  if (it == sa.quick_modes.end()) {
    respond_qm1(sa, m, raw, now, out);
    return;
  }
  QuickMode& qm = it->second;
  if (std::equal(raw.begin(), raw.end(), qm.last_received.begin(), qm.last_received.end())) {
    ++stats_.duplicates;
    send_unreliable(sa, qm.out.bytes, out);
    return;
  }
  if (qm.forget_at) return;  // finished; nothing more is expected
  auto iv = qm.iv;
  const auto body = sa.cipher->decrypt(m.encrypted, iv);
  if (!body) {
    ++stats_.malformed;
    return;
  }
  qm.iv = iv;
  qm.last_received.assign(raw.begin(), raw.end());
  if (qm.initiator)
    on_qm2(sa, qm, *body, now, out);
  else
    on_qm3(sa, qm, *body, now, out);
}

void Node::respond_qm1(IkeSa& sa, const Message& m, ByteView raw, TimePoint now, Actions& out) {
  const PeerConfig& peer = *sa.peer;
  QuickMode qm;
  qm.message_id = m.header.message_id;
  qm.initiator = false;
  qm.iv = phase2_iv(sa.choice.suite.hash, sa.last_mm_block, qm.message_id, BodyCipher::block());
  const auto body = sa.cipher->decrypt(m.encrypted, qm.iv);
  const auto hashed = body ? split_hashed(m.first, *body) : std::nullopt;
  const auto payloads =
      hashed ? checked_payloads(*hashed, quick_hash_1(sa.choice.suite.hash, sa.keys.skeyid_a,
                                                      qm.message_id, hashed->rest))
             : std::nullopt;
  if (!payloads) {
    ++stats_.malformed;
    return;
  }
  sa.last_heard = now;
  const auto offers = all_of_type<SaPayload>(*payloads);
  const auto nonces = all_of_type<NoncePayload>(*payloads);
  const auto kes = all_of_type<KePayload>(*payloads);
  const auto ids = all_of_type<IdPayload>(*payloads);
  const auto refuse = [&](std::string why) {
    ++stats_.refused;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 Quick Mode from {} ({}) refused: {}", peer.name, sa.remote.to_string(),
                      why));
    send_informational(sa, {NotificationPayload{1, kProtocolEsp, {}, kNotifyNoProposalChosen, {}}},
                       out);
  };
  if (offers.size() != 1 || nonces.size() != 1 || (ids.size() != 0 && ids.size() != 2)) {
    ++stats_.malformed;
    return;
  }
  const bool udp = sa.nat_t && (sa.local_behind_nat || sa.remote_behind_nat);
  const auto choice = select_phase2(*offers[0], peer.phase2, peer.mode, udp, peer.phase2_lifetime);
  if (!choice)
    return refuse(fmt::format("no acceptable proposal for {} mode{}; it offered {}",
                              peer.mode == EspMode::kTunnel ? "tunnel" : "transport",
                              udp ? " in UDP" : "", describe_offer(*offers[0])));
  qm.choice = *choice;
  // Traffic: IDci is the initiator's side (the peer's), IDcr ours.
  qm.remote = default_remote(sa);
  qm.local = default_local(sa);
  if (ids.size() == 2) {
    const auto theirs = id_selector(*ids[0]);
    const auto ours = id_selector(*ids[1]);
    if (!theirs || !ours)
      return refuse("its traffic description is not an address, subnet or range");
    if (peer.mode == EspMode::kTransport) {
      if (!transport_fits(*theirs, peer) || !transport_fits(*ours, peer))
        return refuse(fmt::format(
            "transport mode for protocol {} port {}, only {} port {} is allowed",
            theirs->ip_protocol, theirs->start_port, peer.transport_protocol, peer.transport_port));
      qm.remote.start_port = theirs->start_port;
      qm.remote.end_port = theirs->end_port;
    } else {
      if (!within(*theirs, qm.remote) || !within(*ours, qm.local))
        return refuse("its subnets are not within the ones configured");
      qm.remote = *theirs;
      qm.local = *ours;
    }
  }
  if (qm.choice.suite.pfs_group != 0) {
    if (crypto::dh_group_weak(qm.choice.suite.pfs_group) && !config_.allow_modp1024)
      return refuse("PFS with MODP 1024 is not allowed (allow_modp1024)");
    qm.dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(qm.choice.suite.pfs_group));
    const auto g_xy = qm.dh && kes.size() == 1 ? qm.dh->shared_secret(kes[0]->data) : std::nullopt;
    if (!g_xy) return refuse("PFS was chosen but its key exchange is missing or invalid");
    qm.g_xy = *g_xy;
  }
  qm.ni = nonces[0]->data;
  qm.nr.resize(kNonceSize);
  rng_.fill(qm.nr);
  qm.our_spi = new_spi();

  std::vector<Payload> rest = {make_phase2_answer(qm.choice, qm.our_spi), NoncePayload{qm.nr}};
  if (qm.dh) rest.emplace_back(KePayload{qm.dh->public_value()});
  if (ids.size() == 2) {
    rest.emplace_back(*ids[0]);
    rest.emplace_back(*ids[1]);
  }
  PayloadType rest_first{};
  const auto rest_bytes = encode_payloads(rest, rest_first);
  const auto hash =
      quick_hash_2(sa.choice.suite.hash, sa.keys.skeyid_a, qm.message_id, qm.ni, rest_bytes);
  Message reply;
  reply.header = {sa.cky_i, sa.cky_r, ExchangeType::kQuickMode, true, false, qm.message_id};
  reply.first = PayloadType::kHash;
  reply.encrypted = sa.cipher->encrypt(join_hashed(hash, rest_first, rest_bytes), qm.iv);
  qm.out.bytes = encode_message(reply);
  qm.out.sent = 1;
  qm.out.armed = !config_.retransmits.empty();
  qm.out.next = now + (qm.out.armed ? config_.retransmits.front() : Duration::zero());
  qm.waiting_for_hash3 = true;
  qm.last_received.assign(raw.begin(), raw.end());
  send_unreliable(sa, qm.out.bytes, out);
  event(out, EventType::kChildSaAgreed, sa,
        fmt::format("IKEv1 Quick Mode with {} ({}): answered with {}, {} mode{}, inbound SPI "
                    "{:08x}; installed when the initiator confirms",
                    sa.peer->name, sa.remote.to_string(), describe(qm.choice.suite),
                    qm.choice.mode == EspMode::kTransport ? "transport" : "tunnel",
                    qm.choice.udp_encapsulated ? " in UDP" : "", qm.our_spi));
  sa.quick_modes.emplace(qm.message_id, std::move(qm));
}

void Node::on_qm2(IkeSa& sa, QuickMode& qm, ByteView body, TimePoint now, Actions& out) {
  const auto hashed = split_hashed(PayloadType::kHash, body);
  const auto payloads =
      hashed ? checked_payloads(*hashed, quick_hash_2(sa.choice.suite.hash, sa.keys.skeyid_a,
                                                      qm.message_id, qm.ni, hashed->rest))
             : std::nullopt;
  if (!payloads) {
    ++stats_.malformed;
    return;
  }
  sa.last_heard = now;
  const auto answers = all_of_type<SaPayload>(*payloads);
  const auto nonces = all_of_type<NoncePayload>(*payloads);
  const auto kes = all_of_type<KePayload>(*payloads);
  const auto fail = [&](std::string why) {
    ++stats_.refused;
    event(out, EventType::kRefused, sa,
          fmt::format("IKEv1 Quick Mode with {} ({}) failed: {}", sa.peer->name,
                      sa.remote.to_string(), why));
    qm.out.armed = false;
    qm.forget_at = now + kKeepAfterDone;
  };
  if (answers.size() != 1 || nonces.size() != 1) return fail("its answer lacks SA or nonce");
  auto checked = check_phase2_answer(*answers[0], sa.peer->phase2, sa.peer->mode);
  if (!checked) return fail(checked.error());
  qm.choice = *checked;
  if (qm.choice.lifetime == Duration::zero()) qm.choice.lifetime = sa.peer->phase2_lifetime;
  qm.nr = nonces[0]->data;
  if (qm.dh) {
    const auto g_xy = kes.size() == 1 ? qm.dh->shared_secret(kes[0]->data) : std::nullopt;
    if (!g_xy) return fail("its PFS key exchange is missing or invalid");
    qm.g_xy = *g_xy;
  }
  const auto hash3 =
      quick_hash_3(sa.choice.suite.hash, sa.keys.skeyid_a, qm.message_id, qm.ni, qm.nr);
  Message m;
  m.header = {sa.cky_i, sa.cky_r, ExchangeType::kQuickMode, true, false, qm.message_id};
  m.first = PayloadType::kHash;
  m.encrypted = sa.cipher->encrypt(join_hashed(hash3, PayloadType::kNone, {}), qm.iv);
  qm.out.bytes = encode_message(m);
  qm.out.armed = false;
  send_unreliable(sa, qm.out.bytes, out);
  install(sa, qm, now, out);
}

void Node::on_qm3(IkeSa& sa, QuickMode& qm, ByteView body, TimePoint now, Actions& out) {
  const auto hashed = split_hashed(PayloadType::kHash, body);
  if (!hashed ||
      !same_hash(quick_hash_3(sa.choice.suite.hash, sa.keys.skeyid_a, qm.message_id, qm.ni, qm.nr),
                 hashed->hash)) {
    ++stats_.malformed;
    return;
  }
  sa.last_heard = now;
  qm.out.armed = false;
  install(sa, qm, now, out);
}

void Node::install(IkeSa& sa, QuickMode& qm, TimePoint now, Actions& out) {
  qm.waiting_for_hash3 = false;
  qm.forget_at = now + kKeepAfterDone;
  const Phase2Suite& suite = qm.choice.suite;
  const Hash h = sa.choice.suite.hash;
  const std::optional<ByteView> pfs =
      qm.g_xy.empty() ? std::nullopt : std::optional<ByteView>(qm.g_xy);
  const auto in =
      keymat(h, sa.keys.skeyid_d, pfs, kProtocolEsp, qm.our_spi, qm.ni, qm.nr, keymat_size(suite));
  const auto outbound = keymat(h, sa.keys.skeyid_d, pfs, kProtocolEsp, qm.choice.peer_spi, qm.ni,
                               qm.nr, keymat_size(suite));
  ChildSa c;
  c.ike_sa = sa.handle;
  c.inbound_spi = qm.our_spi;
  c.outbound_spi = qm.choice.peer_spi;
  c.inbound_keys = esp_keys(suite, in);
  c.outbound_keys = esp_keys(suite, outbound);
  c.mode = qm.choice.mode;
  c.local = {qm.local};
  c.remote = {qm.remote};
  c.local_endpoint = sa.local;
  c.peer = sa.remote;
  c.udp_encapsulated = qm.choice.udp_encapsulated;
  c.lifetime = qm.choice.lifetime;
  c.replaces = qm.replaces;
  c.suite = describe(suite);
  out.installs.push_back(c);
  event(out, EventType::kChildSaUp, sa,
        fmt::format("ESP SA {:08x}/{:08x} with {} ({}) up: {} {} mode{}, lifetime {} s",
                    c.inbound_spi, c.outbound_spi, sa.peer->name, sa.remote.to_string(), c.suite,
                    c.mode == EspMode::kTunnel ? "tunnel" : "transport",
                    c.udp_encapsulated ? " in UDP" : "",
                    std::chrono::duration_cast<std::chrono::seconds>(c.lifetime).count()));
  Child child;
  child.inbound_spi = c.inbound_spi;
  child.outbound_spi = c.outbound_spi;
  child.initiated = qm.initiator;
  child.local = qm.local;
  child.remote = qm.remote;
  child.expires_at = now + c.lifetime;
  // The Quick Mode initiator renews; the responder only if the initiator has not by a later point.
  child.rekey_at = qm.initiator ? jittered(now, c.lifetime, sa.peer->rekey_margin)
                                : jittered(now, c.lifetime, sa.peer->rekey_margin / 3);
  sa.children.push_back(child);
  if (qm.replaces) {
    for (auto& old : sa.children)
      if (old.inbound_spi == *qm.replaces) {
        old.rekeying = true;
        old.rekey_at = TimePoint::max();
        old.expires_at = std::min(old.expires_at, now + kOldSaGrace);
      }
  } else if (!qm.initiator) {
    // The peer renewed an SA without saying so (IKEv1 has no REKEY notify): an older pair with
    // the same traffic is now spare and goes after the grace period.
    for (auto& old : sa.children)
      if (old.inbound_spi != child.inbound_spi && old.local == child.local &&
          old.remote == child.remote && !old.rekeying) {
        old.rekeying = true;
        old.rekey_at = TimePoint::max();
        old.expires_at = std::min(old.expires_at, now + kOldSaGrace);
      }
  }
}

}  // namespace tandem::ipsec::ike::v1
