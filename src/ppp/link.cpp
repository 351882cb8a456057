// RFC 1661 section 3 (phases), 5.7 (Protocol-Reject), 5.8 (Echo) over the per-protocol automata.
#include "ppp/link.hpp"

#include <algorithm>

namespace tandem::ppp {

Link::Link(LinkConfig config, Rng& rng)
    : config_(std::move(config)),
      rng_(&rng),
      lcp_n_(rng, config_.mru, config_.demand_auth, config_.allow_auth),
      ipcp_n_(config_.ipcp),
      ipv6cp_n_(rng),
      lcp_(Protocol::kLcp, lcp_n_),
      ipcp_(Protocol::kIpcp, ipcp_n_),
      ipv6cp_(Protocol::kIpv6cp, ipv6cp_n_),
      authenticator_(rng, config_.name),
      auth_peer_(rng, config_.username, config_.password) {}

void Link::start(TimePoint now, LinkOutput& out) {
  phase_ = Phase::kEstablish;
  FsmOutput fsm;
  lcp_.open(now, fsm);
  lcp_.up(now, fsm);
  apply(fsm, now, out);
}

void Link::stop(std::string_view reason, TimePoint now, LinkOutput& out) {
  if (phase_ == Phase::kDead) return;
  phase_ = Phase::kTerminate;
  down_reason_ = std::string(reason);
  FsmOutput fsm;
  lcp_.close(reason, now, fsm);
  apply(fsm, now, out);
  // Nothing was open yet (the Terminate exchange needs an open LCP): the link is simply dead.
  if (lcp_.state() == FsmState::kInitial || lcp_.state() == FsmState::kClosed)
    die(std::string(reason), out);
}

void Link::lower_down(LinkOutput& out) {
  FsmOutput fsm;
  ipcp_.down(fsm);
  ipv6cp_.down(fsm);
  lcp_.down(fsm);
  out.frames.clear();  // nowhere to send them
  die(down_reason_.empty() ? "lower layer went down" : down_reason_, out);
}

void Link::die(std::string reason, LinkOutput& out) {
  phase_ = Phase::kDead;
  next_echo_ = TimePoint::max();
  if (reported_down_) return;
  reported_down_ = true;
  out.events.push_back({LinkEventType::kDown, std::move(reason), std::nullopt});
}

void Link::apply(FsmOutput& fsm, TimePoint now, LinkOutput& out) {
  for (auto& f : fsm.frames) out.frames.push_back(std::move(f));
  for (const auto& [protocol, signal] : fsm.signals) {
    FsmOutput more;
    if (protocol == Protocol::kLcp) {
      if (signal == LayerSignal::kUp) {
        on_lcp_up(now, out);
      } else if (signal == LayerSignal::kDown) {
        // LCP leaving Opened takes the network layer with it (1661 section 3.7).
        ipcp_.down(more);
        ipv6cp_.down(more);
        next_echo_ = TimePoint::max();
        // A renegotiated LCP authenticates again from the start (1661 section 3.5).
        authenticator_ = Authenticator(*rng_, config_.name);
        auth_peer_ = AuthPeer(*rng_, config_.username, config_.password);
        we_authenticated_peer_ = peer_authenticated_us_ = false;
        if (phase_ != Phase::kTerminate) phase_ = Phase::kEstablish;
      } else if (signal == LayerSignal::kFinished) {
        die(down_reason_.empty() ? lcp_.finish_reason() : down_reason_, out);
      }
    } else if (protocol == Protocol::kIpcp) {
      if (signal == LayerSignal::kUp) {
        out.events.push_back({LinkEventType::kIpcpUp, "", std::nullopt});
      } else if (signal == LayerSignal::kDown) {
        out.events.push_back({LinkEventType::kIpcpDown, "", std::nullopt});
      } else if (signal == LayerSignal::kFinished && phase_ == Phase::kNetwork) {
        stop("IPCP negotiation failed: " + ipcp_.finish_reason(), now, out);
      }
    } else if (protocol == Protocol::kIpv6cp && signal == LayerSignal::kUp) {
      out.events.push_back({LinkEventType::kIpv6cpUp, "", std::nullopt});
    } else if (protocol == Protocol::kIpv6cp && signal == LayerSignal::kDown) {
      out.events.push_back({LinkEventType::kIpv6cpDown, "", std::nullopt});
    }
    if (!more.frames.empty() || !more.signals.empty()) apply(more, now, out);
  }
  fsm.frames.clear();
  fsm.signals.clear();
}

void Link::on_lcp_up(TimePoint now, LinkOutput& out) {
  phase_ = Phase::kAuthenticate;
  echo_outstanding_ = 0;
  next_echo_ = now + config_.echo_interval;
  if (lcp_n_.auth_refused()) {
    stop("peer refused every authentication method we demand", now, out);
    return;
  }
  AuthOutput a;
  if (lcp_n_.we_authenticate_with() != AuthMethod::kNone)
    authenticator_.start(lcp_n_.we_authenticate_with(), now, a);
  if (lcp_n_.peer_authenticates_with() != AuthMethod::kNone)
    auth_peer_.start(lcp_n_.peer_authenticates_with(), now, a);
  apply_auth(a, now, out);
  maybe_enter_network(now, out);
}

void Link::apply_auth(AuthOutput& a, TimePoint now, LinkOutput& out) {
  for (auto& f : a.frames) out.frames.push_back(std::move(f));
  if (a.request) {
    peer_name_ = a.request->username;
    out.events.push_back({LinkEventType::kAuthRequest, a.request->username, std::move(a.request)});
  }
  if (a.finished) {
    if (!*a.finished) {
      stop("authentication failed: " + a.detail, now, out);
      return;
    }
    // Which side finished is known from which machine is now done.
    if (authenticator_.done() && !we_authenticated_peer_ &&
        lcp_n_.we_authenticate_with() != AuthMethod::kNone) {
      we_authenticated_peer_ = true;
      out.events.push_back({LinkEventType::kAuthenticated, a.detail, std::nullopt});
    }
    if (auth_peer_.done()) peer_authenticated_us_ = true;
    maybe_enter_network(now, out);
  }
}

void Link::maybe_enter_network(TimePoint now, LinkOutput& out) {
  if (phase_ != Phase::kAuthenticate) return;
  const bool ours_done =
      lcp_n_.we_authenticate_with() == AuthMethod::kNone || we_authenticated_peer_;
  const bool theirs_done =
      lcp_n_.peer_authenticates_with() == AuthMethod::kNone || peer_authenticated_us_;
  if (!ours_done || !theirs_done) return;
  phase_ = Phase::kNetwork;
  FsmOutput fsm;
  ipcp_.open(now, fsm);
  ipcp_.up(now, fsm);
  if (config_.ipv6) {
    ipv6cp_.open(now, fsm);
    ipv6cp_.up(now, fsm);
  }
  apply(fsm, now, out);
}

void Link::auth_verdict(const AuthVerdict& verdict, TimePoint now, LinkOutput& out) {
  AuthOutput a;
  authenticator_.verdict(verdict, a);
  apply_auth(a, now, out);
}

void Link::on_frame(ByteView bytes, TimePoint now, LinkOutput& out) {
  if (phase_ == Phase::kDead) return;
  const auto frame = parse_frame(bytes);
  if (!frame) {
    ++stats_.malformed;
    return;
  }
  const auto protocol = static_cast<Protocol>(frame->protocol);
  switch (protocol) {
    case Protocol::kIpv4:
      if (ipcp_.opened()) {
        out.ipv4_packets.push_back(frame->information);
      } else {
        ++stats_.discarded_before_open;
      }
      return;
    case Protocol::kIpv6:
      if (ipv6cp_.opened()) {
        out.ipv6_packets.push_back(frame->information);
      } else {
        ++stats_.discarded_before_open;
      }
      return;
    default:
      break;
  }
  const bool is_control = protocol == Protocol::kLcp || protocol == Protocol::kPap ||
                          protocol == Protocol::kChap || protocol == Protocol::kIpcp ||
                          (protocol == Protocol::kIpv6cp && config_.ipv6);
  if (!is_control) {
    // 5.7: only an opened LCP rejects protocols; before that, frames are silently discarded.
    if (lcp_.opened()) {
      send_protocol_reject(frame->protocol, frame->information, out);
    } else {
      ++stats_.discarded_before_open;
    }
    return;
  }
  const auto packet = parse_control_packet(frame->information);
  if (!packet) {
    ++stats_.malformed;
    return;
  }
  FsmOutput fsm;
  if (protocol == Protocol::kLcp) {
    if (packet->code >= static_cast<std::uint8_t>(Code::kProtocolReject) &&
        packet->code <= static_cast<std::uint8_t>(Code::kDiscardRequest)) {
      on_lcp_extra(*packet, now, out);
      return;
    }
    lcp_.receive(*packet, now, fsm);
  } else if (protocol == Protocol::kPap || protocol == Protocol::kChap) {
    if (phase_ != Phase::kAuthenticate && phase_ != Phase::kNetwork) {
      ++stats_.discarded_before_open;
      return;
    }
    // Requests and responses go to the authenticator; challenges and verdicts to the peer side.
    const bool for_authenticator = (protocol == Protocol::kPap &&
                                    packet->code == static_cast<std::uint8_t>(PapCode::kRequest)) ||
                                   (protocol == Protocol::kChap &&
                                    packet->code == static_cast<std::uint8_t>(ChapCode::kResponse));
    AuthOutput a;
    if (for_authenticator) {
      if (lcp_n_.we_authenticate_with() != AuthMethod::kNone)
        authenticator_.receive(protocol, *packet, a);
    } else if (lcp_n_.peer_authenticates_with() != AuthMethod::kNone) {
      auth_peer_.receive(protocol, *packet, now, a);
    }
    apply_auth(a, now, out);
    return;
  } else {
    if (phase_ != Phase::kNetwork) {
      ++stats_.discarded_before_open;  // 1661 3.5: NCPs wait for authentication
      return;
    }
    (protocol == Protocol::kIpcp ? ipcp_ : ipv6cp_).receive(*packet, now, fsm);
  }
  apply(fsm, now, out);
}

void Link::on_lcp_extra(const ControlPacket& p, TimePoint now, LinkOutput& out) {
  if (!lcp_.opened()) return;
  switch (static_cast<Code>(p.code)) {
    case Code::kEchoRequest: {
      std::vector<std::byte> data(p.data.begin(), p.data.end());
      if (data.size() < 4) return;
      store_be32(data.data(), lcp_n_.our_magic());
      out.frames.push_back(build_control_frame(
          Protocol::kLcp, static_cast<std::uint8_t>(Code::kEchoReply), p.identifier, data));
      return;
    }
    case Code::kEchoReply:
      on_echo_reply(p, now, out);
      return;
    case Code::kProtocolReject: {
      if (p.data.size() < 2) return;
      const auto rejected = static_cast<Protocol>(load_be16(p.data.data()));
      FsmOutput fsm;
      if (rejected == Protocol::kIpv6cp) {
        ipv6cp_.down(fsm);  // the peer has no IPv6: carry on with IPv4 alone
      } else if (rejected == Protocol::kIpcp) {
        stop("peer rejected IPCP", now, out);
        return;
      }
      apply(fsm, now, out);
      return;
    }
    default:
      return;  // Discard-Request
  }
}

void Link::send_protocol_reject(std::uint16_t protocol, ByteView information, LinkOutput& out) {
  std::vector<std::byte> data(2);
  store_be16(data.data(), protocol);
  // Truncated so the reject fits the peer's MRU (5.7).
  const std::size_t room = lcp_n_.peer_mru() > 16 ? lcp_n_.peer_mru() - 16 : 0;
  data.insert(
      data.end(), information.begin(),
      information.begin() + static_cast<std::ptrdiff_t>(std::min(room, information.size())));
  out.frames.push_back(build_control_frame(
      Protocol::kLcp, static_cast<std::uint8_t>(Code::kProtocolReject), next_identifier(), data));
  ++stats_.protocol_rejects_sent;
}

void Link::on_timer(TimePoint now, LinkOutput& out) {
  FsmOutput fsm;
  lcp_.on_timer(now, fsm);
  ipcp_.on_timer(now, fsm);
  ipv6cp_.on_timer(now, fsm);
  apply(fsm, now, out);
  AuthOutput a;
  authenticator_.on_timer(now, a);
  auth_peer_.on_timer(now, a);
  apply_auth(a, now, out);
  if (lcp_.opened() && now >= next_echo_) {
    if (echo_outstanding_ >= config_.echo_failures) {
      stop("peer did not answer " + std::to_string(echo_outstanding_) + " LCP echo requests", now,
           out);
      return;
    }
    std::vector<std::byte> magic(4);
    store_be32(magic.data(), lcp_n_.our_magic());
    out.frames.push_back(build_control_frame(
        Protocol::kLcp, static_cast<std::uint8_t>(Code::kEchoRequest), next_identifier(), magic));
    ++echo_outstanding_;
    ++stats_.echo_requests_sent;
    next_echo_ = now + config_.echo_interval;
  }
}

std::uint8_t Link::next_identifier() {
  echo_id_ = static_cast<std::uint8_t>((echo_id_ + 1) % kEchoProbeIdentifiers);
  return echo_id_;
}

void Link::on_echo_reply(const ControlPacket& p, TimePoint now, LinkOutput& out) {
  if (p.identifier < kEchoProbeIdentifiers) {
    echo_outstanding_ = 0;  // liveness: only the small echoes count
    last_echo_reply_ = now;
    return;
  }
  auto& slot = probe_ids_[p.identifier - kEchoProbeIdentifiers];
  if (!slot) return;  // a duplicate, or a reply to a probe whose slot was reused
  // The header (4) and the data; the peer's magic number leads the data.
  out.probe_replies.push_back({*slot, 4 + p.data.size()});
  slot.reset();
  ++stats_.echo_probe_replies;
}

bool Link::send_echo_probe(std::uint32_t probe_id, std::size_t size, LinkOutput& out) {
  if (!lcp_.opened() || size < kEchoProbeMinSize || size > lcp_n_.peer_mru()) return false;
  // The magic number first (5.8), then zeros up to the size tested.
  std::vector<std::byte> data(size - 4);
  store_be32(data.data(), lcp_n_.our_magic());
  const auto identifier = static_cast<std::uint8_t>(kEchoProbeIdentifiers + probe_slot_);
  probe_ids_[probe_slot_] = probe_id;
  probe_slot_ = static_cast<std::uint8_t>((probe_slot_ + 1) % probe_ids_.size());
  out.frames.push_back(build_control_frame(
      Protocol::kLcp, static_cast<std::uint8_t>(Code::kEchoRequest), identifier, data));
  ++stats_.echo_probes_sent;
  return true;
}

TimePoint Link::next_deadline() const {
  if (phase_ == Phase::kDead) return TimePoint::max();
  return std::min({lcp_.deadline(), ipcp_.deadline(), ipv6cp_.deadline(), authenticator_.deadline(),
                   auth_peer_.deadline(), lcp_.opened() ? next_echo_ : TimePoint::max()});
}

bool Link::encapsulate(Protocol protocol, Packet& packet) const {
  const bool open = protocol == Protocol::kIpv4 ? ipcp_.opened() : ipv6cp_.opened();
  if (!open || packet.headroom() < kFrameHeaderSize) return false;
  packet.set_range(packet.offset - kFrameHeaderSize, packet.length + kFrameHeaderSize);
  write_frame_header(packet.bytes().data(), protocol);
  return true;
}

}  // namespace tandem::ppp
