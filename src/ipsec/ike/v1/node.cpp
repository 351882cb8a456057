#include "ipsec/ike/v1/node.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "ipsec/ike/v1/chain.hpp"
#include "ipsec/ike/v1/nat.hpp"

namespace tandem::ipsec::ike::v1 {

Node::Node(Config config, Rng& rng) : config_(std::move(config)), rng_(rng) {}

std::uint64_t Node::new_cookie() {
  while (true) {
    const std::uint64_t c = rng_.next_u64();
    if (c != 0 && !sas_.contains(c)) return c;
  }
}

std::uint32_t Node::new_message_id(const IkeSa& sa) {
  while (true) {
    const std::uint32_t m = rng_.next_u32();
    if (m != 0 && !sa.quick_modes.contains(m)) return m;
  }
}

std::uint32_t Node::new_spi() {
  while (true) {
    const std::uint32_t spi = rng_.next_u32();
    if (spi < 256) continue;  // 1..255 are reserved (RFC 4303 2.1)
    bool used = false;
    for (const auto& [h, sa] : sas_) {
      for (const auto& c : sa->children) used = used || c.inbound_spi == spi;
      for (const auto& [mid, qm] : sa->quick_modes) used = used || qm.our_spi == spi;
    }
    if (!used) return spi;
  }
}

IkeSa* Node::find(const Header& h, const Endpoint& from) {
  if (h.responder_cookie != 0) {
    if (auto it = sas_.find(h.responder_cookie);
        it != sas_.end() && !it->second->initiator && it->second->cky_i == h.initiator_cookie)
      return it->second.get();
    if (auto it = sas_.find(h.initiator_cookie);
        it != sas_.end() && it->second->initiator &&
        (it->second->cky_r == h.responder_cookie || it->second->cky_r == 0))
      return it->second.get();
    return nullptr;
  }
  // A refusal of our first message carries no responder cookie.
  if (h.exchange == ExchangeType::kInformational)
    if (auto it = sas_.find(h.initiator_cookie); it != sas_.end() && it->second->initiator)
      return it->second.get();
  // A repeated first message: the half-open SA it created, if any.
  for (auto& [handle, sa] : sas_)
    if (!sa->initiator && sa->cky_i == h.initiator_cookie && sa->remote == from) return sa.get();
  return nullptr;
}

void Node::send(IkeSa& sa, std::vector<std::byte> bytes, bool request, TimePoint now,
                Actions& out) {
  out.datagrams.push_back({sa.local.port, sa.remote, bytes, false});
  sa.out.bytes = std::move(bytes);
  sa.out.sent = 1;
  sa.out.armed = request && !config_.retransmits.empty();
  sa.out.next = sa.out.armed ? now + config_.retransmits.front() : TimePoint::max();
}

void Node::send_unreliable(IkeSa& sa, std::vector<std::byte> bytes, Actions& out) {
  out.datagrams.push_back({sa.local.port, sa.remote, std::move(bytes), false});
}

std::vector<std::byte> Node::seal(IkeSa& sa, ExchangeType exchange, std::uint32_t message_id,
                                  const std::vector<Payload>& payloads,
                                  std::vector<std::byte>& iv) {
  Message m;
  m.header = {sa.cky_i, sa.cky_r, exchange, true, false, message_id};
  const auto body = encode_payloads(payloads, m.first);
  m.encrypted = sa.cipher->encrypt(body, iv);
  return encode_message(m);
}

void Node::event(Actions& out, EventType type, const IkeSa& sa, std::string detail) {
  out.events.push_back({type, sa.handle, sa.remote, std::move(detail)});
}

TimePoint Node::jittered(TimePoint now, Duration lifetime, Duration margin) {
  // Never rekey in the first half of a lifetime, however large the margin.
  const Duration m = std::min(margin, lifetime / 2);
  const auto spread = static_cast<std::uint64_t>(m.count() / 3);
  const Duration jitter{spread == 0 ? 0 : static_cast<Duration::rep>(rng_.next_u64() % spread)};
  return now + lifetime - m - jitter;
}

void Node::remove_child(IkeSa& sa, std::size_t index, Actions& out) {
  const Child c = sa.children[index];
  sa.children.erase(sa.children.begin() + static_cast<std::ptrdiff_t>(index));
  out.removals.push_back({sa.handle, c.inbound_spi, c.outbound_spi});
  event(out, EventType::kChildSaDown, sa,
        fmt::format("ESP SA {:08x}/{:08x} with {} removed", c.inbound_spi, c.outbound_spi,
                    sa.remote.to_string()));
}

void Node::remove(std::uint64_t handle, std::string_view why, TimePoint, Actions& out) {
  const auto it = sas_.find(handle);
  if (it == sas_.end()) return;
  IkeSa& sa = *it->second;
  while (!sa.children.empty()) remove_child(sa, sa.children.size() - 1, out);
  if (sa.state == Phase1State::kEstablished)
    event(out, EventType::kIkeSaDown, sa,
          fmt::format("IKEv1 SA with {} ({}) down: {}", sa.peer ? sa.peer->name : "?",
                      sa.remote.to_string(), why));
  sas_.erase(it);
}

Result<std::uint64_t, std::string> Node::initiate(std::string_view peer_name, const Endpoint& local,
                                                  TimePoint now, Actions& out) {
  const auto peer = std::find_if(config_.peers.begin(), config_.peers.end(),
                                 [&](const PeerConfig& p) { return p.name == peer_name; });
  if (peer == config_.peers.end()) return Err(fmt::format("no IKEv1 peer named '{}'", peer_name));
  if (!peer->address) return Err(fmt::format("IKEv1 peer '{}' has no address", peer_name));
  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.handle = new_cookie();
  sa.initiator = true;
  sa.peer = &*peer;
  sa.local = {local.address, kIkePort};
  sa.remote = {*peer->address, peer->port};
  sa.cky_i = sa.handle;
  sa.created = sa.last_heard = now;
  sas_.emplace(sa.handle, std::move(owned));

  Message m;
  m.header = {sa.cky_i, 0, ExchangeType::kIdentityProtection, false, false, 0};
  SaPayload offer = make_phase1_offer(peer->phase1, peer->phase1_lifetime);
  m.payloads = {offer, VendorPayload{vendor_id(kVendorNatT)}, VendorPayload{vendor_id(kVendorDpd)}};
  PayloadType first{};
  const auto sa_chain = encode_payloads({offer}, first);
  sa.sai_b.assign(sa_chain.begin() + 4, sa_chain.end());
  sa.state = Phase1State::kMm1Sent;
  send(sa, encode_message(m), true, now, out);
  return sa.handle;
}

void Node::on_datagram(ByteView raw, const Endpoint& local, const Endpoint& from, TimePoint now,
                       Actions& out) {
  auto decoded = decode_message(raw);
  if (!decoded) {
    ++stats_.malformed;
    return;
  }
  const Message& m = *decoded;
  if (m.header.exchange == ExchangeType::kAggressive) {
    ++stats_.refused;
    out.events.push_back({EventType::kRefused, 0, from,
                          fmt::format("IKEv1 Aggressive Mode from {} refused: it exposes a hash of "
                                      "the pre-shared key to offline guessing; use Main Mode",
                                      from.to_string())});
    return;
  }
  IkeSa* sa = find(m.header, from);
  if (m.header.exchange == ExchangeType::kIdentityProtection) {
    on_main_mode(sa, m, raw, local, from, now, out);
    return;
  }
  if (sa == nullptr) {
    ++stats_.unknown_sa;
    return;
  }
  if (sa->state != Phase1State::kEstablished) {
    // The only thing worth reading before phase 1 is up: a refusal of our proposal.
    if (m.header.exchange == ExchangeType::kInformational && !m.header.encrypted && sa->initiator) {
      for (const auto& p : m.payloads)
        if (const auto* n = std::get_if<NotificationPayload>(&p); n && n->type < 16384) {
          ++stats_.refused;
          event(out, EventType::kRefused, *sa,
                fmt::format("IKEv1 peer {} ({}) refused Main Mode with notification {}",
                            sa->peer->name, sa->remote.to_string(), n->type));
          remove(sa->handle, "refused", now, out);
          return;
        }
    }
    ++stats_.unknown_sa;
    return;
  }
  if (!m.header.encrypted) {
    ++stats_.malformed;
    return;
  }
  // The peer's NAT mapping may change; follow it once the message authenticates (below, by
  // the handlers updating last_heard). Port 4500 is where a floated SA lives.
  if (m.header.exchange == ExchangeType::kQuickMode) {
    on_quick_mode(*sa, m, raw, now, out);
  } else if (m.header.exchange == ExchangeType::kInformational) {
    on_informational(*sa, m, now, out);
  } else {
    ++stats_.malformed;
  }
}

void Node::note_inbound_esp(std::uint32_t inbound_spi, TimePoint now) {
  for (auto& [h, sa] : sas_)
    for (const auto& c : sa->children)
      if (c.inbound_spi == inbound_spi) {
        sa->last_heard = std::max(sa->last_heard, now);
        sa->dpd_since.reset();
        return;
      }
}

void Node::rekey_child(std::uint32_t inbound_spi, TimePoint now, Actions& out) {
  for (auto& [h, sa] : sas_)
    for (std::size_t i = 0; i < sa->children.size(); ++i)
      if (sa->children[i].inbound_spi == inbound_spi && !sa->children[i].rekeying) {
        start_quick_mode(*sa, i, now, out);
        return;
      }
}

void Node::close(std::uint64_t handle, TimePoint now, Actions& out) {
  const auto it = sas_.find(handle);
  if (it == sas_.end()) return;
  IkeSa& sa = *it->second;
  if (sa.state == Phase1State::kEstablished) {
    std::vector<std::uint32_t> spis;
    for (const auto& c : sa.children) spis.push_back(c.inbound_spi);
    if (!spis.empty()) send_delete_children(sa, spis, out);
    send_delete_ike(sa, out);
  }
  remove(handle, "closed", now, out);
}

void Node::on_timer(TimePoint now, Actions& out) {
  std::vector<std::uint64_t> handles;
  for (const auto& [h, sa] : sas_) handles.push_back(h);
  for (const auto h : handles)
    if (const auto it = sas_.find(h); it != sas_.end()) tick(*it->second, now, out);
}

namespace {

TimePoint deadline_of(const IkeSa& sa, const Config& config) {
  TimePoint t = TimePoint::max();
  if (sa.out.armed) t = std::min(t, sa.out.next);
  for (const auto& [mid, qm] : sa.quick_modes) {
    if (qm.out.armed) t = std::min(t, qm.out.next);
    if (qm.forget_at) t = std::min(t, *qm.forget_at);
  }
  if (sa.state != Phase1State::kEstablished) return t;
  t = std::min({t, sa.rekey_at, sa.expires_at, sa.next_keepalive});
  for (const auto& c : sa.children) t = std::min({t, c.rekey_at, c.expires_at});
  if (sa.dpd && sa.peer)
    t = std::min(t, sa.dpd_since ? sa.next_dpd : sa.last_heard + sa.peer->dpd_interval);
  (void)config;
  return t;
}

}  // namespace

TimePoint Node::next_deadline() const {
  TimePoint t = TimePoint::max();
  for (const auto& [h, sa] : sas_) t = std::min(t, deadline_of(*sa, config_));
  return t;
}

std::vector<IkeSaStatus> Node::status() const {
  std::vector<IkeSaStatus> out;
  for (const auto& [h, sa] : sas_) {
    IkeSaStatus s;
    s.handle = h;
    s.peer = sa->peer ? sa->peer->name : "";
    s.remote = sa->remote;
    s.initiator = sa->initiator;
    s.established = sa->state == Phase1State::kEstablished;
    s.udp_encapsulated = sa->remote.port == kNatTraversalPort;
    s.suite = describe(sa->choice.suite);
    for (const auto& c : sa->children) s.children.emplace_back(c.inbound_spi, c.outbound_spi);
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace tandem::ipsec::ike::v1
