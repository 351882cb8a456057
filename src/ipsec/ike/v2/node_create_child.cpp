// CREATE_CHILD_SA (RFC 7296 sections 1.3, 2.8, 2.17, 2.18, 2.25) in both roles: rekeying a
// Child SA (REKEY_SA, optional PFS), with the tie-break of a simultaneous rekey (2.8.1), and
// rekeying the IKE SA (new SPIs, keys from the old SK_d, Child SAs moved to the new IKE SA).
#include <algorithm>

#include "ipsec/ike/v2/node.hpp"
#include "ipsec/ike/v2/payloads.hpp"
#include "ipsec/ike/v2/traffic_selectors.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

std::vector<std::byte> group_of(std::uint16_t group) {
  std::vector<std::byte> out(2);
  store_be16(out.data(), group);
  return out;
}

const std::vector<std::byte>& lowest(const std::vector<std::byte>& a,
                                     const std::vector<std::byte>& b) {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end()) ? a : b;
}

}  // namespace

void Node::send_rekey_child(IkeSa& sa, std::uint32_t child, TimePoint now, Actions& out) {
  const PeerConfig& p = *peer_of(sa);
  Child& c = *sa.child(child);
  PendingRequest r;
  r.kind = RequestKind::kRekeyChild;
  r.exchange = ExchangeType::kCreateChildSa;
  r.child = child;
  r.new_child_spi = new_child_spi();
  r.nonce = new_nonce();
  r.offered = p.esp_suites;
  for (Suite& s : r.offered) s.dh = p.pfs_group;
  r.local = c.local;
  r.remote = c.remote;
  // REKEY_SA names the SA by the SPI we receive on (3.10.1).
  std::vector<Payload> inner{NotifyPayload{ProtocolId::kEsp, spi32_bytes(child), kRekeySa, {}}};
  if (c.mode == EspMode::kTransport) inner.push_back(notify(kUseTransportMode));
  inner.push_back(make_sa_payload(ProtocolId::kEsp, spi32_bytes(r.new_child_spi), r.offered));
  inner.push_back(NoncePayload{r.nonce});
  if (p.pfs_group != 0) {
    r.dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(p.pfs_group));
    if (!r.dh) {
      c.rekeying = false;
      return;
    }
    inner.push_back(KePayload{p.pfs_group, r.dh->public_value()});
  }
  inner.push_back(TsPayload{true, to_wire(c.local)});
  inner.push_back(TsPayload{false, to_wire(c.remote)});
  send_request(sa, std::move(r), inner, now, out);
}

void Node::on_create_child_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                                    TimePoint now, Actions& out) {
  const auto retry_later = [&](const std::string& why) {
    if (Child* old = sa.child(done.child)) {
      old->rekeying = false;
      if (!old->replaced && !old->deleting)
        old->rekey_at = now + std::chrono::seconds(2 + rng_->next_u32() % 9);
    }
    if (!why.empty()) event(out, EventType::kRefused, sa, why);
  };
  if (const auto err = first_error(in)) {
    // TEMPORARY_FAILURE and CHILD_SA_NOT_FOUND are collisions, not refusals (2.25).
    const bool collision = *err == kTemporaryFailure || *err == kChildSaNotFound;
    return retry_later(
        collision ? std::string()
                  : peer_label(sa) + " refused to rekey Child SA " + std::to_string(done.child) +
                        ": " + notify_name(*err) + "; we proposed " +
                        describe(make_sa_payload(ProtocolId::kEsp, {}, done.offered)));
  }
  Child fresh;
  std::string why = accept_child(sa, in, done.offered, done.local, done.remote, fresh);
  const auto* nonce = find_payload<NoncePayload>(in);
  if (why.empty() && nonce == nullptr) why = "the answer has no nonce";
  std::optional<std::vector<std::byte>> shared;
  if (why.empty() && done.dh) {
    const auto* ke = find_payload<KePayload>(in);
    if (ke != nullptr && ke->group == static_cast<std::uint16_t>(done.dh->group()))
      shared = done.dh->shared_secret(ke->data);
    if (!shared) why = "the answer has no valid KE for the PFS group";
  }
  if (!why.empty())
    return retry_later(peer_label(sa) + " answered our Child SA rekey badly: " + why);

  fresh.inbound_spi = done.new_child_spi;
  const auto keymat = derive_child_sa_keys(sa.prf, sa.keys.sk_d,
                                           shared ? std::optional<ByteView>(*shared) : std::nullopt,
                                           done.nonce, nonce->data, esp_key_sizes(fresh.suite));
  const bool had_old = sa.child(done.child) != nullptr;
  install_child(sa, std::move(fresh), keymat, true,
                had_old ? std::optional(done.child) : std::nullopt, now, out);
  Child* old = sa.child(done.child);
  if (old == nullptr) return;
  old->rekeying = false;
  old->replaced = true;
  // 2.8.1: when both ends rekeyed it at once, the new SA whose exchange holds the lowest of the
  // four nonces is redundant and is deleted by whoever initiated that exchange; the initiator of
  // the surviving one deletes the old SA.
  if (old->peer_rekey) {
    const auto& ours = lowest(done.nonce, nonce->data);
    const auto& theirs = lowest(old->peer_rekey->ni, old->peer_rekey->nr);
    if (&lowest(ours, theirs) == &ours) {
      Child* redundant = sa.child(done.new_child_spi);
      redundant->deleting = true;
      queue(sa, {RequestKind::kDeleteChild, done.new_child_spi});
      return;
    }
  }
  old->deleting = true;
  queue(sa, {RequestKind::kDeleteChild, done.child});
}

