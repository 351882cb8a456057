// Informational exchanges under an established phase 1 SA (RFC 2409 section 5.7: HASH(1) over
// M-ID and the payloads after it): Dead Peer Detection (RFC 3706: R-U-THERE and its ACK, with a
// sequence number, asked only when nothing has been heard from the peer for a while), delete
// notifications for ESP and ISAKMP SAs, and the timers of every SA: retransmissions, rekeying,
// expiry, liveness and NAT keepalives.
#include <fmt/format.h>

#include <algorithm>

#include "ipsec/ike/v1/chain.hpp"
#include "ipsec/ike/v1/node.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

using namespace std::chrono_literals;

constexpr std::uint16_t kNotifyRuThere = 36136;
constexpr std::uint16_t kNotifyRuThereAck = 36137;
constexpr Duration kDpdRetry = 5s;

std::vector<std::byte> cookies(const IkeSa& sa) {
  std::vector<std::byte> out(16);
  for (std::size_t i = 0; i < 8; ++i) {
    out[i] = std::byte(sa.cky_i >> (56 - 8 * i));
    out[8 + i] = std::byte(sa.cky_r >> (56 - 8 * i));
  }
  return out;
}

std::uint32_t be32(const std::vector<std::byte>& b) {
  std::uint32_t v = 0;
  for (std::size_t i = 0; i < 4 && i < b.size(); ++i)
    v = (v << 8) | std::to_integer<std::uint32_t>(b[i]);
  return v;
}

const char* notify_error_name(std::uint16_t type) {
  // RFC 2408 3.14.1, the ones peers send in practice.
  switch (type) {
    case 1:
      return "INVALID-PAYLOAD-TYPE";
    case 9:
      return "INVALID-SPI";
    case 11:
      return "INVALID-PROTOCOL-ID";
    case 14:
      return "NO-PROPOSAL-CHOSEN";
    case 18:
      return "INVALID-ID-INFORMATION";
    case 23:
      return "INVALID-HASH-INFORMATION";
    case 24:
      return "AUTHENTICATION-FAILED";
    case 30:
      return "PAYLOAD-MALFORMED";
    default:
      return "error";
  }
}

}  // namespace

void Node::send_informational(IkeSa& sa, const std::vector<Payload>& payloads, Actions& out) {
  const std::uint32_t mid = new_message_id(sa);
  auto iv = phase2_iv(sa.choice.suite.hash, sa.last_mm_block, mid, BodyCipher::block());
  PayloadType rest_first{};
  const auto rest = encode_payloads(payloads, rest_first);
  const auto hash = quick_hash_1(sa.choice.suite.hash, sa.keys.skeyid_a, mid, rest);
  Message m;
  m.header = {sa.cky_i, sa.cky_r, ExchangeType::kInformational, true, false, mid};
  m.first = PayloadType::kHash;
  m.encrypted = sa.cipher->encrypt(join_hashed(hash, rest_first, rest), iv);
  send_unreliable(sa, encode_message(m), out);
}

void Node::send_dpd(IkeSa& sa, std::uint16_t type, std::uint32_t sequence, Actions& out) {
  const std::vector<std::byte> seq = {std::byte(sequence >> 24), std::byte(sequence >> 16),
                                      std::byte(sequence >> 8), std::byte(sequence)};
  send_informational(sa, {NotificationPayload{1, kProtocolIsakmp, cookies(sa), type, seq}}, out);
}

void Node::send_delete_children(IkeSa& sa, const std::vector<std::uint32_t>& inbound_spis,
                                Actions& out) {
  DeletePayload d;
  d.protocol = kProtocolEsp;
  d.spi_size = 4;
  for (const auto spi : inbound_spis)
    d.spis.push_back(
        {std::byte(spi >> 24), std::byte(spi >> 16), std::byte(spi >> 8), std::byte(spi)});
  send_informational(sa, {d}, out);
}

void Node::send_delete_ike(IkeSa& sa, Actions& out) {
  DeletePayload d;
  d.protocol = kProtocolIsakmp;
  d.spi_size = 16;
  d.spis = {cookies(sa)};
  send_informational(sa, {d}, out);
}

