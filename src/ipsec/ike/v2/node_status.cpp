// What a node can tell about itself for tests, the status command and metrics: its IKE SAs with
// their state, peer, suite, NAT findings and Child SAs, and the names of drop reasons.
#include "ipsec/ike/v2/node.hpp"

namespace tandem::ipsec::ike::v2 {

const char* drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kUnknownSpi:
      return "unknown-spi";
    case DropReason::kUnexpectedResponse:
      return "unexpected-response";
    case DropReason::kBadMessageId:
      return "bad-message-id";
    case DropReason::kIntegrity:
      return "integrity";
    case DropReason::kNotAllowedNow:
      return "not-allowed-now";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

const char* auth_failure_name(AuthFailure reason) {
  switch (reason) {
    case AuthFailure::kUnknownIdentity:
      return "unknown_identity";
    case AuthFailure::kWrongKey:
      return "wrong_key";
    case AuthFailure::kSuiteNotAllowed:
      return "suite_not_allowed";
    case AuthFailure::kWrongResponderId:
      return "wrong_responder_id";
    case AuthFailure::kThrottled:
      return "throttled";
    case AuthFailure::kCount:
      break;
  }
  return "unknown";
}

std::optional<IkeSaInfo> Node::ike_sa(std::uint64_t id) const {
  const auto it = sas_.find(id);
  if (it == sas_.end() || it->second->dead) return std::nullopt;
  const IkeSa& sa = *it->second;
  IkeSaInfo info;
  info.id = sa.id;
  info.initiator = sa.initiator;
  info.state = sa.state;
  if (const PeerConfig* p = peer_of(sa)) info.peer = p->name;
  info.remote_id = sa.remote_id;
  info.local = sa.local;
  info.remote = sa.remote;
  if (sa.open_sk) info.suite = ike_suite_name(sa.suite);
  info.nat_local = sa.nat_local;
  info.nat_remote = sa.nat_remote;
  info.virtual_ip = sa.virtual_ip;
  info.virtual_ip6 = sa.virtual_ip6;
  info.dns_domains = sa.dns_domains;
  for (const Child& c : sa.children)
    info.children.push_back({c.inbound_spi, c.outbound_spi, c.mode, esp_suite_name(c.suite),
                             c.local, c.remote, c.replaced});
  return info;
}

std::vector<IkeSaInfo> Node::ike_sas() const {
  std::vector<IkeSaInfo> out;
  for (const auto& [id, sa] : sas_)
    if (auto info = ike_sa(id)) out.push_back(std::move(*info));
  return out;
}

}  // namespace tandem::ipsec::ike::v2