void Node::on_create_child_request(IkeSa& sa, const Header& h, ByteView message,
                                   const std::vector<Payload>& in, TimePoint now, Actions& out) {
  const auto* proposal = find_payload<SaPayload>(in);
  if (proposal != nullptr && !proposal->proposals.empty() &&
      proposal->proposals.front().protocol == ProtocolId::kIke)
    return on_rekey_ike_request(sa, h, message, in, now, out);
  const auto reply = [&](std::uint16_t type, std::vector<std::byte> data = {}) {
    send_response(sa, h, message, {notify(type, std::move(data))}, now, out);
  };
  const auto* nonce = find_payload<NoncePayload>(in);
  if (proposal == nullptr || nonce == nullptr) return reply(kInvalidSyntax);
  std::optional<std::uint32_t> old_spi;
  if (const auto* rekey = find_notify(in, kRekeySa)) {
    // The SPI is the one the peer receives on, our outbound SPI.
    const Child* old =
        rekey->protocol == ProtocolId::kEsp ? sa.child_by_outbound(spi32_of(rekey->spi)) : nullptr;
    if (old == nullptr) return reply(kChildSaNotFound);
    if (old->replaced || old->deleting) return reply(kTemporaryFailure);
    old_spi = old->inbound_spi;
  }
  Child fresh;
  Selection chosen;
  std::vector<Payload> answer;
  const std::uint16_t error =
      choose_child(sa, in, true, old_spi ? sa.child(*old_spi) : nullptr, fresh, answer, chosen);
  if (error != 0) {
    if (error == kNoProposalChosen)
      event(out, EventType::kRefused, sa,
            "Child SA with " + peer_label(sa) + " refused: no proposal chosen; it proposed " +
                describe(*proposal));
    return reply(error);
  }
  std::optional<std::vector<std::byte>> shared;
  std::optional<KePayload> our_ke;
  if (chosen.suite.dh != 0) {
    const auto* ke = find_payload<KePayload>(in);
    if (ke == nullptr || ke->group != chosen.suite.dh)
      return reply(kInvalidKePayload, group_of(chosen.suite.dh));
    auto dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(chosen.suite.dh));
    if (dh) shared = dh->shared_secret(ke->data);
    if (!shared) return reply(kInvalidSyntax);
    our_ke = KePayload{chosen.suite.dh, dh->public_value()};
  }
  const auto nr = new_nonce();
  // SA, Nr, [KEr], TSi, TSr (1.3.1), after a USE_TRANSPORT_MODE if any.
  auto at = std::find_if(answer.begin(), answer.end(),
                         [](const Payload& p) { return std::holds_alternative<SaPayload>(p); });
  at = answer.insert(at + 1, NoncePayload{nr});
  if (our_ke) answer.insert(at + 1, *our_ke);
  send_response(sa, h, message, answer, now, out);

  const std::uint32_t fresh_spi = fresh.inbound_spi;
  const auto keymat = derive_child_sa_keys(sa.prf, sa.keys.sk_d,
                                           shared ? std::optional<ByteView>(*shared) : std::nullopt,
                                           nonce->data, nr, esp_key_sizes(fresh.suite));
  install_child(sa, std::move(fresh), keymat, false, old_spi, now, out);
  if (!old_spi) return;
  Child* old = sa.child(*old_spi);
  old->peer_rekey = PeerRekey{fresh_spi, nonce->data, nr};
  // Unless our own rekey of it is in flight (a simultaneous rekey, settled when its answer
  // comes), the peer deletes the old SA now; we must not rekey it as well.
  const bool ours_in_flight =
      sa.pending && sa.pending->kind == RequestKind::kRekeyChild && sa.pending->child == *old_spi;
  if (!ours_in_flight) old->replaced = true;
}

