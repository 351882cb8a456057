// The gateway's router: attachments of paths to accounts, the return path each account's traffic
// leaves on, and the per-packet checks of both directions (header, source ownership, probes).
#include "hybrid/gateway_router.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "hybrid/probe.hpp"
#include "packet/ip_packet.hpp"
#include "packet/transport_facts.hpp"

namespace tandem::hybrid {
namespace {

std::optional<AccountId> owner_of(const AccountTable& accounts, const std::byte* address,
                                  IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? accounts.owner_of_v4(address)
                                          : accounts.owner_of_v6(address);
}

}  // namespace

std::size_t GatewayRouter::FlowHash::operator()(const FlowId& f) const {
  // FNV-1a over the fields; flows come from authenticated peers, so no one steers the buckets
  // without first holding an account.
  std::uint64_t h = 0xcbf29ce484222325ULL;
  const auto mix = [&](std::uint8_t b) { h = (h ^ b) * 0x100000001b3ULL; };
  for (std::size_t i = 0; i < 16; ++i) {
    mix(std::to_integer<std::uint8_t>(f.source[i]));
    mix(std::to_integer<std::uint8_t>(f.destination[i]));
  }
  mix(static_cast<std::uint8_t>(f.source_port >> 8));
  mix(static_cast<std::uint8_t>(f.source_port));
  mix(static_cast<std::uint8_t>(f.destination_port >> 8));
  mix(static_cast<std::uint8_t>(f.destination_port));
  mix(f.protocol);
  mix(f.family);
  return static_cast<std::size_t>(h);
}

GatewayRouter::FlowId GatewayRouter::flow_of(ByteView packet, const packet::IpHeaderView& header,
                                             bool reversed) {
  const packet::TransportFacts t = packet::transport_facts(packet, header);
  FlowId f;
  const std::size_t size = header.address_size();
  std::memcpy(f.source.data(), reversed ? header.destination : header.source, size);
  std::memcpy(f.destination.data(), reversed ? header.source : header.destination, size);
  f.source_port = reversed ? t.destination_port : t.source_port;
  f.destination_port = reversed ? t.source_port : t.destination_port;
  f.protocol = t.protocol;
  f.family = header.family == IpAddress::Family::kV4 ? 4 : 6;
  return f;
}

GatewayRouter::GatewayRouter(const AccountTable& accounts, std::vector<IpAddress> own_addresses)
    : accounts_(&accounts), own_addresses_(std::move(own_addresses)) {}

bool GatewayRouter::attach(PathId path, AccountId account, TimePoint now) {
  const Account* found = accounts_->find(account);
  if (found == nullptr || found->disabled || path == kNoPath) return false;
  if (const auto it = attachments_.find(path); it != attachments_.end()) {
    if (it->second.account == account) return true;
    detach(path);  // the path authenticated as someone else (a reused session id)
  }
  // Authenticating is itself a packet that arrived on the path, so it counts as its latest use
  // until data follows: a path that just came up is a better standby than one long silent.
  attachments_.emplace(path, Attachment{account, now});
  AccountPaths& paths = by_account_[account];
  paths.paths.push_back(path);
  if (paths.current == kNoPath) paths.current = path;
  return true;
}

void GatewayRouter::detach(PathId path) {
  const auto it = attachments_.find(path);
  if (it == attachments_.end()) return;
  const AccountId account = it->second.account;
  attachments_.erase(it);
  const auto entry = by_account_.find(account);
  AccountPaths& paths = entry->second;
  std::erase(paths.paths, path);
  if (paths.paths.empty()) {
    by_account_.erase(entry);
    return;
  }
  if (paths.current != path) return;
  // Paths are kept in attach order, so on equal last use the later one (attached more recently)
  // wins by scanning with >=.
  PathId best = kNoPath;
  TimePoint best_use{};
  for (const PathId candidate : paths.paths) {
    const TimePoint use = attachments_.at(candidate).last_inbound;
    if (best == kNoPath || use >= best_use) {
      best = candidate;
      best_use = use;
    }
  }
  paths.current = best;
  ++stats_.path_moves;
  ++paths.moves;
}

void GatewayRouter::rebind(const AccountTable& accounts,
                           const std::function<std::optional<PathMove>(PathId)>& moved) {
  const auto old_attachments = std::move(attachments_);
  const auto old_by_account = std::move(by_account_);
  attachments_.clear();
  by_account_.clear();
  flows_.clear();  // path ids change; flows are learnt again from the next packets
  accounts_ = &accounts;
  for (const auto& entry : old_by_account) {
    // Attached again return path first (the first attached is the return path), then the
    // standbys by latest use, so that a later detach hands over as it would have. (Not a
    // structured binding: clang 14 cannot capture one in the lambda.)
    const auto& paths = entry.second;
    std::vector<PathId> order = paths.paths;
    std::stable_sort(order.begin(), order.end(), [&](PathId a, PathId b) {
      if ((a == paths.current) != (b == paths.current)) return a == paths.current;
      return old_attachments.at(a).last_inbound > old_attachments.at(b).last_inbound;
    });
    for (const PathId path : order)
      if (const auto to = moved(path))
        attach(to->path, to->account, old_attachments.at(path).last_inbound);
  }
}

InboundVerdict GatewayRouter::on_inbound(PathId path, ByteView packet, TimePoint now) {
  const auto it = attachments_.find(path);
  if (it == attachments_.end()) {
    ++stats_.unknown_path;
    return InboundVerdict::kUnknownPath;
  }
  Attachment& attachment = it->second;
  const auto header = packet::parse_ip_header(packet);
  if (!header) {
    ++stats_.malformed;
    return InboundVerdict::kMalformed;
  }
  if (owner_of(*accounts_, header->source, header->family) != attachment.account) {
    ++stats_.spoofed;
    return InboundVerdict::kSpoofed;
  }
  // A probe counts as use too: it proves the path carries packets, which is what choosing a
  // successor on detach needs to know.
  attachment.last_inbound = now;
  // Checking the destination first keeps probe parsing off the path of ordinary traffic.
  if (is_own_address(header->destination, header->address_size())) {
    const auto probe = parse_probe(packet.first(header->total_length));
    if (probe && probe->message.type == ProbeType::kRequest) {
      ++stats_.probes;
      return InboundVerdict::kProbe;
    }
  }
  ++stats_.delivered;
  AccountPaths& paths = by_account_.find(attachment.account)->second;
  if (paths.paths.size() > 1) {
    if (flows_.size() >= kMaxFlows) flows_.clear();  // start over rather than grow
    flows_[flow_of(packet, *header, false)] = path;
  }
  if (paths.current != path) {
    paths.current = path;
    ++stats_.path_moves;
    ++paths.moves;
  }
  return InboundVerdict::kDeliver;
}

RouteDecision GatewayRouter::route(ByteView packet) const {
  const auto drop = [](RouteDrop reason, std::uint64_t& counter) {
    ++counter;
    return RouteDecision{std::nullopt, reason};
  };
  const auto header = packet::parse_ip_header(packet);
  if (!header) return drop(RouteDrop::kMalformed, stats_.malformed);
  const auto account = owner_of(*accounts_, header->destination, header->family);
  if (!account) return drop(RouteDrop::kNoAccount, stats_.no_account);
  if (accounts_->find(*account)->disabled) return drop(RouteDrop::kDisabled, stats_.disabled);
  const auto it = by_account_.find(*account);
  if (it == by_account_.end() || it->second.current == kNoPath)
    return drop(RouteDrop::kNoLivePath, stats_.no_live_path);
  ++stats_.routed;
  if (it->second.paths.size() > 1 && !flows_.empty()) {
    // A reply to a flow goes back the way the flow came, while that path is still the account's.
    const auto flow = flows_.find(flow_of(packet, *header, true));
    if (flow != flows_.end() && flow->second != it->second.current) {
      const auto a = attachments_.find(flow->second);
      if (a != attachments_.end() && a->second.account == *account) {
        ++stats_.flow_routed;
        return RouteDecision{flow->second, RouteDrop::kNoAccount};
      }
    }
  }
  return RouteDecision{it->second.current, RouteDrop::kNoAccount};
}

std::optional<AccountId> GatewayRouter::account_of(PathId path) const {
  const auto it = attachments_.find(path);
  if (it == attachments_.end()) return std::nullopt;
  return it->second.account;
}

std::optional<PathId> GatewayRouter::return_path(AccountId account) const {
  const auto it = by_account_.find(account);
  if (it == by_account_.end() || it->second.current == kNoPath) return std::nullopt;
  return it->second.current;
}

std::uint64_t GatewayRouter::path_moves_of(AccountId account) const {
  const auto it = by_account_.find(account);
  return it == by_account_.end() ? 0 : it->second.moves;
}

std::vector<PathId> GatewayRouter::paths_of(AccountId account) const {
  const auto it = by_account_.find(account);
  if (it == by_account_.end()) return {};
  std::vector<PathId> out;
  out.reserve(it->second.paths.size());
  if (it->second.current != kNoPath) out.push_back(it->second.current);
  for (const PathId path : it->second.paths)
    if (path != it->second.current) out.push_back(path);
  return out;
}

bool GatewayRouter::is_own_address(const std::byte* address, std::size_t size) const {
  return std::any_of(own_addresses_.begin(), own_addresses_.end(), [&](const IpAddress& own) {
    return own.size() == size && std::memcmp(own.data(), address, size) == 0;
  });
}

}  // namespace tandem::hybrid
