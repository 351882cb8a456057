#include "hybrid/l2tp_stack.hpp"

#include <algorithm>

#include "packet/ip_packet.hpp"
#include "ppp/ipcp.hpp"

namespace tandem::hybrid {
namespace {

// IPv4 header fields the router needs, read without a full parse: the version nibble, then the
// source and destination addresses at their fixed offsets.
constexpr std::size_t kIpv4MinHeader = 20;

bool is_ipv4(ByteView p) {
  return p.size() >= kIpv4MinHeader && (std::to_integer<unsigned>(p[0]) >> 4) == 4;
}
std::uint32_t ipv4_source(ByteView p) {
  return load_be32(p.data() + 12);
}
std::uint32_t ipv4_destination(ByteView p) {
  return load_be32(p.data() + 16);
}

// An IPv6 packet's source or destination; nullopt for anything else.
std::optional<IpAddress> ipv6_address(ByteView p, bool source) {
  const auto header = packet::parse_ip_header(p);
  if (!header || header->family != IpAddress::Family::kV6) return std::nullopt;
  std::array<std::uint8_t, 16> b{};
  const std::byte* at = source ? header->source : header->destination;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = std::to_integer<std::uint8_t>(at[i]);
  return IpAddress::v6(b);
}

}  // namespace

L2tpStack::L2tpStack(L2tpStackConfig config, Rng& rng)
    : config_(std::move(config)),
      rng_(&rng),
      node_(
          [this] {
            l2tp::NodeConfig n = config_.node;
            n.accept_tunnels = config_.role == L2tpRole::kLns;
            return n;
          }(),
          rng) {
  if (config_.role == L2tpRole::kLns && config_.pool_first && config_.pool_last)
    pool_.emplace(*config_.pool_first, *config_.pool_last);
  calls_.resize(config_.role == L2tpRole::kLac ? config_.calls.size() : 0);
}

void L2tpStack::start(TimePoint now, L2tpStackOutput& out) {
  for (std::size_t i = 0; i < calls_.size(); ++i) dial(i, now);
  drain(now, out);
}

bool L2tpStack::hang_up(const IpAddress& address, const std::string& reason, TimePoint now,
                        L2tpStackOutput& out) {
  bool found = false;
  for (auto& [ref, s] : sessions_) {
    if (s.closing || (s.address != address && s.address6 != address)) continue;
    found = true;
    s.closing = true;
    if (s.link) {
      s.link->stop(reason, now, link_out_);
      for (const auto& f : link_out_.frames) send_ppp(s, f, out);
      link_out_.clear();
    }
    // Not waiting for PPP's goodbye: a revoked client must lose the session now.
    node_.close_session(ref, l2tp::CdnResult::kAdministrative, reason, now, actions_);
  }
  drain(now, out);
  return found;
}

void L2tpStack::stop(TimePoint now, L2tpStackOutput& out) {
  stopping_ = true;
  // A client hung up now would dial again at once; a stopping gateway must not take it back.
  node_.stop_accepting_tunnels();
  for (auto& c : calls_) c.redial_at = TimePoint::max();
  for (auto& [ref, s] : sessions_)
    if (s.link) {
      s.link->stop("shutting down", now, link_out_);
      for (const auto& f : link_out_.frames) send_ppp(s, f, out);
      link_out_.clear();
    }
  for (const auto id : node_.tunnel_ids())
    node_.close_tunnel(id, l2tp::StopCcnResult::kShuttingDown, "shutting down", now, actions_);
  drain(now, out);
}

// Client: puts call `i` on the tunnel, dialling the tunnel first when there is none.
void L2tpStack::dial(std::size_t i, TimePoint now) {
  Call& c = calls_[i];
  c.redial_at = TimePoint::max();
  if (stopping_ || c.session) return;
  if (tunnel_ && node_.tunnel(*tunnel_) == nullptr) tunnel_.reset();
  if (!tunnel_) {
    auto id = node_.open_tunnel(config_.server, now, actions_);
    if (!id) {
      schedule_redial(i, now);
      return;
    }
    tunnel_ = *id;
  }
  auto ref = node_.open_session(*tunnel_, now, actions_);
  if (!ref) {
    schedule_redial(i, now);
    return;
  }
  c.session = *ref;
  Session& s = sessions_[*ref];
  s.ref = *ref;
  s.peer = config_.server;
  s.user = config_.calls[i].user;
  s.call = i;
}

void L2tpStack::schedule_redial(std::size_t i, TimePoint now) {
  Call& c = calls_[i];
  c.session.reset();
  if (stopping_ || !config_.redial) return;
  Duration delay = config_.redial_min;
  for (unsigned k = 0; k < c.failures && delay < config_.redial_max; ++k) delay *= 2;
  c.redial_at = now + std::min(delay, config_.redial_max);
  ++c.failures;
}

void L2tpStack::on_datagram(ByteView datagram, const Endpoint& from, TimePoint now,
                            L2tpStackOutput& out) {
  node_.on_datagram(datagram, from, now, actions_);
  drain(now, out);
}

void L2tpStack::on_timer(TimePoint now, L2tpStackOutput& out) {
  if (node_.next_deadline() <= now) node_.on_timer(now, actions_);
  drain(now, out);
  for (auto& [ref, s] : sessions_)
    if (s.link && s.link->next_deadline() <= now) {
      s.link->on_timer(now, link_out_);
      handle_link_output(s, now, out);
    }
  for (std::size_t i = 0; i < calls_.size(); ++i)
    if (calls_[i].redial_at <= now) dial(i, now);
  drain(now, out);
}

TimePoint L2tpStack::next_deadline() const {
  TimePoint t = node_.next_deadline();
  for (const auto& [ref, s] : sessions_)
    if (s.link) t = std::min(t, s.link->next_deadline());
  for (const auto& c : calls_) t = std::min(t, c.redial_at);
  return t;
}

// Handles everything the node produced, including what handling it makes the node produce
// (a PPP link going down closes its L2TP session, which reports the session down).
void L2tpStack::drain(TimePoint now, L2tpStackOutput& out) {
  while (!actions_.datagrams.empty() || !actions_.events.empty() || !actions_.frames.empty()) {
    for (auto& d : actions_.datagrams) out.datagrams.push_back(std::move(d));
    actions_.datagrams.clear();
    events_.swap(actions_.events);
    frames_.swap(actions_.frames);
    actions_.events.clear();
    actions_.frames.clear();
    for (const auto& e : events_) on_l2tp_event(e, now, out);
    for (const auto& f : frames_) on_ppp_frame(f, now, out);
    events_.clear();
    frames_.clear();
  }
}

void L2tpStack::on_l2tp_event(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out) {
  switch (e.type) {
    case l2tp::EventType::kTunnelUp:
      out.events.push_back({L2tpEventType::kTunnelUp, e.ref, e.peer, {}, {}, {}, {}, e.reason});
      break;
    case l2tp::EventType::kTunnelDown:
      if (tunnel_ == e.ref.tunnel_id) tunnel_.reset();
      out.events.push_back({L2tpEventType::kTunnelDown, e.ref, e.peer, {}, {}, {}, {}, e.reason});
      // A tunnel that never came up has no sessions to report; its calls are retried here.
      for (std::size_t i = 0; i < calls_.size(); ++i)
        if (calls_[i].session && calls_[i].session->tunnel_id == e.ref.tunnel_id) {
          sessions_.erase(*calls_[i].session);
          schedule_redial(i, now);
        }
      break;
    case l2tp::EventType::kSessionUp:
      on_session_up(e, now, out);
      break;
    case l2tp::EventType::kSessionDown:
      on_session_down(e, now, out);
      break;
  }
}

ppp::LinkConfig L2tpStack::link_config(const Session& s) const {
  ppp::LinkConfig lc;
  lc.name = config_.node.host_name;
  lc.mru = config_.mru;
  lc.echo_interval = config_.echo_interval;
  // Without ipv6, negotiating IPV6CP would promise what we drop.
  lc.ipv6 = config_.ipv6;
  if (config_.role == L2tpRole::kLns) {
    lc.demand_auth = config_.auth;
    lc.ipcp.local_address = config_.gateway_address;
    if (!config_.dns.empty()) lc.ipcp.primary_dns = config_.dns[0];
    if (config_.dns.size() > 1) lc.ipcp.secondary_dns = config_.dns[1];
  } else {
    lc.allow_auth = config_.auth;
    lc.username = s.user;
    lc.password = config_.calls[*s.call].password;
    lc.ipcp.request_dns = true;
  }
  return lc;
}

void L2tpStack::on_session_up(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out) {
  Session& s = sessions_[e.ref];
  s.ref = e.ref;
  s.peer = e.peer;
  if (config_.role == L2tpRole::kLac && !s.call) {
    // Not one of our calls (cannot happen on a client); refuse it rather than guess.
    node_.close_session(e.ref, l2tp::CdnResult::kAdministrative, "unexpected session", now,
                        actions_);
    return;
  }
  s.link = std::make_unique<ppp::Link>(link_config(s), *rng_);
  s.link->start(now, link_out_);
  handle_link_output(s, now, out);
}

void L2tpStack::on_session_down(const l2tp::Event& e, TimePoint now, L2tpStackOutput& out) {
  auto it = sessions_.find(e.ref);
  if (it == sessions_.end()) return;
  Session& s = it->second;
  if (s.link) {
    s.link->lower_down(link_out_);
    link_out_.clear();  // the link's own "down" is reported below, with the L2TP reason
  }
  L2tpEvent ev{L2tpEventType::kLinkDown, e.ref, s.peer, s.user, {}, {}, {}, e.reason};
  ev.rx_packets = s.rx_packets;
  ev.rx_bytes = s.rx_bytes;
  ev.tx_packets = s.tx_packets;
  ev.tx_bytes = s.tx_bytes;
  if (s.up6 && s.address6) by_address6_.erase(*s.address6);
  if (s.address) {
    if (s.routed) {
      by_address_.erase(s.address->v4_u32());
      if (config_.role == L2tpRole::kLns) {
        ev.local = config_.gateway_address;
        ev.remote = s.address;
      } else {
        ev.local = s.address;
        ev.remote = config_.gateway_address;
      }
    }
    if (pool_) pool_->release(*s.address);
  }
  const std::optional<std::size_t> call = s.call;
  sessions_.erase(it);
  out.events.push_back(std::move(ev));
  if (call) schedule_redial(*call, now);
}

void L2tpStack::on_ppp_frame(const l2tp::PppFrame& f, TimePoint now, L2tpStackOutput& out) {
  auto it = sessions_.find(f.session);
  if (it == sessions_.end() || !it->second.link) return;
  it->second.link->on_frame(f.frame, now, link_out_);
  handle_link_output(it->second, now, out);
}

void L2tpStack::send_ppp(const Session& s, ByteView frame, L2tpStackOutput& out) {
  frame_scratch_.resize(l2tp::Node::kDataHeadroom + frame.size());
  std::copy(frame.begin(), frame.end(), frame_scratch_.begin() + l2tp::Node::kDataHeadroom);
  Packet p{
      frame_scratch_.data(), frame_scratch_.size(), l2tp::Node::kDataHeadroom, frame.size(), {}};
  if (!node_.encapsulate(s.ref, p)) return;
  const auto bytes = p.bytes();
  out.datagrams.push_back({p.endpoint, std::vector<std::byte>(bytes.begin(), bytes.end())});
}

void L2tpStack::handle_link_output(Session& s, TimePoint now, L2tpStackOutput& out) {
  for (const auto& f : link_out_.frames) send_ppp(s, f, out);
  for (const ByteView packet : link_out_.ipv4_packets) {
    // A gateway only forwards what a client sends from the address it was given.
    if (config_.role == L2tpRole::kLns &&
        (!s.up || !s.address || !is_ipv4(packet) || ipv4_source(packet) != s.address->v4_u32())) {
      ++stats_.spoofed;
      continue;
    }
    out.to_tun.push_back(packet);
    out.to_tun_mtu.push_back(session_mtu(s));
    ++stats_.to_tun;
    ++s.rx_packets;
    s.rx_bytes += packet.size();
  }
  deliver_ipv6(s, out);
  for (const auto& r : link_out_.probe_replies) out.probe_replies.push_back({s.ref, r});
  bool down = false;
  std::string down_reason;
  for (auto& ev : link_out_.events) {
    switch (ev.type) {
      case ppp::LinkEventType::kAuthRequest:
        s.user = ev.detail;
        out.auth_requests.push_back({s.ref, std::move(*ev.auth), s.peer});
        break;
      case ppp::LinkEventType::kAuthenticated:
        out.events.push_back({L2tpEventType::kAuthenticated,
                              s.ref,
                              s.peer,
                              ev.detail,
                              {},
                              {},
                              {},
                              ppp::auth_method_name(s.link->lcp().we_authenticate_with())});
        break;
      case ppp::LinkEventType::kIpcpUp:
        on_link_up(s, out);
        break;
      case ppp::LinkEventType::kIpv6cpUp:
        on_ipv6_up(s);
        break;
      case ppp::LinkEventType::kIpcpDown:
        // Renegotiating: nothing passes until IPCP is up again (on_link_up then says so), and
        // the status does not call the session up meanwhile.
        s.up = false;
        break;
      case ppp::LinkEventType::kIpv6cpDown:
        if (s.up6 && s.address6) by_address6_.erase(*s.address6);
        s.up6 = false;
        break;
      case ppp::LinkEventType::kDown:
        down = true;
        down_reason = ev.detail;
        break;
    }
  }
  link_out_.clear();
  if (down && !s.closing) {
    // PPP is finished with this session: hang up the call; the node reports it down.
    s.closing = true;
    node_.close_session(s.ref, l2tp::CdnResult::kAdministrative, "PPP: " + down_reason, now,
                        actions_);
  }
}

void L2tpStack::on_link_up(Session& s, L2tpStackOutput& out) {
  L2tpEvent ev{L2tpEventType::kLinkUp, s.ref, s.peer, s.user, {}, {}, {}, {}};
  const auto& ipcp = s.link->ipcp();
  if (config_.role == L2tpRole::kLns) {
    // The address was chosen at the verdict; IPCP has just confirmed it.
    if (!s.address) return;
    ev.local = config_.gateway_address;
    ev.remote = s.address;
  } else {
    s.address = IpAddress::v4_from_u32(ipcp.our_address());
    // The gateway's address is what it told us in its own Configure-Request.
    config_.gateway_address = IpAddress::v4_from_u32(ipcp.peer_address());
    ev.local = s.address;
    ev.remote = config_.gateway_address;
    for (const std::uint32_t d : {ipcp.primary_dns(), ipcp.secondary_dns()})
      if (d != 0) ev.dns.push_back(IpAddress::v4_from_u32(d));
    if (s.call) calls_[*s.call].failures = 0;
  }
  const std::uint32_t key = s.address->v4_u32();
  if (auto clash = by_address_.find(key); clash != by_address_.end() && clash->second != s.ref) {
    ev.detail = "address " + s.address->to_string() + " moved from another session";
    if (auto old = sessions_.find(clash->second); old != sessions_.end())
      old->second.up = old->second.routed = false;
  }
  by_address_[key] = s.ref;
  s.up = true;
  s.routed = true;
  out.events.push_back(std::move(ev));
}

void L2tpStack::on_ipv6_up(Session& s) {
  s.up6 = true;
  if (config_.role != L2tpRole::kLns || !s.address6) return;
  // As for IPv4: the newest session with the address takes its traffic.
  if (auto clash = by_address6_.find(*s.address6);
      clash != by_address6_.end() && clash->second != s.ref)
    if (auto old = sessions_.find(clash->second); old != sessions_.end()) old->second.up6 = false;
  by_address6_[*s.address6] = s.ref;
}

void L2tpStack::deliver_ipv6(Session& s, L2tpStackOutput& out) {
  for (const ByteView packet : link_out_.ipv6_packets) {
    if (!config_.ipv6) {
      ++stats_.not_ipv4;
      continue;
    }
    // A gateway only forwards what a client sends from the IPv6 address it was given.
    if (config_.role == L2tpRole::kLns &&
        (!s.up6 || !s.address6 || ipv6_address(packet, true) != s.address6)) {
      ++stats_.spoofed;
      continue;
    }
    out.to_tun.push_back(packet);
    out.to_tun_mtu.push_back(session_mtu(s));
    ++stats_.to_tun;
    ++s.rx_packets;
    s.rx_bytes += packet.size();
  }
}

L2tpStack::Session* L2tpStack::ipv6_route(ByteView packet) {
  if (config_.role == L2tpRole::kLns) {
    const auto destination = ipv6_address(packet, false);
    const auto route = destination ? by_address6_.find(*destination) : by_address6_.end();
    if (route == by_address6_.end()) return nullptr;
    const auto it = sessions_.find(route->second);
    return it == sessions_.end() ? nullptr : &it->second;
  }
  // A client sends IPv6 on its one session, as it does IPv4 (the gateway checks the source).
  Session* only = nullptr;
  for (auto& [ref, s] : sessions_) {
    if (!s.up6) continue;
    if (only) return nullptr;  // several: no source to pick by, as IPCP gave IPv4 only
    only = &s;
  }
  return only;
}

void L2tpStack::auth_verdict(l2tp::SessionRef ref, const ppp::AuthVerdict& verdict, TimePoint now,
                             L2tpStackOutput& out, std::optional<IpAddress> address,
                             std::optional<IpAddress> address6, bool exclusive) {
  auto it = sessions_.find(ref);
  if (it == sessions_.end() || !it->second.link) return;
  Session& s = it->second;
  ppp::AuthVerdict v = verdict;
  if (v.accepted && address && !s.address) {
    // An address chosen for the login (a RADIUS Framed-IP-Address) that another session holds
    // would take that session's traffic: refused.
    const bool taken =
        exclusive && (std::any_of(sessions_.begin(), sessions_.end(),
                                  [&](const auto& other) {
                                    return other.first != ref && other.second.address == address;
                                  }) ||
                      (pool_ && !pool_->reserve(*address)));
    if (taken) {
      ++stats_.address_in_use;
      v = ppp::AuthVerdict{false, "", "the address given for this login is in use"};
    } else {
      s.address = address;
    }
  }
  if (v.accepted && address6 && config_.ipv6) s.address6 = address6;
  if (v.accepted && pool_ && !s.address) {
    s.address = pool_->allocate(s.user);
    if (!s.address) {
      ++stats_.pool_exhausted;
      v = ppp::AuthVerdict{false, "", "no address available"};
    }
  }
  if (v.accepted && s.address) s.link->assign_peer_address(*s.address);
  s.link->auth_verdict(v, now, link_out_);
  handle_link_output(s, now, out);
  drain(now, out);
}

std::optional<L2tpInnerRoute> L2tpStack::on_inner_packet(Packet& packet) {
  const ByteView bytes = packet.bytes();
  const std::size_t inner_size = bytes.size();
  if (!is_ipv4(bytes)) {
    Session* s = config_.ipv6 ? ipv6_route(bytes) : nullptr;
    if (!config_.ipv6 || !ipv6_address(bytes, false)) {
      ++stats_.not_ipv4;
      return std::nullopt;
    }
    if (!s || !s->up6 || !s->link || !s->link->encapsulate(ppp::Protocol::kIpv6, packet) ||
        !node_.encapsulate(s->ref, packet)) {
      ++stats_.no_route;
      return std::nullopt;
    }
    ++stats_.from_tun;
    ++s->tx_packets;
    s->tx_bytes += inner_size;
    return L2tpInnerRoute{s->ref, session_mtu(*s)};
  }
  const std::uint32_t key =
      config_.role == L2tpRole::kLns ? ipv4_destination(bytes) : ipv4_source(bytes);
  auto route = by_address_.find(key);
  // A client with one session is like pppd's ppp0: whatever is routed to it goes to that
  // session, whichever source it has (checking sources is the gateway's job). With several, the
  // source picks the session.
  if (route == by_address_.end() && config_.role == L2tpRole::kLac && by_address_.size() == 1)
    route = by_address_.begin();
  if (route == by_address_.end()) {
    ++stats_.no_route;
    return std::nullopt;
  }
  auto it = sessions_.find(route->second);
  if (it == sessions_.end() || !it->second.up || !it->second.link ||
      !it->second.link->encapsulate(ppp::Protocol::kIpv4, packet)) {
    ++stats_.no_route;
    return std::nullopt;
  }
  if (!node_.encapsulate(it->second.ref, packet)) {
    ++stats_.no_route;
    return std::nullopt;
  }
  ++stats_.from_tun;
  ++it->second.tx_packets;
  it->second.tx_bytes += inner_size;
  return L2tpInnerRoute{it->second.ref, session_mtu(it->second)};
}

void L2tpStack::hold_session_mtu(l2tp::SessionRef ref, std::optional<std::size_t> mtu) {
  if (auto it = sessions_.find(ref); it != sessions_.end()) it->second.held_mtu = mtu.value_or(0);
}

bool L2tpStack::send_echo_probe(l2tp::SessionRef ref, std::uint32_t probe_id, std::size_t size,
                                TimePoint now, L2tpStackOutput& out) {
  auto it = sessions_.find(ref);
  if (it == sessions_.end() || !it->second.up || !it->second.link) return false;
  Session& s = it->second;
  if (!s.link->send_echo_probe(probe_id, size, link_out_)) return false;
  handle_link_output(s, now, out);
  return true;
}

std::vector<L2tpSessionInfo> L2tpStack::sessions() const {
  std::vector<L2tpSessionInfo> v;
  v.reserve(sessions_.size());
  for (const auto& [ref, s] : sessions_) {
    L2tpSessionInfo info;
    info.ref = ref;
    info.peer = s.peer;
    info.user = s.user;
    info.up = s.up;
    info.rx_packets = s.rx_packets;
    info.rx_bytes = s.rx_bytes;
    info.tx_packets = s.tx_packets;
    info.tx_bytes = s.tx_bytes;
    if (s.link) {
      info.last_echo_reply = s.link->last_echo_reply();
      info.phase = s.link->phase();
      if (s.link->lcp_state() == ppp::FsmState::kOpened) info.peer_mru = s.link->lcp().peer_mru();
    }
    if (s.up) {
      const bool gateway = config_.role == L2tpRole::kLns;
      info.local = gateway ? std::optional(config_.gateway_address) : s.address;
      info.remote = gateway ? s.address : std::optional(config_.gateway_address);
    }
    v.push_back(std::move(info));
  }
  return v;
}

}  // namespace tandem::hybrid
