// RFC 5072 section 4.1.
#include "ppp/ipv6cp.hpp"

namespace tandem::ppp {

std::uint64_t Ipv6cpNegotiator::fresh() {
  std::uint64_t v = 0;
  while (v == 0 || v == ours_) v = rng_->next_u64();
  return v;
}

void Ipv6cpNegotiator::reset() {
  ours_ = 0;
  ours_ = fresh();
  peers_ = 0;
}

std::vector<std::byte> Ipv6cpNegotiator::request() {
  std::vector<std::byte> out;
  std::byte v[8];
  store_be64(v, ours_);
  append_option(out, kIpv6cpInterfaceIdentifier, v);
  return out;
}

Negotiator::Verdict Ipv6cpNegotiator::check(const std::vector<Option>& options,
                                            std::vector<std::byte>& reply) {
  std::vector<std::byte> nak, reject;
  std::uint64_t peer = 0;
  for (const auto& o : options) {
    if (o.type != kIpv6cpInterfaceIdentifier || o.value.size() != 8) {
      append_option(reject, o.type, o.value);
      continue;
    }
    peer = load_be64(o.value.data());
    if (peer == 0 || peer == ours_) {
      std::byte v[8];
      store_be64(v, fresh());
      append_option(nak, o.type, v);
    }
  }
  if (const auto v = settle_verdict(nak, reject, reply); v != Verdict::kAck) return v;
  peers_ = peer;
  return Verdict::kAck;
}

void Ipv6cpNegotiator::naked(const std::vector<Option>& options) {
  for (const auto& o : options)
    if (o.type == kIpv6cpInterfaceIdentifier && o.value.size() == 8)
      ours_ = load_be64(o.value.data());
}

}  // namespace tandem::ppp