void Node::send_rekey_ike(IkeSa& sa, TimePoint now, Actions& out) {
  PendingRequest r;
  r.kind = RequestKind::kRekeyIke;
  r.exchange = ExchangeType::kCreateChildSa;
  r.new_ike_spi = new_ike_spi();
  r.nonce = new_nonce();
  // The suite in use: its KE group is then certainly acceptable.
  r.offered = {sa.suite};
  r.dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(sa.suite.dh));
  if (!r.dh) return;
  const std::vector<Payload> inner{
      make_sa_payload(ProtocolId::kIke, spi64_bytes(r.new_ike_spi), r.offered),
      NoncePayload{r.nonce}, KePayload{sa.suite.dh, r.dh->public_value()}};
  send_request(sa, std::move(r), inner, now, out);
}

void Node::on_rekey_ike_response(IkeSa& sa, PendingRequest& done, const std::vector<Payload>& in,
                                 TimePoint now, Actions& out) {
  const auto* proposal = find_payload<SaPayload>(in);
  const auto* nonce = find_payload<NoncePayload>(in);
  const auto* ke = find_payload<KePayload>(in);
  auto chosen = proposal ? check_answer(*proposal, ProtocolId::kIke, done.offered)
                         : Result<Selection, std::string>(Err(std::string("no SA payload")));
  std::optional<std::vector<std::byte>> shared;
  Prf prf = Prf::kHmacSha256;
  if (chosen && nonce != nullptr && ke != nullptr && spi64_of(chosen->peer_spi) != 0 &&
      ke->group == static_cast<std::uint16_t>(done.dh->group()) && prf_from_id(chosen->suite.prf)) {
    prf = *prf_from_id(chosen->suite.prf);
    shared = done.dh->shared_secret(ke->data);
  }
  if (first_error(in) || !shared) {
    // Try again a little later; the IKE SA lives on until its hard lifetime.
    sa.rekey_at = now + std::chrono::seconds(2 + rng_->next_u32() % 9);
    const auto err = first_error(in);
    if (!err || *err != kTemporaryFailure)
      event(out, EventType::kRefused, sa,
            peer_label(sa) +
                " did not rekey the IKE SA: " + (err ? notify_name(*err) : "unusable answer"));
    return;
  }
  auto fresh = std::make_unique<IkeSa>();
  fresh->id = done.new_ike_spi;
  fresh->initiator = true;  // whoever starts the rekey initiates the new IKE SA (2.18)
  fresh->spi_i = fresh->id;
  fresh->spi_r = spi64_of(chosen->peer_spi);
  fresh->suite = chosen->suite;
  fresh->prf = prf;
  fresh->ni = done.nonce;
  fresh->nr = nonce->data;
  fresh->keys = derive_rekeyed_ike_sa_keys(prf, sa.keys.sk_d, *shared, fresh->ni, fresh->nr,
                                           fresh->spi_i, fresh->spi_r, ike_key_sizes(fresh->suite));
  adopt_rekeyed_ike_sa(sa, std::move(fresh), now, out);
  sa.state = IkeSaState::kDeleting;
  sa.tasks.clear();
  sa.tasks.push_back({RequestKind::kDeleteIke, 0});
}

