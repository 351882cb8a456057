#include "hybrid/ipsec_stack.hpp"

#include <algorithm>

#include "ipsec/esp/udp_encap.hpp"

namespace tandem::hybrid {

using ipsec::ike::EspMode;
using ipsec::ike::kIkePort;
using ipsec::ike::kNatTraversalPort;

namespace {

std::vector<std::unique_ptr<ipsec::ike::Engine>> one(std::unique_ptr<ipsec::ike::Engine> engine) {
  std::vector<std::unique_ptr<ipsec::ike::Engine>> engines;
  engines.push_back(std::move(engine));
  return engines;
}

// The major version in an IKE header (RFC 7296 3.1, RFC 2408 3.1): the high nibble of byte 17.
constexpr std::size_t kVersionOffset = 17;

}  // namespace

IpsecStack::IpsecStack(std::unique_ptr<ipsec::ike::Engine> engine, Rng& rng)
    : IpsecStack(one(std::move(engine)), rng) {}

IpsecStack::IpsecStack(std::vector<std::unique_ptr<ipsec::ike::Engine>> engines, Rng& rng)
    : engines_(std::move(engines)), retired_policy_dropped_(engines_.size(), 0), rng_(&rng) {}

const ipsec::ike::Engine* IpsecStack::engine(int ike_version) const {
  for (const auto& e : engines_)
    if (e->version() == ike_version) return e.get();
  return nullptr;
}

ipsec::ike::Engine* IpsecStack::engine_mut(int ike_version) {
  for (auto& e : engines_)
    if (e->version() == ike_version) return e.get();
  return nullptr;
}

ipsec::ike::Engine* IpsecStack::engine_for(ByteView message) {
  // A lone engine judges every message itself (and answers a wrong version as its RFC says).
  if (engines_.size() == 1) return engines_.front().get();
  if (message.size() <= kVersionOffset) return nullptr;
  return engine_mut(std::to_integer<int>(message[kVersionOffset]) >> 4);
}

Result<std::uint64_t, std::string> IpsecStack::initiate(int ike_version, std::string_view peer_name,
                                                        const Endpoint& local, TimePoint now,
                                                        IpsecOutput& out) {
  ipsec::ike::Engine* engine = engine_mut(ike_version);
  if (engine == nullptr)
    return Err("no IKEv" + std::to_string(ike_version) + " engine runs on these ports");
  auto handle = engine->initiate(peer_name, local, now, actions_);
  apply(*engine, out);
  return handle;
}

TimePoint IpsecStack::next_deadline() const {
  TimePoint t = TimePoint::max();
  for (const auto& e : engines_) t = std::min(t, e->next_deadline());
  return t;
}

std::uint64_t IpsecStack::policy_dropped(int ike_version) const {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < engines_.size(); ++i)
    if (engines_[i]->version() == ike_version) n += retired_policy_dropped_[i];
  for (const auto* e : sad_.entries())
    if (e->ike_version == ike_version) n += e->policy_dropped;
  return n;
}

void IpsecStack::on_ike_message(ByteView message, const Endpoint& local, const Endpoint& from,
                                TimePoint now, IpsecOutput& out) {
  ipsec::ike::Engine* engine = engine_for(message);
  if (engine == nullptr) {
    ++stats_.unknown_version;
    return;
  }
  engine->on_datagram(message, local, from, now, actions_);
  apply(*engine, out);
}

void IpsecStack::on_datagram(Packet& datagram, const Endpoint& local, TimePoint now,
                             IpsecOutput& out) {
  const ByteView bytes = datagram.bytes();
  if (local.port != kNatTraversalPort) {
    on_ike_message(bytes, local, datagram.endpoint, now, out);
    return;
  }
  switch (ipsec::esp::classify_udp_payload(bytes)) {
    case ipsec::esp::UdpPayload::kKeepalive:
      ++stats_.keepalives;
      return;
    case ipsec::esp::UdpPayload::kIke:
      on_ike_message(ipsec::esp::ike_message(bytes), local, datagram.endpoint, now, out);
      return;
    case ipsec::esp::UdpPayload::kEsp:
      on_esp(datagram, now, out);
      return;
    case ipsec::esp::UdpPayload::kInvalid:
      ++stats_.invalid;
      return;
  }
}

void IpsecStack::on_raw_esp(Packet& packet, TimePoint now, IpsecOutput& out) {
  on_esp(packet, now, out);
}

void IpsecStack::on_esp(Packet& datagram, TimePoint now, IpsecOutput& out) {
  const auto opened = sad_.open(datagram);
  if (!opened) {
    ++stats_.esp_dropped;
    return;
  }
  ipsec::SaEntry& sa = *opened->sa;
  if (ipsec::ike::Engine* engine = engine_mut(sa.ike_version))
    engine->note_inbound_esp(sa.inbound.spi(), now);
  if (opened->next_header == ipsec::esp::kNextDummy) return;
  const ByteView payload = datagram.bytes();
  if (sa.mode == EspMode::kTunnel) {
    ++stats_.esp_delivered;
    out.tunnel.push_back(payload);
    return;
  }
  // Transport mode: the policy let through only the negotiated protocol, UDP for L2TP/IPsec.
  if (opened->next_header != 17 || payload.size() < kUdpHeaderSize) {
    ++stats_.transport_malformed;
    return;
  }
  const std::size_t udp_length = load_be16(payload.data() + 4);
  if (udp_length < kUdpHeaderSize || udp_length > payload.size()) {
    ++stats_.transport_malformed;
    return;
  }
  ++stats_.esp_delivered;
  out.transport.push_back({payload.subspan(kUdpHeaderSize, udp_length - kUdpHeaderSize), sa.peer,
                           load_be16(payload.data()), load_be16(payload.data() + 2)});
}

