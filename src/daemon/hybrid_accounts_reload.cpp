// A reload of a hybrid gateway's accounts (HybridInterface::reload_accounts). The new table is
// built and checked whole, remembering the leases of the running one, before anything changes;
// then the router reads it (each remaining account's paths renumbered, since ids follow the
// config's order), WireGuard gets the keys that came, went or changed, and the site routes follow.
// The same machinery gives an account the address a login backend chose for it
// (HybridInterface::assign_address): the table is rebuilt with that address held for it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iterator>
#include <map>

#include "daemon/event_sink.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/wireguard_setup.hpp"
#include "io/netlink.hpp"

namespace tandem::daemon {
namespace {

// What the WireGuard path holds for one account key.
struct AccountKey {
  std::optional<crypto::Key32> preshared_key;
  std::vector<IpPrefix> allowed_ips;
  std::string name;
  bool operator==(const AccountKey&) const = default;
};

// Every enabled account's keys, as configure_wireguard() applies them at start-up.
std::map<crypto::PublicKey, AccountKey> account_keys(
    const hybrid::AccountTable& table, const std::vector<control::AccountConfig>& configured) {
  std::map<crypto::PublicKey, AccountKey> keys;
  for (const auto& account : table.accounts()) {
    if (account.disabled) continue;
    for (const auto& key : account.wireguard_keys)
      keys[key] = {configured[account.id - 1].preshared_key, account.prefixes(), account.name};
  }
  return keys;
}

// The keys to remove, add or update so that WireGuard goes from `before` to `after`; a key whose
// settings stay is left alone, so its sessions go on.
control::UapiSet key_changes(const std::map<crypto::PublicKey, AccountKey>& before,
                             const std::map<crypto::PublicKey, AccountKey>& after) {
  control::UapiSet set;
  for (const auto& [key, settings] : before)
    if (!after.contains(key)) {
      control::UapiPeerSet ps;
      ps.public_key = key;
      ps.remove = true;
      set.peers.push_back(ps);
    }
  for (const auto& [key, settings] : after) {
    const auto old = before.find(key);
    if (old != before.end() && old->second == settings) continue;
    control::UapiPeerSet ps;
    ps.public_key = key;
    ps.preshared_key = settings.preshared_key.value_or(crypto::Key32{});  // zero: none
    ps.replace_allowed_ips = true;
    ps.allowed_ips = settings.allowed_ips;
    set.peers.push_back(std::move(ps));
  }
  return set;
}

std::vector<IpPrefix> site_subnets(const hybrid::AccountTable& table) {
  std::vector<IpPrefix> subnets;
  for (const auto& account : table.accounts())
    subnets.insert(subnets.end(), account.subnets.begin(), account.subnets.end());
  std::sort(subnets.begin(), subnets.end());
  subnets.erase(std::unique(subnets.begin(), subnets.end()), subnets.end());
  return subnets;
}

std::string addresses_text(const hybrid::Account& a) {
  std::string text = a.ipv4 ? a.ipv4->to_string() : "";
  if (a.ipv6) text += (text.empty() ? "" : ", ") + a.ipv6->to_string();
  return text.empty() ? "none" : text;
}

}  // namespace

Result<Ok, std::string> HybridInterface::reload_accounts(const control::NodeConfig& next,
                                                         LiveSessions live) {
  return replace_accounts(next, live, {});
}

Result<Ok, std::string> HybridInterface::assign_address(std::string_view name,
                                                        const IpAddress& address) {
  if (!gateway()) return HybridLink::assign_address(name, address);
  const hybrid::Account* account = accounts_.by_name(name);
  if (!account) return Err(std::string("no account has this name"));
  if (account->ipv4 == address) return Ok{};
  const control::AccountConfig& configured = config_.accounts[account->id - 1];
  if (!address.is_v4()) return Err(address.to_string() + " is no IPv4 address");
  if (configured.ipv4 && !configured.ipv4_leased)
    return Err("account " + account->name + "'s address is fixed at " +
               configured.ipv4->to_string() +
               " (remove it from the account to let the backend "
               "choose)");
  const auto& own = config_.interface->addresses;
  if (std::any_of(own.begin(), own.end(),
                  [&](const InterfaceAddress& a) { return a.address == address; }))
    return Err(address.to_string() + " is the gateway's own address");
  if (std::none_of(own.begin(), own.end(), [&](const InterfaceAddress& a) {
        return IpPrefix(a.address, a.prefix_length).contains(address);
      }))
    return Err(address.to_string() + " is outside the gateway's [interface] subnets");
  if (const auto holder = accounts_.owner_of(address); holder && *holder != account->id)
    return Err(address.to_string() + " is account " + accounts_.find(*holder)->name + "'s address");
  const std::string account_name = account->name;
  const std::optional<IpAddress> before = account->ipv4;
  const auto previous = assigned_.find(account_name);
  const std::optional<IpAddress> previously =
      previous == assigned_.end() ? std::nullopt : std::optional(previous->second);
  assigned_[account_name] = address;
  const control::NodeConfig same = config_;
  if (auto applied = replace_accounts(same, LiveSessions::kRefuse, account_name); !applied) {
    if (previously)
      assigned_[account_name] = *previously;
    else
      assigned_.erase(account_name);
    return Err(applied.error());
  }
  const std::string was = before ? before->to_string() : "none";
  spdlog::warn(
      "account {}: its IPv4 address is now {} (was {}), as its login backend said; its WireGuard "
      "keys and IKEv2 login carry it too",
      account_name, address.to_string(), was);
  events().emit("account.address_assigned",
                {{"account", account_name}, {"address", address.to_string()}, {"was", was}});
  return Ok{};
}

Result<Ok, std::string> HybridInterface::replace_accounts(const control::NodeConfig& next,
                                                          LiveSessions live,
                                                          std::string_view readdressed) {
  if (!gateway()) return Err(std::string("only a gateway's accounts change live"));
  auto table = account_table(next, accounts_.leases(), assigned_);
  if (!table) return Err("accounts: " + table.error());
  std::map<hybrid::AccountId, hybrid::AccountId> renumbered;  // old id -> new id
  struct HangUp {
    hybrid::PathKind kind;
    hybrid::Account account;
    const char* why;
  };
  std::vector<HangUp> hang_ups;  // live sessions of accounts going away: ended first
  {
    std::lock_guard lock(mutex_);
    for (const auto& old : accounts_.accounts()) {
      const hybrid::Account* now = table->by_name(old.name);
      if (now && old.name != readdressed && (now->ipv4 != old.ipv4 || now->ipv6 != old.ipv6))
        return Err("[[account]] " + old.name + ": its address would change (" +
                   addresses_text(old) + " -> " + addresses_text(*now) +
                   "), and its clients keep the one they were given; restart to apply it");
      const auto paths = router_->paths_of(old.id);
      const auto session = std::find_if(paths.begin(), paths.end(), [](hybrid::PathId p) {
        return kind_of(p) != hybrid::PathKind::kWireguard;
      });
      if (session != paths.end() && (!now || now->disabled))
        hang_ups.push_back({kind_of(*session), old, now ? "disabled" : "removed"});
      if (now) renumbered[old.id] = now->id;
    }
  }
  if (!hang_ups.empty() && live == LiveSessions::kRefuse) {
    const HangUp& h = hang_ups.front();
    return Err("[[account]] " + h.account.name + " has a live " +
               (h.kind == hybrid::PathKind::kL2tpIpsec ? "L2TP/IPsec" : "IKEv2") +
               " session; it can be " + h.why + " live once the session has ended");
  }
  // The IKEv2 logins change at once: the road warriors of accounts that went, were disabled or
  // whose login changed are told their IKE SA is deleted and refused from now on.
  bool ikev2_replaced = false;
  if (config_.ipsec && next.ipsec) {
    auto logins = road_warrior_config(next, *table);
    if (road_warrior_config(config_, accounts_).connections != logins.connections) {
      ControlSlot* slot = control_slot(hybrid::PathKind::kIpsecTunnel);
      if (!slot || !slot->path || !slot->path->replace_connections(logins))
        return Err(
            std::string("the accounts' IKEv2 logins (ike_id, ike_psk, addresses, subnets, "
                        "disabled) would change; restart to apply them"));
      ikev2_replaced = true;
    }
  }
  if (!hang_ups.empty()) {
    // The account's sessions end first; the change applies once they are gone (the caller tries
    // again: a store within a second, a reload when asked again).
    std::string names;
    for (const auto& h : hang_ups) {
      const char* protocol = h.kind == hybrid::PathKind::kL2tpIpsec ? "L2TP/IPsec" : "IKEv2";
      ControlSlot* slot = control_slot(h.kind);
      const bool ending =
          h.kind == hybrid::PathKind::kIpsecTunnel
              ? ikev2_replaced
              : slot && slot->path && h.account.ipv4 &&
                    slot->path->hang_up(*h.account.ipv4, std::string("account ") + h.why);
      if (ending) {
        spdlog::info("account {} {}: hanging up its {} session", h.account.name, h.why, protocol);
        events().emit("session.hung_up",
                      {{"account", h.account.name}, {"protocol", protocol}, {"reason", h.why}});
      }
      names += (names.empty() ? "" : "; ") + std::string("[[account]] ") + h.account.name +
               " has a live " + protocol + " session" +
               (ending ? ", being hung up"
                       : "; it can be " + std::string(h.why) + " live once the session has ended");
    }
    return Err(names);
  }
  auto nl = io::Netlink::open();  // before any change: a failure here leaves everything as it was
  if (!nl) return Err(nl.error());
  auto keys =
      key_changes(account_keys(accounts_, config_.accounts), account_keys(*table, next.accounts));
  // A key added beside one that holds the account's addresses (a rotation) waits for its first
  // handshake to take them: giving them now would cut the client off its current key.
  for (auto& ps : keys.peers) {
    if (ps.remove) continue;
    const hybrid::Account* account = table->by_wireguard_key(ps.public_key);
    if (!account || account->wireguard_keys.size() < 2 || ps.allowed_ips.empty()) continue;
    const auto holder = wg_->key_for(ps.allowed_ips.front().address());
    const auto& all = account->wireguard_keys;
    if (holder && *holder != ps.public_key &&
        std::find(all.begin(), all.end(), *holder) != all.end())
      ps.allowed_ips.clear();
  }
  const auto subnets_before = site_subnets(accounts_);
  const auto subnets_after = site_subnets(*table);
  {
    std::lock_guard lock(mutex_);
    // What clients said they hold WireGuard to (note_client_hold) goes with the accounts that
    // go and with those whose keys are set again here (their peers start afresh), so that the
    // next probe of such a client is applied again.
    std::erase_if(client_holds_, [&](const auto& hold) {
      const auto owner = table->owner_of(hold.first);
      if (!owner) return true;
      const std::string& name = table->find(*owner)->name;
      return std::any_of(keys.peers.begin(), keys.peers.end(), [&](const control::UapiPeerSet& p) {
        const hybrid::Account* a = (p.remove ? accounts_ : *table).by_wireguard_key(p.public_key);
        return a && a->name == name;
      });
    });
    accounts_ = std::move(*table);
    config_.accounts = next.accounts;
    // An assigned address goes with its account, and gives way to one fixed for it since.
    std::erase_if(assigned_, [&](const auto& given) {
      const hybrid::Account* a = accounts_.by_name(given.first);
      return !a || a->ipv4 != given.second;
    });
    router_->rebind(accounts_,
                    [&](hybrid::PathId path) -> std::optional<hybrid::GatewayRouter::PathMove> {
                      const auto account = renumbered.find(account_in(path));
                      if (account == renumbered.end()) return std::nullopt;
                      return hybrid::GatewayRouter::PathMove{
                          path_id(account->second, kind_of(path)), account->second};
                    });
  }
  for (const auto& p : keys.peers)
    if (!p.remove) wg_->set_peer_name(p.public_key, accounts_.by_wireguard_key(p.public_key)->name);
  if (int err = wg_->apply(keys); err != 0)
    spdlog::error("reload: WireGuard refused the accounts' keys (errno {})", err);
  for (const auto& p : keys.peers)
    if (p.remove) {
      wg_->set_key_group(p.public_key, 0, false);
      (void)wg_->set_mtu_probe_target(p.public_key, std::nullopt);
    }
  settle_key_holders();
  set_account_probe_targets();
  std::vector<IpPrefix> routes_removed, routes_added;
  std::set_difference(subnets_before.begin(), subnets_before.end(), subnets_after.begin(),
                      subnets_after.end(), std::back_inserter(routes_removed));
  std::set_difference(subnets_after.begin(), subnets_after.end(), subnets_before.begin(),
                      subnets_before.end(), std::back_inserter(routes_added));
  change_routes(*nl, tun_.index(), routes_removed, routes_added);
  return Ok{};
}

}  // namespace tandem::daemon
