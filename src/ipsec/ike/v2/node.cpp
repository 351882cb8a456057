// Routing IKEv2 messages to their IKE SA and exchange, message IDs and windows of one with
// retransmission (RFC 7296 2.1-2.3), the timers of each IKE SA, and tearing SAs down.
#include "ipsec/ike/v2/node.hpp"

#include <algorithm>

#include "ipsec/ike/v2/payloads.hpp"

namespace tandem::ipsec::ike::v2 {

Node::Node(Config config, Rng& rng)
    : config_(std::move(config)),
      rng_(&rng),
      cookies_(rng, config_.cookie_secret_lifetime),
      pool_(config_.pool) {
  if (config_.retransmit_timeouts.empty())
    config_.retransmit_timeouts.push_back(std::chrono::seconds(1));
}

Result<std::uint64_t, std::string> Node::initiate(std::string_view peer_name, TimePoint now,
                                                  Actions& out) {
  const auto index = live_peer([&](const PeerConfig& p) { return p.name == peer_name; });
  if (!index) return Err("no peer named " + std::string(peer_name));
  const auto it = config_.peers.begin() + static_cast<std::ptrdiff_t>(*index);
  if (!it->remote_address) return Err("peer " + it->name + " has no remote address");
  if (it->ike_suites.empty() || it->esp_suites.empty())
    return Err("peer " + it->name + " has no proposals");
  auto dh = crypto::DhKeyPair::generate(static_cast<crypto::DhGroup>(it->ike_suites.front().dh));
  if (!dh) return Err("peer " + it->name + ": unsupported DH group in its first IKE suite");

  auto owned = std::make_unique<IkeSa>();
  IkeSa& sa = *owned;
  sa.id = new_ike_spi();
  sa.initiator = true;
  sa.spi_i = sa.id;
  sa.state = IkeSaState::kInitSent;
  sa.peer = static_cast<std::size_t>(it - config_.peers.begin());
  sa.remote_id = it->remote_id;
  sa.local = {config_.local_address, kIkePort};
  sa.remote = {*it->remote_address, kIkePort};
  sa.last_received = now;
  sa.dh = std::move(*dh);
  sa.ni = new_nonce();
  sas_[sa.id] = std::move(owned);
  send_init(sa, now, out);
  return sa.id;
}

void Node::on_datagram(ByteView message, const Endpoint& local, const Endpoint& from, TimePoint now,
                       Actions& out) {
  auto h = decode_header(message);
  if (!h) {
    drop(DropReason::kMalformed);
    return;
  }
  if (h->exchange == ExchangeType::kIkeSaInit && !h->response) {
    on_init_request(*h, message, local, from, now, out);
    reap();
    return;
  }
  // The I flag says which SPI is ours: the responder's if the original initiator sent it.
  const std::uint64_t ours = h->initiator ? h->responder_spi : h->initiator_spi;
  const auto it = sas_.find(ours);
  if (it == sas_.end() || it->second->dead) {
    drop(DropReason::kUnknownSpi);
    return;
  }
  IkeSa& sa = *it->second;
  const std::uint64_t theirs = h->initiator ? h->initiator_spi : h->responder_spi;
  if (h->initiator == sa.initiator ||
      (sa.state != IkeSaState::kInitSent && theirs != (sa.initiator ? sa.spi_r : sa.spi_i))) {
    drop(DropReason::kUnknownSpi);
    return;
  }
  on_message(sa, *h, message, local, from, now, out);
  if (!sa.dead) pump(sa, now, out);
  reap();
}

void Node::on_message(IkeSa& sa, const Header& h, ByteView message, const Endpoint& local,
                      const Endpoint& from, TimePoint now, Actions& out) {
  if (h.response) {
    on_response(sa, h, message, local, from, now, out);
    return;
  }
  if (sa.state == IkeSaState::kInitSent || sa.state == IkeSaState::kAuthSent) {
    drop(DropReason::kNotAllowedNow);
    return;
  }
  // A retransmitted request gets the response we cached, not a second execution (2.1).
  if (sa.answered && h.message_id + 1 == sa.peer_message_id) {
    if (!std::equal(message.begin(), message.end(), sa.last_request.begin(),
                    sa.last_request.end())) {
      drop(DropReason::kBadMessageId);
      return;
    }
    out.datagrams.push_back({local.port, from, sa.last_response, false});
    sa.last_sent = now;
    ++stats_.responses_resent;
    return;
  }
  if (h.message_id != sa.peer_message_id) {
    drop(DropReason::kBadMessageId);
    return;
  }
  sa.reply_to = from;
  sa.reply_port = local.port;
  on_request(sa, h, message, now, out);
}

void Node::on_request(IkeSa& sa, const Header& h, ByteView message, TimePoint now, Actions& out) {
  auto in = sa.open_sk->open(message);
  if (!in) {
    drop(in.error().unsupported_critical ? DropReason::kMalformed : DropReason::kIntegrity);
    return;
  }
  sa.last_received = now;
  // Behind a NAT the peer's mapping may change: follow its latest authenticated message (2.23).
  if (sa.nat_local || sa.nat_remote) {
    sa.remote = sa.reply_to;
    sa.local.port = sa.reply_port;
  }
  switch (h.exchange) {
    case ExchangeType::kIkeAuth:
      if (sa.state == IkeSaState::kHalfOpen) return on_auth_request(sa, h, message, *in, now, out);
      break;
    case ExchangeType::kCreateChildSa:
      if (sa.established()) return on_create_child_request(sa, h, message, *in, now, out);
      // A rekeyed or closing IKE SA takes no new work; the peer retries on the new one (2.25).
      return send_response(sa, h, message, {notify(kTemporaryFailure)}, now, out);
    case ExchangeType::kInformational:
      if (sa.state != IkeSaState::kHalfOpen)
        return on_informational_request(sa, h, message, *in, now, out);
      break;
    case ExchangeType::kIkeSaInit:
      break;
  }
  drop(DropReason::kNotAllowedNow);
}

void Node::on_response(IkeSa& sa, const Header& h, ByteView message, const Endpoint& local,
                       const Endpoint& from, TimePoint now, Actions& out) {
  if (!sa.pending || sa.pending->message_id != h.message_id || sa.pending->exchange != h.exchange) {
    drop(DropReason::kUnexpectedResponse);
    return;
  }
  if (h.exchange == ExchangeType::kIkeSaInit) {
    on_init_response(sa, message, local, from, now, out);
    return;
  }
  auto in = sa.open_sk->open(message);
  if (!in) {
    drop(DropReason::kIntegrity);
    return;
  }
  sa.last_received = now;
  if (sa.nat_local || sa.nat_remote) {
    sa.remote = from;
    sa.local.port = local.port;
  }
  PendingRequest done = std::move(*sa.pending);
  sa.pending.reset();
  switch (done.kind) {
    case RequestKind::kIkeAuth:
      return on_auth_response(sa, done, *in, now, out);
    case RequestKind::kRekeyChild:
      return on_create_child_response(sa, done, *in, now, out);
    case RequestKind::kRekeyIke:
      return on_rekey_ike_response(sa, done, *in, now, out);
    case RequestKind::kDeleteChild:
    case RequestKind::kDeleteIke:
    case RequestKind::kLiveness:
      return on_informational_response(sa, done, *in, now, out);
    case RequestKind::kIkeSaInit:
      break;
  }
}

void Node::send(IkeSa& sa, std::vector<std::byte> bytes, TimePoint now, Actions& out) {
  out.datagrams.push_back({sa.local.port, sa.remote, std::move(bytes), false});
  sa.last_sent = now;
}

void Node::send_request(IkeSa& sa, PendingRequest request, const std::vector<Payload>& inner,
                        TimePoint now, Actions& out) {
  const Header h{sa.spi_i, sa.spi_r, request.exchange, sa.initiator, false, sa.next_message_id++};
  request.message_id = h.message_id;
  request.bytes = sa.seal_sk->seal(h, {}, inner, *rng_);
  request.transmissions = 1;
  request.due = now + config_.retransmit_timeouts.front();
  send(sa, request.bytes, now, out);
  sa.pending = std::move(request);
}

void Node::send_response(IkeSa& sa, const Header& request, ByteView request_bytes,
                         const std::vector<Payload>& inner, TimePoint now, Actions& out) {
  const Header h{sa.spi_i, sa.spi_r, request.exchange, sa.initiator, true, request.message_id};
  sa.last_response = sa.seal_sk->seal(h, {}, inner, *rng_);
  sa.last_request.assign(request_bytes.begin(), request_bytes.end());
  sa.answered = true;
  sa.peer_message_id = request.message_id + 1;
  out.datagrams.push_back({sa.reply_port, sa.reply_to, sa.last_response, false});
  sa.last_sent = now;
}

void Node::on_timer(TimePoint now, Actions& out) {
  for (auto& [id, sa] : sas_) {
    if (sa->dead) continue;
    run_timers(*sa, now, out);
    if (!sa->dead) pump(*sa, now, out);
  }
  reap();
}

void Node::run_timers(IkeSa& sa, TimePoint now, Actions& out) {
  if (sa.pending && now >= sa.pending->due) retransmit(sa, now, out);
  if (sa.dead) return;
  if ((sa.state == IkeSaState::kHalfOpen || sa.state == IkeSaState::kRekeyed) &&
      now >= sa.gone_at) {
    if (sa.state == IkeSaState::kHalfOpen) ++stats_.half_open_expired;
    sa.dead = true;
    return;
  }
  if (!sa.established()) return;
  if (now >= sa.expire_at) {
    close_sa(sa, now, out);
    return;
  }
  if (now >= sa.rekey_at) {
    sa.rekey_at = TimePoint::max();
    queue(sa, {RequestKind::kRekeyIke, 0});
  }
  for (Child& c : sa.children) {
    if (!c.replaced && !c.deleting && !c.rekeying && now >= c.rekey_at) {
      c.rekey_at = TimePoint::max();
      c.rekeying = true;
      queue(sa, {RequestKind::kRekeyChild, c.inbound_spi});
    }
    if (!c.deleting && now >= c.expire_at) {
      c.deleting = true;
      queue(sa, {RequestKind::kDeleteChild, c.inbound_spi});
    }
  }
  // Liveness only when the peer has been silent and nothing else would tell us (2.4).
  if (!sa.pending && sa.tasks.empty() && now - sa.last_received >= config_.liveness_interval)
    queue(sa, {RequestKind::kLiveness, 0});
  // RFC 3948 section 4: the side behind a NAT keeps its mapping open when otherwise quiet.
  if (sa.nat_local && now - sa.last_sent >= config_.nat_keepalive_interval) {
    out.datagrams.push_back({kNatTraversalPort, sa.remote, {std::byte{0xff}}, true});
    sa.last_sent = now;
  }
}

void Node::retransmit(IkeSa& sa, TimePoint now, Actions& out) {
  PendingRequest& p = *sa.pending;
  if (p.transmissions < config_.retransmit_timeouts.size()) {
    send(sa, p.bytes, now, out);
    p.due = now + config_.retransmit_timeouts[p.transmissions];
    ++p.transmissions;
    ++stats_.retransmissions;
    return;
  }
  const std::string detail = peer_label(sa) + " did not answer " + std::to_string(p.transmissions) +
                             " transmissions of a request";
  switch (sa.state) {
    case IkeSaState::kInitSent:
    case IkeSaState::kAuthSent:
      tear_down(sa, EventType::kRetransmitGaveUp, detail, out);
      break;
    case IkeSaState::kEstablished:
      tear_down(sa, EventType::kDeadPeer, detail, out);
      break;
    default:
      sa.dead = true;  // a Delete nobody answered: everything is gone already
      break;
  }
}

void Node::queue(IkeSa& sa, Task task) {
  const bool queued = std::any_of(sa.tasks.begin(), sa.tasks.end(), [&](const Task& t) {
    return t.kind == task.kind && t.child == task.child;
  });
  if (!queued) sa.tasks.push_back(task);
}

void Node::pump(IkeSa& sa, TimePoint now, Actions& out) {
  while (!sa.dead && !sa.pending && !sa.tasks.empty()) {
    const Task t = sa.tasks.front();
    sa.tasks.pop_front();
    start_task(sa, t, now, out);
  }
}

void Node::start_task(IkeSa& sa, const Task& t, TimePoint now, Actions& out) {
  if (t.kind == RequestKind::kDeleteIke) return send_delete_ike(sa, now, out);
  if (!sa.established()) return;
  Child* c = sa.child(t.child);
  switch (t.kind) {
    case RequestKind::kRekeyIke:
      return send_rekey_ike(sa, now, out);
    case RequestKind::kLiveness:
      return send_liveness(sa, now, out);
    case RequestKind::kRekeyChild:
      if (c == nullptr) return;
      if (c->replaced || c->deleting) {
        c->rekeying = false;
        return;
      }
      return send_rekey_child(sa, t.child, now, out);
    case RequestKind::kDeleteChild:
      if (c != nullptr) send_delete_child(sa, t.child, now, out);
      return;
    default:
      return;
  }
}

void Node::note_inbound_esp(std::uint32_t inbound_spi, TimePoint now) {
  const auto it = child_index_.find(inbound_spi);
  if (it == child_index_.end()) return;
  const auto sa = sas_.find(it->second);
  if (sa != sas_.end()) sa->second->last_received = std::max(sa->second->last_received, now);
}

void Node::rekey_child(std::uint32_t inbound_spi, TimePoint now, Actions& out) {
  const auto it = child_index_.find(inbound_spi);
  if (it == child_index_.end()) return;
  IkeSa& sa = *sas_.at(it->second);
  Child* c = sa.child(inbound_spi);
  if (!sa.established() || c == nullptr || c->replaced || c->deleting || c->rekeying) return;
  c->rekeying = true;
  c->rekey_at = TimePoint::max();
  queue(sa, {RequestKind::kRekeyChild, inbound_spi});
  pump(sa, now, out);
}

void Node::rekey_ike_sa(std::uint64_t ike_sa, TimePoint now, Actions& out) {
  const auto it = sas_.find(ike_sa);
  if (it == sas_.end() || !it->second->established()) return;
  it->second->rekey_at = TimePoint::max();
  queue(*it->second, {RequestKind::kRekeyIke, 0});
  pump(*it->second, now, out);
}

void Node::close(std::uint64_t ike_sa, TimePoint now, Actions& out) {
  const auto it = sas_.find(ike_sa);
  if (it == sas_.end() || it->second->dead) return;
  close_sa(*it->second, now, out);
  reap();
}

void Node::close_sa(IkeSa& sa, TimePoint now, Actions& out) {
  if (!sa.established()) {
    if (sa.state != IkeSaState::kDeleting) tear_down(sa, EventType::kIkeSaDown, "closed", out);
    return;
  }
  // The Child SAs go now; the Delete follows the outstanding request, if any (windows of one).
  tear_down(sa, EventType::kIkeSaDown, "IKE SA with " + peer_label(sa) + " closed", out);
  sa.dead = false;
  sa.state = IkeSaState::kDeleting;
  sa.tasks.clear();
  sa.tasks.push_back({RequestKind::kDeleteIke, 0});
  pump(sa, now, out);
}

void Node::tear_down(IkeSa& sa, EventType why, const std::string& detail, Actions& out) {
  while (!sa.children.empty()) remove_child(sa, sa.children.back().inbound_spi, detail, out);
  if (why != EventType::kIkeSaDown) event(out, why, sa, detail);
  if (sa.established()) event(out, EventType::kIkeSaDown, sa, detail);
  pool_.release(sa.id);
  sa.dead = true;
}

void Node::remove_child(IkeSa& sa, std::uint32_t inbound_spi, const std::string& why,
                        Actions& out) {
  const auto it = std::find_if(sa.children.begin(), sa.children.end(),
                               [&](const Child& c) { return c.inbound_spi == inbound_spi; });
  if (it == sa.children.end()) return;
  out.removals.push_back({sa.id, it->inbound_spi, it->outbound_spi});
  event(out, EventType::kChildSaDown, sa,
        "Child SA " + std::to_string(it->inbound_spi) + "/" + std::to_string(it->outbound_spi) +
            " with " + peer_label(sa) + " removed: " + why);
  child_index_.erase(it->inbound_spi);
  sa.children.erase(it);
}

void Node::install_child(IkeSa& sa, Child child, const ChildSaKeys& keymat, bool we_initiated,
                         std::optional<std::uint32_t> replaces, TimePoint now, Actions& out) {
  ChildSa c;
  c.ike_sa = sa.id;
  c.inbound_spi = child.inbound_spi;
  c.outbound_spi = child.outbound_spi;
  esp_sa_keys(child.suite, keymat, we_initiated, c.inbound_keys, c.outbound_keys);
  c.mode = child.mode;
  c.local = child.local;
  c.remote = child.remote;
  c.local_endpoint = sa.local;
  c.peer = sa.remote;
  c.udp_encapsulated = sa.nat_local || sa.nat_remote;
  c.lifetime = config_.child_lifetime;
  c.replaces = replaces;
  c.suite = esp_suite_name(child.suite);
  child.rekey_at = jittered(now, config_.child_lifetime);
  child.expire_at = now + config_.child_lifetime;
  child_index_[child.inbound_spi] = sa.id;
  event(out, EventType::kChildSaUp, sa,
        "Child SA " + std::to_string(c.inbound_spi) + "/" + std::to_string(c.outbound_spi) +
            " with " + peer_label(sa) + " up: " + c.suite +
            (c.mode == EspMode::kTransport ? ", transport mode" : ", tunnel mode") +
            (c.udp_encapsulated ? ", UDP-encapsulated" : "") +
            (replaces ? ", replaces " + std::to_string(*replaces) : ""));
  sa.children.push_back(std::move(child));
  out.installs.push_back(std::move(c));
}

void Node::event(Actions& out, EventType type, const IkeSa& sa, std::string detail) const {
  out.events.push_back({type, sa.id, sa.remote, std::move(detail)});
}

void Node::reap() {
  std::erase_if(sas_, [](const auto& e) { return e.second->dead; });
}

std::uint64_t Node::new_ike_spi() {
  for (;;) {
    const std::uint64_t spi = rng_->next_u64();
    if (spi != 0 && !sas_.contains(spi)) return spi;
  }
}

std::uint32_t Node::new_child_spi() {
  for (;;) {
    const std::uint32_t spi = rng_->next_u32();
    if (spi >= 256 && !child_index_.contains(spi)) return spi;  // 1-255 are reserved
  }
}

std::vector<std::byte> Node::new_nonce() {
  std::vector<std::byte> nonce(kNonceSize);
  rng_->fill(nonce);
  return nonce;
}

TimePoint Node::jittered(TimePoint now, Duration lifetime) {
  const auto margin =
      std::chrono::duration_cast<Duration>(lifetime * std::max(0.0, config_.rekey_margin));
  const auto spread = static_cast<std::uint64_t>(margin.count() / 2);
  const auto jitter = spread == 0 ? 0 : rng_->next_u64() % spread;
  return now + lifetime - margin - Duration(static_cast<Duration::rep>(jitter));
}

const PeerConfig* Node::peer_of(const IkeSa& sa) const {
  return sa.peer ? &config_.peers[*sa.peer] : nullptr;
}

std::string Node::peer_label(const IkeSa& sa) const {
  if (const PeerConfig* p = peer_of(sa)) return "peer " + p->name;
  return "peer " + sa.remote.to_string();
}

TimePoint Node::next_deadline() const {
  TimePoint d = TimePoint::max();
  for (const auto& [id, owned] : sas_) {
    const IkeSa& sa = *owned;
    if (sa.dead) continue;
    if (sa.pending) d = std::min(d, sa.pending->due);
    if (sa.state == IkeSaState::kHalfOpen || sa.state == IkeSaState::kRekeyed)
      d = std::min(d, sa.gone_at);
    if (!sa.established()) continue;
    d = std::min({d, sa.expire_at, sa.rekey_at});
    for (const Child& c : sa.children) {
      if (!c.replaced && !c.deleting && !c.rekeying) d = std::min(d, c.rekey_at);
      if (!c.deleting) d = std::min(d, c.expire_at);
    }
    if (!sa.pending) d = std::min(d, sa.last_received + config_.liveness_interval);
    if (sa.nat_local) d = std::min(d, sa.last_sent + config_.nat_keepalive_interval);
  }
  return d;
}

}  // namespace tandem::ipsec::ike::v2