void IpsecStack::on_timer(TimePoint now, IpsecOutput& out) {
  for (auto& engine : engines_) {
    if (engine->next_deadline() > now) continue;
    engine->on_timer(now, actions_);
    apply(*engine, out);
  }
}

void IpsecStack::close_all(TimePoint now, IpsecOutput& out, int ike_version) {
  for (auto& engine : engines_) {
    if (ike_version != 0 && engine->version() != ike_version) continue;
    for (const auto& s : engine->summaries()) engine->close(s.handle, now, actions_);
    apply(*engine, out);
  }
}

bool IpsecStack::set_login_gate(int ike_version, ipsec::ike::LoginGate* gate) {
  ipsec::ike::Engine* engine = engine_mut(ike_version);
  if (engine == nullptr) return false;
  engine->set_login_gate(gate);
  return true;
}

bool IpsecStack::replace_peers(int ike_version, const ipsec::ike::v2::Config& config, TimePoint now,
                               IpsecOutput& out) {
  ipsec::ike::Engine* engine = engine_mut(ike_version);
  if (engine == nullptr || !engine->replace_peers(config, now, actions_)) return false;
  apply(*engine, out);
  return true;
}

bool IpsecStack::seal_transport(Packet& packet, const Endpoint& to, std::uint16_t source_port,
                                std::uint16_t destination_port, TimePoint now, IpsecOutput& out) {
  ipsec::SaEntry* sa = sad_.transport_for(to);
  if (sa == nullptr || packet.headroom() < kHeadroom) {
    ++stats_.no_sa;
    return false;
  }
  const std::size_t udp_length = packet.length + kUdpHeaderSize;
  if (udp_length > 0xffff) return false;
  packet.set_range(packet.offset - kUdpHeaderSize, udp_length);
  std::byte* udp = packet.bytes().data();
  store_be16(udp, source_port);
  store_be16(udp + 2, destination_port);
  store_be16(udp + 4, static_cast<std::uint16_t>(udp_length));
  store_be16(udp + 6, 0);
  return seal(*sa, packet, 17, now, out);
}

bool IpsecStack::seal_tunnel(Packet& packet, TimePoint now, IpsecOutput& out) {
  const auto flow = ipsec::flow_of_ip_packet(packet.bytes());
  ipsec::SaEntry* sa = flow ? sad_.tunnel_for(*flow) : nullptr;
  if (sa == nullptr) {
    ++stats_.no_sa;
    return false;
  }
  const std::uint8_t next = flow->source.is_v4() ? ipsec::esp::kNextIpv4 : ipsec::esp::kNextIpv6;
  return seal(*sa, packet, next, now, out);
}

std::optional<IpAddress> IpsecStack::tunnel_peer(ByteView inner) {
  const auto flow = ipsec::flow_of_ip_packet(inner);
  const ipsec::SaEntry* sa = flow ? sad_.tunnel_for(*flow) : nullptr;
  if (sa == nullptr) return std::nullopt;
  return sa->peer.address;
}

bool IpsecStack::seal(ipsec::SaEntry& sa, Packet& packet, std::uint8_t next_header, TimePoint now,
                      IpsecOutput& out) {
  const auto sealed = sad_.seal(sa, packet, next_header, *rng_);
  if (!sealed) return false;
  ++stats_.esp_sent;
  if (*sealed) {
    // The sequence numbers are nearly spent: replace the SA while it still works.
    if (ipsec::ike::Engine* engine = engine_mut(sa.ike_version)) {
      engine->rekey_child(sa.inbound.spi(), now, actions_);
      apply(*engine, out);
    }
  }
  return true;
}

void IpsecStack::apply(const ipsec::ike::Engine& engine, IpsecOutput& out) {
  const int version = engine.version();
  for (auto& d : actions_.datagrams) {
    IpsecDatagram o{d.local_port, d.to, {}};
    if (d.local_port == kNatTraversalPort && !d.keepalive) {
      o.bytes.reserve(ipsec::esp::kNonEspMarker.size() + d.bytes.size());
      o.bytes.assign(ipsec::esp::kNonEspMarker.begin(), ipsec::esp::kNonEspMarker.end());
      o.bytes.insert(o.bytes.end(), d.bytes.begin(), d.bytes.end());
    } else {
      o.bytes = std::move(d.bytes);
    }
    out.datagrams.push_back(std::move(o));
  }
  // Removals first: a rekey's new SA and the old one's removal can come in one batch, and an SPI
  // of a removed SA may in principle be reused.
  for (const auto& r : actions_.removals) {
    if (const auto* e = sad_.find(r.inbound_spi)) {
      out.children.push_back({false, r.inbound_spi, r.outbound_spi, e->mode, e->local, e->remote,
                              e->peer, e->suite, version});
      for (std::size_t i = 0; i < engines_.size(); ++i)
        if (engines_[i].get() == &engine) retired_policy_dropped_[i] += e->policy_dropped;
    }
    sad_.remove(r.inbound_spi);
  }
  for (const auto& c : actions_.installs) {
    auto installed = sad_.install(c);
    if (!installed) {
      out.errors.push_back("Child SA " + std::to_string(c.inbound_spi) + " with " +
                           c.peer.to_string() + " not installed: " + installed.error());
      continue;
    }
    (*installed)->ike_version = version;
    out.children.push_back(
        {true, c.inbound_spi, c.outbound_spi, c.mode, c.local, c.remote, c.peer, c.suite, version});
  }
  for (auto& e : actions_.events) out.events.push_back({version, std::move(e)});
  actions_.clear();
}

}  // namespace tandem::hybrid
