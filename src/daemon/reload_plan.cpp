#include "daemon/reload_plan.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "daemon/node_startup.hpp"
#include "daemon/peer_event_log.hpp"

namespace tandem::daemon {
namespace {

std::string joined(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

// Collects the settings that differ between the running config and the new one.
class Differences {
 public:
  // A setting shown without its values (secrets, lists).
  template <class T>
  bool check(std::string_view setting, const T& running, const T& next) {
    if (running == next) return false;
    settings_.push_back(std::string(setting) + " changed");
    return true;
  }
  // A number or a name, shown as "(old -> new)".
  template <class T>
  void check_value(std::string_view setting, const T& running, const T& next) {
    if (running == next) return;
    std::ostringstream s;
    s << setting << " changed (" << running << " -> " << next << ")";
    settings_.push_back(s.str());
  }
  // A section present in one config only.
  template <class T>
  bool check_presence(std::string_view section, const std::optional<T>& running,
                      const std::optional<T>& next) {
    if (running.has_value() == next.has_value()) return false;
    settings_.push_back(std::string(section) + (next ? " section added" : " section removed"));
    return true;
  }
  void add(std::string setting) { settings_.push_back(std::move(setting)); }
  std::size_t count() const { return settings_.size(); }
  std::vector<std::string> take() { return std::move(settings_); }

 private:
  std::vector<std::string> settings_;
};

void compare_interface(const control::InterfaceConfig& a, const control::InterfaceConfig& b,
                       Differences& d) {
  d.check_value("[interface] name", a.name, b.name);
  d.check("[interface] private_key", a.private_key, b.private_key);
  d.check_value("[interface] listen_port", a.listen_port, b.listen_port);
  d.check("[interface] addresses", a.addresses, b.addresses);
  d.check_value("[interface] mtu", a.mtu, b.mtu);
  d.check_value("[interface] fwmark", a.fwmark, b.fwmark);
  d.check_value("[interface] mtu_probe_interval", a.mtu_probe_interval_s, b.mtu_probe_interval_s);
  d.check("[interface] table", std::tie(a.add_routes, a.route_table),
          std::tie(b.add_routes, b.route_table));
  // DNS and hooks belong to the interface's life: they take effect at the next start.
  d.check("[interface] dns", std::tie(a.dns, a.dns_search), std::tie(b.dns, b.dns_search));
  d.check("[interface] pre_up/post_up/pre_down/post_down", a.hooks, b.hooks);
}

// Field by field for the message; the whole-section comparison after it catches a setting this
// list does not name yet.
void compare_l2tp(const control::L2tpConfig& a, const control::L2tpConfig& b, Differences& d) {
  const std::size_t before = d.count();
  d.check("[l2tp] mode", a.role, b.role);
  d.check("[l2tp.ipsec]", a.ipsec, b.ipsec);
  d.check("[l2tp] allow_unencrypted", a.allow_unencrypted, b.allow_unencrypted);
  d.check_value("[l2tp] interface", a.interface, b.interface);
  d.check_value("[l2tp] mtu", a.mtu, b.mtu);
  d.check("[l2tp] host_name", a.host_name, b.host_name);
  d.check("[l2tp] tunnel_secret", a.tunnel_secret, b.tunnel_secret);
  d.check("[l2tp] hide_avps", a.hide_avps, b.hide_avps);
  d.check_value("[l2tp] hello_interval", a.hello_interval, b.hello_interval);
  d.check("[l2tp] auth", a.auth, b.auth);
  d.check_value("[l2tp] listen_port", a.listen_port, b.listen_port);
  d.check("[l2tp] address", a.address, b.address);
  d.check("[l2tp] pool", std::tie(a.pool_first, a.pool_last), std::tie(b.pool_first, b.pool_last));
  d.check("[l2tp] dns", a.dns, b.dns);
  d.check("[[l2tp.user]]", a.users, b.users);
  d.check("[login_throttle]", a.login_throttle, b.login_throttle);
  d.check("[l2tp] server", std::tie(a.server_host, a.server_port),
          std::tie(b.server_host, b.server_port));
  d.check_value("[l2tp] local_port", a.local_port, b.local_port);
  d.check("[l2tp] redial", a.redial, b.redial);
  d.check("[l2tp] mtu_probing", a.mtu_probing, b.mtu_probing);
  d.check_value("[l2tp] mtu_probe_interval", a.mtu_probe_interval, b.mtu_probe_interval);
  d.check("[l2tp] routes", a.routes, b.routes);
  d.check("[[l2tp.session]]", a.calls, b.calls);
  if (d.count() == before && !(a == b)) d.add("[l2tp] changed");
}

void compare_ipsec(const control::IpsecConfig& a, const control::IpsecConfig& b, Differences& d) {
  const std::size_t before = d.count();
  d.check_value("[ipsec] interface", a.interface, b.interface);
  d.check_value("[ipsec] mtu", a.mtu, b.mtu);
  d.check_value("[ipsec] ike_version", a.ike_version, b.ike_version);
  d.check("[ipsec] local_address", a.local_address, b.local_address);
  d.check("[ipsec] local_id", a.local_id, b.local_id);
  d.check("[ipsec] addresses", a.addresses, b.addresses);
  d.check("[ipsec] pool", std::tie(a.pool_first, a.pool_last), std::tie(b.pool_first, b.pool_last));
  d.check("[ipsec] pool_dns", a.pool_dns, b.pool_dns);
  d.check_value("[ipsec] ike_lifetime", a.ike_lifetime, b.ike_lifetime);
  d.check_value("[ipsec] esp_lifetime", a.esp_lifetime, b.esp_lifetime);
  d.check_value("[ipsec] dpd_interval", a.dpd_interval, b.dpd_interval);
  d.check_value("[ipsec] dpd_timeout", a.dpd_timeout, b.dpd_timeout);
  d.check("[[ipsec.connection]]", a.connections, b.connections);
  if (d.count() == before && !(a == b)) d.add("[ipsec] changed");
}

struct AccountDiff {
  std::vector<std::string> added, removed, changed;
  bool empty() const { return added.empty() && removed.empty() && changed.empty(); }
};

// A gateway's accounts, by name: which were added, removed or changed.
AccountDiff diff_accounts(const std::vector<control::AccountConfig>& a,
                          const std::vector<control::AccountConfig>& b) {
  auto find = [](const std::vector<control::AccountConfig>& in, const std::string& name) {
    return std::find_if(in.begin(), in.end(), [&](const auto& x) { return x.name == name; });
  };
  AccountDiff diff;
  for (const auto& x : b) {
    auto old = find(a, x.name);
    if (old == a.end())
      diff.added.push_back(x.name);
    else if (!(*old == x))
      diff.changed.push_back(x.name);
  }
  for (const auto& x : a)
    if (find(b, x.name) == b.end()) diff.removed.push_back(x.name);
  return diff;
}

bool gateway(const control::NodeConfig& c) {
  return c.gateway() && !c.fallback;
}

// Accounts change live between two gateway configs; anything else hybrid needs a restart.
void compare_hybrid(const control::NodeConfig& a, const control::NodeConfig& b, Differences& d,
                    ReloadPlan& plan) {
  AccountDiff accounts = diff_accounts(a.accounts, b.accounts);
  if (gateway(a) && gateway(b)) {
    plan.accounts_added = std::move(accounts.added);
    plan.accounts_removed = std::move(accounts.removed);
    plan.accounts_changed = std::move(accounts.changed);
  } else if (!accounts.empty()) {
    std::vector<std::string> names;
    for (const auto& n : accounts.added) names.push_back(n + " added");
    for (const auto& n : accounts.changed) names.push_back(n + " changed");
    for (const auto& n : accounts.removed) names.push_back(n + " removed");
    d.add("[[account]] " + joined(names, ", ") + " (the node would " +
          (gateway(a) ? "stop being" : "become") + " a hybrid gateway)");
  }
  d.check("[accounts] pool", std::tie(a.account_pool.v4_first, a.account_pool.v4_last),
          std::tie(b.account_pool.v4_first, b.account_pool.v4_last));
  d.check("[accounts] pool6", a.account_pool.v6, b.account_pool.v6);
  d.check("[accounts] store", a.account_pool.store, b.account_pool.store);
  d.check("[accounts] mtu_probing",
          std::tie(a.account_pool.mtu_probing, a.account_pool.mtu_probe_interval_s),
          std::tie(b.account_pool.mtu_probing, b.account_pool.mtu_probe_interval_s));
  if (!d.check_presence("[fallback]", a.fallback, b.fallback))
    d.check("[fallback]", a.fallback, b.fallback);
  d.check("[[policy]]", a.policies, b.policies);
  // A hybrid client's one peer is its primary path, set up with the fallback around it.
  if (a.hybrid() && b.hybrid()) d.check("[[peer]] of a hybrid node", a.peers, b.peers);
}

std::vector<IpPrefix> sorted(std::vector<IpPrefix> prefixes) {
  std::sort(prefixes.begin(), prefixes.end());
  prefixes.erase(std::unique(prefixes.begin(), prefixes.end()), prefixes.end());
  return prefixes;
}

// What differs in a peer that keeps its key. The order of allowed IPs does not matter.
std::vector<std::string> peer_fields(const control::PeerConfig& a, const control::PeerConfig& b) {
  std::vector<std::string> fields;
  if (a.name != b.name) fields.push_back("name");
  if (a.preshared_key != b.preshared_key) fields.push_back("preshared_key");
  if (a.endpoint_host != b.endpoint_host || a.endpoint_port != b.endpoint_port)
    fields.push_back("endpoint");
  if (sorted(a.allowed_ips) != sorted(b.allowed_ips)) fields.push_back("allowed_ips");
  if (a.persistent_keepalive != b.persistent_keepalive) fields.push_back("persistent_keepalive");
  if (a.mtu_probe_target != b.mtu_probe_target) fields.push_back("mtu_probe_target");
  return fields;
}

const control::PeerConfig* find_peer(const std::vector<control::PeerConfig>& peers,
                                     const crypto::PublicKey& key) {
  for (const auto& p : peers)
    if (p.public_key == key) return &p;
  return nullptr;
}

void plan_peers(const control::NodeConfig& running, const control::NodeConfig& next,
                ReloadPlan& plan) {
  for (const auto& p : next.peers) {
    const control::PeerConfig* old = find_peer(running.peers, p.public_key);
    if (!old) {
      plan.added.push_back(p);
    } else if (auto fields = peer_fields(*old, p); !fields.empty()) {
      plan.changed.push_back({p, std::move(fields)});
    }
  }
  for (const auto& p : running.peers)
    if (!find_peer(next.peers, p.public_key)) plan.removed.push_back(p);
  const auto before = sorted(plan_peer_routes(running).routes);
  const auto after = sorted(plan_peer_routes(next).routes);
  std::set_difference(after.begin(), after.end(), before.begin(), before.end(),
                      std::back_inserter(plan.routes_added));
  std::set_difference(before.begin(), before.end(), after.begin(), after.end(),
                      std::back_inserter(plan.routes_removed));
}

std::string count_text(std::string_view what, const std::vector<std::string>& names) {
  std::string s = std::to_string(names.size()) + " " + std::string(what);
  if (!names.empty()) s += " (" + joined(names, ", ") + ")";
  return s;
}

// "1 peer added (far2), 0 removed, 1 changed (far: endpoint)".
std::string changes_text(const std::string& noun, const std::vector<std::string>& added,
                         const std::vector<std::string>& removed,
                         const std::vector<std::string>& changed) {
  return count_text(noun + (added.size() == 1 ? "" : "s") + " added", added) + ", " +
         count_text("removed", removed) + ", " + count_text("changed", changed);
}

}  // namespace

std::string peer_label(const control::PeerConfig& peer) {
  return peer.name.empty() ? PeerEventLog::abbreviate(peer.public_key) : peer.name;
}

std::string ReloadPlan::summary() const {
  if (empty()) return "no changes";
  std::vector<std::string> parts;
  if (peers_change()) {
    std::vector<std::string> added_names, removed_names, changed_names;
    for (const auto& p : added) added_names.push_back(peer_label(p));
    for (const auto& p : removed) removed_names.push_back(peer_label(p));
    for (const auto& c : changed)
      changed_names.push_back(peer_label(c.peer) + ": " + joined(c.fields, " "));
    parts.push_back(changes_text("peer", added_names, removed_names, changed_names));
  }
  if (accounts_change())
    parts.push_back(changes_text("account", accounts_added, accounts_removed, accounts_changed));
  return joined(parts, "; ");
}

std::string ReloadRefusal::to_string() const {
  return joined(settings, "; ");
}

Result<ReloadPlan, ReloadRefusal> plan_reload(const control::NodeConfig& running,
                                              const control::NodeConfig& next) {
  Differences d;
  if (!d.check_presence("[interface]", running.interface, next.interface) && running.interface)
    compare_interface(*running.interface, *next.interface, d);
  if (!d.check_presence("[l2tp]", running.l2tp, next.l2tp) && running.l2tp)
    compare_l2tp(*running.l2tp, *next.l2tp, d);
  if (!d.check_presence("[ipsec]", running.ipsec, next.ipsec) && running.ipsec)
    compare_ipsec(*running.ipsec, *next.ipsec, d);
  // The endpoint is bound once, at start-up.
  if (!d.check_presence("[metrics]", running.metrics, next.metrics) && running.metrics)
    d.check("[metrics]", *running.metrics, *next.metrics);
  d.check_value("[admin] group", running.admin_group, next.admin_group);  // set on the socket
  ReloadPlan plan;
  compare_hybrid(running, next, d, plan);
  if (d.count() != 0) return Err(ReloadRefusal{d.take()});
  plan_peers(running, next, plan);
  return plan;
}

}  // namespace tandem::daemon
