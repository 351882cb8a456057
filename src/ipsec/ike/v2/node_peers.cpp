// The peers a running node takes in place of its configured ones (a hybrid gateway's accounts
// changed: one revoked, disabled, removed, added or given another key). An IKE SA refers to its
// peer by index, so every IKE SA is pointed at its peer's new place; one whose peer is gone or
// changed is closed with an INFORMATIONAL Delete (RFC 7296 1.4.1), keeping a retired copy of the
// settings it was made with until it is gone, and the identity is refused from then on.
#include <map>

#include "ipsec/ike/v2/node.hpp"

namespace tandem::ipsec::ike::v2 {

std::optional<std::size_t> Node::live_peer(
    const std::function<bool(const PeerConfig&)>& match) const {
  for (std::size_t i = 0; i < config_.peers.size(); ++i)
    if (!config_.peers[i].retired && match(config_.peers[i])) return i;
  return std::nullopt;
}

void Node::replace_peers(std::vector<PeerConfig> peers, TimePoint now, Actions& out) {
  std::vector<PeerConfig> old = std::exchange(config_.peers, std::move(peers));
  std::map<std::size_t, std::size_t> retired;  // old index -> its retired copy's new index
  std::vector<IkeSa*> closing;
  for (auto& [id, owned] : sas_) {
    IkeSa& sa = *owned;
    if (!sa.peer) continue;  // a responder learns its peer at IKE_AUTH, from the new list
    const PeerConfig& was = old[*sa.peer];
    if (!was.retired && !sa.dead) {
      const auto kept = live_peer([&](const PeerConfig& p) { return p.name == was.name; });
      if (kept && config_.peers[*kept] == was) {
        sa.peer = *kept;
        continue;
      }
      closing.push_back(&sa);
    }
    const auto [copy, fresh] = retired.try_emplace(*sa.peer, config_.peers.size());
    if (fresh) {
      config_.peers.push_back(was);
      config_.peers.back().retired = true;
    }
    sa.peer = copy->second;
  }
  for (IkeSa* sa : closing) close_sa(*sa, now, out);
  reap();
}

}  // namespace tandem::ipsec::ike::v2
