#include "ipsec/sa_database.hpp"

namespace tandem::ipsec {

const char* inbound_drop_name(InboundDrop d) {
  switch (d) {
    case InboundDrop::kMalformed:
      return "malformed";
    case InboundDrop::kUnknownSpi:
      return "unknown SPI";
    case InboundDrop::kReplay:
      return "replayed";
    case InboundDrop::kAuthentication:
      return "authentication failed";
    case InboundDrop::kPadding:
      return "bad padding";
    case InboundDrop::kPolicy:
      return "not the negotiated traffic";
  }
  return "?";
}

Result<SaEntry*, std::string> SaDatabase::install(const ike::ChildSa& child) {
  if (by_spi_.count(child.inbound_spi) != 0)
    return Err("inbound SPI " + std::to_string(child.inbound_spi) + " is already installed");
  auto inbound = esp::InboundSa::create(child.inbound_spi, child.inbound_keys);
  if (!inbound) return Err("inbound SA: " + inbound.error());
  auto outbound = esp::OutboundSa::create(child.outbound_spi, child.outbound_keys);
  if (!outbound) return Err("outbound SA: " + outbound.error());
  auto entry = std::unique_ptr<SaEntry>(new SaEntry{
      child.ike_sa, child.mode, child.local, child.remote, child.local_endpoint, child.peer,
      child.udp_encapsulated, child.suite, std::move(*inbound), std::move(*outbound)});
  SaEntry& e = *entry;
  by_spi_.emplace(child.inbound_spi, std::move(entry));
  take_over_outbound(e, child.replaces);
  return &e;
}

void SaDatabase::take_over_outbound(SaEntry& newer, std::optional<std::uint32_t> replaces) {
  if (replaces)
    if (auto* old = find(*replaces)) old->carries_outbound = false;
  if (newer.mode == ike::EspMode::kTransport) {
    auto [it, fresh] = transport_by_peer_.try_emplace(newer.peer, newer.inbound.spi());
    if (!fresh) {
      if (auto* old = find(it->second)) old->carries_outbound = false;
      it->second = newer.inbound.spi();
    }
    return;
  }
  // Tunnel mode: an older SA for exactly the same traffic stops carrying it.
  for (auto& [spi, e] : by_spi_)
    if (e.get() != &newer && e->mode == ike::EspMode::kTunnel && e->local == newer.local &&
        e->remote == newer.remote && e->peer.address == newer.peer.address)
      e->carries_outbound = false;
}

void SaDatabase::remove(std::uint32_t inbound_spi) {
  auto it = by_spi_.find(inbound_spi);
  if (it == by_spi_.end()) return;
  const SaEntry& gone = *it->second;
  if (gone.mode == ike::EspMode::kTransport) {
    auto peer = transport_by_peer_.find(gone.peer);
    if (peer != transport_by_peer_.end() && peer->second == inbound_spi) {
      transport_by_peer_.erase(peer);
      // Another SA to the same peer (an older one still alive) takes over.
      for (auto& [spi, e] : by_spi_)
        if (spi != inbound_spi && e->mode == ike::EspMode::kTransport && e->peer == gone.peer) {
          e->carries_outbound = true;
          transport_by_peer_[gone.peer] = spi;
          break;
        }
    }
  }
  by_spi_.erase(it);
}

SaEntry* SaDatabase::find(std::uint32_t inbound_spi) {
  auto it = by_spi_.find(inbound_spi);
  return it == by_spi_.end() ? nullptr : it->second.get();
}

Result<Opened, InboundDrop> SaDatabase::open(Packet& packet) {
  SaEntry* sa = find(esp::spi_of(packet.bytes()));
  if (sa == nullptr) {
    ++stats_.unknown_spi;
    return Err(InboundDrop::kUnknownSpi);
  }
  const auto next = sa->inbound.open(packet);
  if (!next) {
    switch (next.error()) {
      case esp::OpenError::kReplay:
        ++stats_.replayed;
        return Err(InboundDrop::kReplay);
      case esp::OpenError::kAuthentication:
        ++stats_.authentication_failed;
        return Err(InboundDrop::kAuthentication);
      case esp::OpenError::kPadding:
        ++stats_.malformed;
        return Err(InboundDrop::kPadding);
      case esp::OpenError::kMalformed:
      case esp::OpenError::kWrongSpi:
        break;
    }
    ++stats_.malformed;
    return Err(InboundDrop::kMalformed);
  }
  // Dummy packets (RFC 4303 2.6) authenticated and carry nothing: the caller ignores them.
  if (*next == esp::kNextDummy) return Opened{sa, *next};
  const bool allowed = sa->mode == ike::EspMode::kTransport
                           ? transport_inbound_allowed(sa->local, sa->remote, *next, packet.bytes())
                           : (*next == esp::kNextIpv4 || *next == esp::kNextIpv6) &&
                                 tunnel_inbound_allowed(sa->local, sa->remote, packet.bytes());
  if (!allowed) {
    ++stats_.policy_dropped;
    ++sa->policy_dropped;
    return Err(InboundDrop::kPolicy);
  }
  return Opened{sa, *next};
}

SaEntry* SaDatabase::transport_for(const Endpoint& peer) {
  if (auto it = transport_by_peer_.find(peer); it != transport_by_peer_.end())
    return find(it->second);
  // By address alone: the first endpoint at or after (address, 0) with that address.
  for (auto it = transport_by_peer_.lower_bound(Endpoint{peer.address, 0});
       it != transport_by_peer_.end() && it->first.address == peer.address; ++it)
    if (auto* sa = find(it->second)) return sa;
  return nullptr;
}

SaEntry* SaDatabase::tunnel_for(const FlowKey& flow) {
  // Site-to-site links have few SAs; a linear scan of them is cheaper than an index.
  for (auto& [spi, e] : by_spi_)
    if (e->mode == ike::EspMode::kTunnel && e->carries_outbound &&
        tunnel_outbound_matches(e->local, e->remote, flow))
      return e.get();
  return nullptr;
}

Result<bool, esp::SealError> SaDatabase::seal(SaEntry& sa, Packet& packet, std::uint8_t next_header,
                                              Rng& rng) {
  if (auto ok = sa.outbound.seal(packet, next_header, rng); !ok) {
    ++stats_.seal_failed;
    return Err(ok.error());
  }
  // Port 0 marks ESP that goes out unencapsulated, as IP protocol 50.
  packet.endpoint = sa.udp_encapsulated ? sa.peer : Endpoint{sa.peer.address, 0};
  ++sa.packets_out;
  sa.bytes_out += packet.length;
  if (sa.outbound.needs_rekey() && !sa.rekey_requested) {
    sa.rekey_requested = true;
    return true;
  }
  return false;
}

std::vector<const SaEntry*> SaDatabase::entries() const {
  std::vector<const SaEntry*> out;
  out.reserve(by_spi_.size());
  for (const auto& [spi, e] : by_spi_) out.push_back(e.get());
  return out;
}

}  // namespace tandem::ipsec