void Node::on_informational(IkeSa& sa, const Message& m, TimePoint now, Actions& out) {
  auto iv =
      phase2_iv(sa.choice.suite.hash, sa.last_mm_block, m.header.message_id, BodyCipher::block());
  const auto body = sa.cipher->decrypt(m.encrypted, iv);
  const auto hashed = body ? split_hashed(m.first, *body) : std::nullopt;
  const auto payloads =
      hashed ? checked_payloads(*hashed, quick_hash_1(sa.choice.suite.hash, sa.keys.skeyid_a,
                                                      m.header.message_id, hashed->rest))
             : std::nullopt;
  if (!payloads) {
    ++stats_.malformed;
    return;
  }
  sa.last_heard = now;
  for (const auto& p : *payloads) {
    if (const auto* n = std::get_if<NotificationPayload>(&p)) {
      if (n->type == kNotifyRuThere) {
        send_dpd(sa, kNotifyRuThereAck, be32(n->data), out);
      } else if (n->type == kNotifyRuThereAck) {
        if (be32(n->data) == sa.dpd_sequence) sa.dpd_since.reset();
      } else if (n->type < 16384) {
        // An error answers a Quick Mode of ours that the peer could not accept (or, as a
        // strongSwan initiator that cannot install transport mode does, accepted and then could
        // not use): stop repeating the messages it refused.
        std::size_t abandoned = 0;
        for (auto it = sa.quick_modes.begin(); it != sa.quick_modes.end();) {
          if (it->second.out.armed) {
            it = sa.quick_modes.erase(it);
            ++abandoned;
          } else {
            ++it;
          }
        }
        event(out, EventType::kRefused, sa,
              fmt::format("IKEv1 peer {} ({}) reports error {} ({}){}", sa.peer->name,
                          sa.remote.to_string(), n->type, notify_error_name(n->type),
                          abandoned > 0 ? fmt::format("; {} Quick Mode(s) abandoned", abandoned)
                                        : std::string()));
      }
    } else if (const auto* d = std::get_if<DeletePayload>(&p)) {
      if (d->protocol == kProtocolIsakmp) {
        // The peer's phase 1 SA is gone; its ESP SAs are deleted separately (or live on).
        if (sa.children.empty() || sa.initiator) {
          remove(sa.handle, "deleted by the peer", now, out);
          return;
        }
        // Keep the children until the peer's replacement phase 1 SA takes them over, or they
        // expire; this SA can no longer carry anything.
        sa.rekey_at = TimePoint::max();
        sa.dpd = false;
        continue;
      }
      if (d->protocol != kProtocolEsp) continue;
      for (const auto& spi : d->spis) {
        const std::uint32_t theirs = be32(spi);
        for (std::size_t i = 0; i < sa.children.size(); ++i)
          if (sa.children[i].outbound_spi == theirs) {
            remove_child(sa, i, out);
            break;
          }
      }
    }
  }
}

void Node::tick(IkeSa& sa, TimePoint now, Actions& out) {
  // Retransmission of the phase 1 request in flight.
  if (sa.out.armed && now >= sa.out.next) {
    if (sa.out.sent > config_.retransmits.size()) {
      event(out, EventType::kRetransmitGaveUp, sa,
            fmt::format("IKEv1 peer {} ({}) did not answer Main Mode after {} tries", sa.peer->name,
                        sa.remote.to_string(), sa.out.sent));
      remove(sa.handle, "no answer", now, out);
      return;
    }
    ++stats_.retransmitted;
    send_unreliable(sa, sa.out.bytes, out);
    sa.out.next = now + config_.retransmits[std::min(sa.out.sent, config_.retransmits.size() - 1)];
    ++sa.out.sent;
  }
  for (auto it = sa.quick_modes.begin(); it != sa.quick_modes.end();) {
    QuickMode& qm = it->second;
    if (qm.forget_at && now >= *qm.forget_at) {
      it = sa.quick_modes.erase(it);
      continue;
    }
    if (qm.out.armed && now >= qm.out.next) {
      if (qm.out.sent > config_.retransmits.size()) {
        event(out, EventType::kRetransmitGaveUp, sa,
              fmt::format("IKEv1 Quick Mode with {} ({}) got no answer after {} tries",
                          sa.peer->name, sa.remote.to_string(), qm.out.sent));
        for (auto& c : sa.children)
          if (qm.replaces && c.inbound_spi == *qm.replaces) c.rekeying = false;
        it = sa.quick_modes.erase(it);
        continue;
      }
      ++stats_.retransmitted;
      send_unreliable(sa, qm.out.bytes, out);
      qm.out.next =
          now + config_.retransmits[std::min(qm.out.sent, config_.retransmits.size() - 1)];
      ++qm.out.sent;
    }
    ++it;
  }
  if (sa.state != Phase1State::kEstablished) return;
  const PeerConfig& peer = *sa.peer;

  if (now >= sa.expires_at) {
    send_delete_ike(sa, out);
    remove(sa.handle, "lifetime expired", now, out);
    return;
  }
  if (now >= sa.rekey_at && !sa.rekeying) {
    sa.rekeying = true;
    sa.rekey_at = TimePoint::max();
    auto renewed = initiate(peer.name, sa.local, now, out);
    if (renewed) sas_.at(*renewed)->replaces = sa.handle;
  }
  for (std::size_t i = 0; i < sa.children.size();) {
    Child& c = sa.children[i];
    if (now >= c.expires_at) {
      send_delete_children(sa, {c.inbound_spi}, out);
      remove_child(sa, i, out);
      continue;
    }
    if (now >= c.rekey_at && !c.rekeying) {
      c.rekey_at = TimePoint::max();
      start_quick_mode(sa, i, now, out);
    }
    ++i;
  }
  // Liveness: ask only when the peer has been silent for an interval.
  if (sa.dpd) {
    if (!sa.dpd_since && now >= sa.last_heard + peer.dpd_interval) {
      sa.dpd_since = now;
      sa.next_dpd = now;
    }
    if (sa.dpd_since && now >= sa.next_dpd) {
      if (now - *sa.dpd_since >= peer.dpd_timeout) {
        event(out, EventType::kDeadPeer, sa,
              fmt::format(
                  "IKEv1 peer {} ({}) is dead: no answer to liveness checks for {} s", peer.name,
                  sa.remote.to_string(),
                  std::chrono::duration_cast<std::chrono::seconds>(now - *sa.dpd_since).count()));
        remove(sa.handle, "dead peer", now, out);
        return;
      }
      send_dpd(sa, kNotifyRuThere, ++sa.dpd_sequence, out);
      sa.next_dpd = now + std::min(kDpdRetry, peer.dpd_interval);
    }
  }
  if (now >= sa.next_keepalive) {
    out.datagrams.push_back({sa.local.port, sa.remote, {std::byte{0xff}}, true});
    sa.next_keepalive = now + config_.nat_keepalive;
  }
}

}  // namespace tandem::ipsec::ike::v1
