// RFC 1332 section 3.3 (IP-Address) and RFC 1877 (Primary/Secondary DNS).
#include "ppp/ipcp.hpp"

namespace tandem::ppp {
namespace {

constexpr auto kAddress = static_cast<std::uint8_t>(IpcpOption::kIpAddress);
constexpr std::uint8_t kDns[2] = {static_cast<std::uint8_t>(IpcpOption::kPrimaryDns),
                                  static_cast<std::uint8_t>(IpcpOption::kSecondaryDns)};

std::uint32_t value_of(const std::optional<IpAddress>& a) {
  return a ? a->v4_u32() : 0;
}

}  // namespace

void IpcpNegotiator::reset() {
  ours_ = value_of(settings_.local_address);
  peers_ = 0;
  dns_ = {};
  ask_dns_ = {settings_.request_dns, settings_.request_dns};
}

std::vector<std::byte> IpcpNegotiator::request() {
  std::vector<std::byte> out;
  append_option_u32(out, kAddress, ours_);
  for (int i = 0; i < 2; ++i)
    if (ask_dns_[static_cast<std::size_t>(i)])
      append_option_u32(out, kDns[i], dns_[static_cast<std::size_t>(i)]);
  return out;
}

Negotiator::Verdict IpcpNegotiator::check(const std::vector<Option>& options,
                                          std::vector<std::byte>& reply) {
  std::vector<std::byte> nak, reject;
  const std::optional<IpAddress> offered_dns[2] = {settings_.primary_dns, settings_.secondary_dns};
  std::uint32_t peer = 0;
  for (const auto& o : options) {
    if (o.value.size() != 4) {
      append_option(reject, o.type, o.value);
      continue;
    }
    const std::uint32_t v = load_be32(o.value.data());
    if (o.type == kAddress) {
      const std::uint32_t assigned = value_of(settings_.peer_address);
      if (assigned != 0 && v != assigned) {
        append_option_u32(nak, o.type, assigned);  // the gateway decides the client's address
      } else if (assigned == 0 && v == 0) {
        append_option(reject, o.type, o.value);  // a client has nothing to give a peer
      }
      peer = v;
    } else if (o.type == kDns[0] || o.type == kDns[1]) {
      const int i = o.type == kDns[0] ? 0 : 1;
      if (!offered_dns[i]) {
        append_option(reject, o.type, o.value);
      } else if (v != offered_dns[i]->v4_u32()) {
        append_option_u32(nak, o.type, offered_dns[i]->v4_u32());
      }
    } else {
      // IP-Compression-Protocol, NBNS and the deprecated IP-Addresses: not supported.
      append_option(reject, o.type, o.value);
    }
  }
  if (const auto v = settle_verdict(nak, reject, reply); v != Verdict::kAck) return v;
  peers_ = peer;
  return Verdict::kAck;
}

void IpcpNegotiator::acked(const std::vector<Option>& options) {
  for (const auto& o : options) {
    if (o.value.size() != 4) continue;
    if (o.type == kAddress) ours_ = load_be32(o.value.data());
  }
}

void IpcpNegotiator::naked(const std::vector<Option>& options) {
  for (const auto& o : options) {
    if (o.value.size() != 4) continue;
    const std::uint32_t v = load_be32(o.value.data());
    if (o.type == kAddress) ours_ = v;
    if (o.type == kDns[0]) dns_[0] = v;
    if (o.type == kDns[1]) dns_[1] = v;
  }
}

void IpcpNegotiator::rejected(const std::vector<Option>& options) {
  for (const auto& o : options) {
    if (o.type == kDns[0]) ask_dns_[0] = false;
    if (o.type == kDns[1]) ask_dns_[1] = false;
  }
}

}  // namespace tandem::ppp
