// INFORMATIONAL (RFC 7296 sections 1.4, 1.5, 2.4) in both roles: the empty request that checks
// liveness, Delete for a Child SA (answered with our SPI of the pair) or the IKE SA, and the
// AUTHENTICATION_FAILED an initiator sends when the responder's AUTH does not verify.
#include "ipsec/ike/v2/node.hpp"
#include "ipsec/ike/v2/payloads.hpp"

namespace tandem::ipsec::ike::v2 {

void Node::send_liveness(IkeSa& sa, TimePoint now, Actions& out) {
  PendingRequest r;
  r.kind = RequestKind::kLiveness;
  r.exchange = ExchangeType::kInformational;
  send_request(sa, std::move(r), {}, now, out);
}

void Node::send_delete_child(IkeSa& sa, std::uint32_t child, TimePoint now, Actions& out) {
  sa.child(child)->deleting = true;
  PendingRequest r;
  r.kind = RequestKind::kDeleteChild;
  r.exchange = ExchangeType::kInformational;
  r.child = child;
  send_request(sa, std::move(r), {DeletePayload{ProtocolId::kEsp, 4, {spi32_bytes(child)}}}, now,
               out);
}

void Node::send_delete_ike(IkeSa& sa, TimePoint now, Actions& out) {
  sa.state = IkeSaState::kDeleting;
  PendingRequest r;
  r.kind = RequestKind::kDeleteIke;
  r.exchange = ExchangeType::kInformational;
  send_request(sa, std::move(r), {DeletePayload{ProtocolId::kIke, 0, {}}}, now, out);
}

void Node::send_notify_once(IkeSa& sa, std::uint16_t type, TimePoint now, Actions& out) {
  const Header h{sa.spi_i,     sa.spi_r, ExchangeType::kInformational,
                 sa.initiator, false,    sa.next_message_id++};
  send(sa, sa.seal_sk->seal(h, {}, {notify(type)}, *rng_), now, out);
}

void Node::on_informational_response(IkeSa& sa, PendingRequest& done,
                                     const std::vector<Payload>& in, TimePoint now, Actions& out) {
  (void)in;
  (void)now;
  switch (done.kind) {
    case RequestKind::kDeleteChild:
      if (const Child* c = sa.child(done.child))
        remove_child(sa, done.child, c->replaced ? "replaced by a rekey" : "deleted", out);
      return;
    case RequestKind::kDeleteIke:
      sa.dead = true;  // its Child SAs were removed or moved when the Delete was queued
      return;
    default:
      return;  // liveness: the answer itself was the point
  }
}

void Node::on_informational_request(IkeSa& sa, const Header& h, ByteView message,
                                    const std::vector<Payload>& in, TimePoint now, Actions& out) {
  bool delete_ike = false;
  DeletePayload ours{ProtocolId::kEsp, 4, {}};
  std::vector<std::uint32_t> doomed;
  for (const Payload& p : in) {
    const auto* d = std::get_if<DeletePayload>(&p);
    if (d == nullptr) continue;
    if (d->protocol == ProtocolId::kIke) delete_ike = true;
    if (d->protocol != ProtocolId::kEsp) continue;
    // The peer names the SPIs it receives on; we answer with ours of each pair (1.4.1).
    for (const auto& spi : d->spis) {
      if (const Child* c = sa.child_by_outbound(spi32_of(spi))) {
        ours.spis.push_back(spi32_bytes(c->inbound_spi));
        doomed.push_back(c->inbound_spi);
      }
    }
  }
  if (find_notify(in, kAuthenticationFailed) != nullptr) {
    send_response(sa, h, message, {}, now, out);
    tear_down(sa, EventType::kRefused,
              peer_label(sa) + " could not verify our AUTH (AUTHENTICATION_FAILED)", out);
    return;
  }
  if (delete_ike) {
    send_response(sa, h, message, {}, now, out);
    if (sa.established())
      tear_down(sa, EventType::kIkeSaDown, peer_label(sa) + " deleted the IKE SA", out);
    else
      sa.dead = true;  // rekeyed or already closing: nothing left to remove
    return;
  }
  std::vector<Payload> answer;
  if (!ours.spis.empty()) answer.push_back(std::move(ours));
  send_response(sa, h, message, answer, now, out);
  for (const std::uint32_t spi : doomed) {
    const Child* c = sa.child(spi);
    remove_child(sa, spi, c->replaced ? "replaced by a rekey" : "deleted by the peer", out);
  }
}

}  // namespace tandem::ipsec::ike::v2