void Node::on_rekey_ike_request(IkeSa& sa, const Header& h, ByteView message,
                                const std::vector<Payload>& in, TimePoint now, Actions& out) {
  const auto reply = [&](std::uint16_t type, std::vector<std::byte> data = {}) {
    send_response(sa, h, message, {notify(type, std::move(data))}, now, out);
  };
  // A request of ours is out (possibly our own rekey): the peer retries later (2.25.2).
  if (sa.pending) return reply(kTemporaryFailure);
  const PeerConfig& p = *peer_of(sa);
  const auto* proposal = find_payload<SaPayload>(in);
  const auto* nonce = find_payload<NoncePayload>(in);
  const auto* ke = find_payload<KePayload>(in);
  if (nonce == nullptr || ke == nullptr) return reply(kInvalidSyntax);
  const auto chosen = select_proposal(*proposal, ProtocolId::kIke, p.ike_suites);
  if (!chosen) {
    event(out, EventType::kRefused, sa,
          "IKE SA rekey by " + peer_label(sa) + " refused: no proposal chosen; it proposed " +
              describe(*proposal));
    return reply(kNoProposalChosen);
  }
  if (spi64_of(chosen->peer_spi) == 0) return reply(kInvalidSyntax);
  if (ke->group != chosen->suite.dh) return reply(kInvalidKePayload, group_of(chosen->suite.dh));
  const auto prf = prf_from_id(chosen->suite.prf);
  auto dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(chosen->suite.dh));
  const auto shared = dh ? dh->shared_secret(ke->data) : std::nullopt;
  if (!prf || !shared) return reply(kInvalidSyntax);

  auto fresh = std::make_unique<IkeSa>();
  fresh->id = new_ike_spi();
  fresh->initiator = false;
  fresh->spi_i = spi64_of(chosen->peer_spi);
  fresh->spi_r = fresh->id;
  fresh->suite = chosen->suite;
  fresh->prf = *prf;
  fresh->ni = nonce->data;
  fresh->nr = new_nonce();
  fresh->keys = derive_rekeyed_ike_sa_keys(*prf, sa.keys.sk_d, *shared, fresh->ni, fresh->nr,
                                           fresh->spi_i, fresh->spi_r, ike_key_sizes(fresh->suite));
  send_response(sa, h, message,
                {make_answer(ProtocolId::kIke, *chosen, spi64_bytes(fresh->id)),
                 NoncePayload{fresh->nr}, KePayload{chosen->suite.dh, dh->public_value()}},
                now, out);
  adopt_rekeyed_ike_sa(sa, std::move(fresh), now, out);
  // The old SA only answers retransmissions and the peer's Delete from now on.
  sa.state = IkeSaState::kRekeyed;
  sa.gone_at = now + config_.half_open_timeout + config_.half_open_timeout;
}

IkeSa& Node::adopt_rekeyed_ike_sa(IkeSa& old, std::unique_ptr<IkeSa> fresh, TimePoint now,
                                  Actions& out) {
  IkeSa& n = *fresh;
  n.state = IkeSaState::kEstablished;
  n.peer = old.peer;
  n.remote_id = old.remote_id;
  n.local = old.local;
  n.remote = old.remote;
  n.reply_to = old.reply_to;
  n.reply_port = old.reply_port;
  n.nat_local = old.nat_local;
  n.nat_remote = old.nat_remote;
  n.virtual_ip = old.virtual_ip;
  n.virtual_ip6 = old.virtual_ip6;
  n.dns_domains = old.dns_domains;
  n.arm_protectors();
  n.rekey_at = jittered(now, config_.ike_lifetime);
  n.expire_at = now + config_.ike_lifetime;
  n.last_received = now;
  n.last_sent = old.last_sent;
  n.children = std::move(old.children);
  old.children.clear();
  for (const Child& c : n.children) child_index_[c.inbound_spi] = n.id;
  // Child SA work queued on the old SA continues on the new one.
  for (const Task& t : old.tasks)
    if (t.kind == RequestKind::kRekeyChild || t.kind == RequestKind::kDeleteChild)
      n.tasks.push_back(t);
  old.tasks.clear();
  pool_.transfer(old.id, n.id);
  event(out, EventType::kIkeSaUp, n,
        "IKE SA with " + peer_label(n) + " rekeyed: " + std::to_string(old.id) + " replaced by " +
            std::to_string(n.id) + ", " + ike_suite_name(n.suite) + ", " +
            std::to_string(n.children.size()) + " Child SAs moved");
  sas_[n.id] = std::move(fresh);
  pump(n, now, out);
  return n;
}

}  // namespace tandem::ipsec::ike::v2
