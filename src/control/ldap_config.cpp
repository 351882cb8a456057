// Reading [ldap] (auth/ldap_settings.hpp): PPP logins checked by binding to a directory as the
// user. Its presence is what turns directory logins on; [l2tp] then serves PAP only and has no
// [[l2tp.user]] of its own (l2tp_config.cpp checks that side). On a hybrid gateway,
// [[ldap.class]] gives the accounts of a class a group of their own.
#include <map>
#include <set>

#include "auth/ldap_query.hpp"
#include "control/toml_reader.hpp"
#include "hybrid/account_class.hpp"

namespace tandem::control {
namespace {

// [[ldap.class]]: name and require_group, each name once. Only a gateway's accounts have a class.
Result<Ok, ConfigError> read_class_rules(const Reader& r, const toml::node& node, HybridRole role,
                                         auth::LdapSettings& s) {
  if (role != HybridRole::kGateway)
    return r.error(&node,
                   "[[ldap.class]] gives the accounts of a class their own group, but this L2TP "
                   "gateway has no accounts ([[account]] or [accounts] store), so no classes: "
                   "use [ldap] require_group for every login");
  const toml::array* list = node.as_array();
  if (!list) return r.error(&node, "class must be written as [[ldap.class]] tables");
  std::map<std::string, int> lines;
  for (const auto& item : *list) {
    const toml::table* t = item.as_table();
    if (!t) return r.error(&item, "[[ldap.class]] must be a table");
    if (auto ok = r.only_keys(*t, "[[ldap.class]]", {"name", "require_group"}); !ok) return ok;
    auto name = r.string_key(*t, "name");
    if (!name) return Err(name.error());
    if (!*name) return r.error(&item, "[[ldap.class]] needs name = \"...\": an account class");
    if (auto problem = hybrid::account_class_problem(**name))
      return r.error(t->get("name"), "[[ldap.class]] " + *problem);
    auto group = r.string_key(*t, "require_group");
    if (!group) return Err(group.error());
    if (!*group || (*group)->empty())
      return r.error(t->get("require_group") ? t->get("require_group") : &item,
                     "[[ldap.class]] '" + **name +
                         "' needs require_group = \"cn=...\": the group (a DN) its accounts' "
                         "users must be members of");
    const int line = static_cast<int>(item.source().begin.line);
    if (const auto [first, added] = lines.emplace(**name, line); !added)
      return r.error(t->get("name"), "two [[ldap.class]] tables name class '" + **name +
                                         "' (the first at line " + std::to_string(first->second) +
                                         "): merge them");
    s.classes.push_back({**name, **group});
  }
  return Ok{};
}

}  // namespace

void warn_unused_ldap_classes(const Reader& r, const NodeConfig& cfg) {
  // A store's accounts are not in the file, and change while the gateway runs.
  if (!cfg.ldap || cfg.account_pool.store) return;
  std::set<std::string> used;
  for (const auto& a : cfg.accounts)
    if (a.account_class) used.insert(*a.account_class);
  for (const auto& rule : cfg.ldap->classes)
    if (!used.contains(rule.name))
      r.warn("[[ldap.class]] '" + rule.name + "' is the class of no [[account]] in " +
             std::string(r.source()) +
             ", so its require_group applies to no login; give an account class = \"" + rule.name +
             "\" or remove the rule");
}

Result<Ok, ConfigError> read_ldap(const Reader& r, const toml::table& root, HybridRole role,
                                  NodeConfig& cfg) {
  const toml::node* node = root.get("ldap");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "ldap must be a table: [ldap]");
  if (auto ok = r.only_keys(*t, "[ldap]",
                            {"uri", "start_tls", "ca_file", "user_dn", "base", "filter", "bind_dn",
                             "bind_password", "bind_password_file", "require_group",
                             "group_membership", "timeout", "workers", "class"});
      !ok)
    return Err(ok.error());
  if (!cfg.l2tp || cfg.l2tp->role != L2tpRole::kLns)
    return r.error(node,
                   "[ldap] checks the logins of an L2TP gateway: it needs [l2tp] with "
                   "mode = \"lns\" (or a hybrid gateway's [l2tp])");
  auth::LdapSettings s;
  const auto text = [&](std::string_view key, std::string& into) -> Result<Ok, ConfigError> {
    auto v = r.string_key(*t, key);
    if (!v) return Err(v.error());
    if (*v) into = **v;
    return Ok{};
  };
  for (auto [key, into] : {std::pair<std::string_view, std::string*>{"uri", &s.uri},
                           {"ca_file", &s.ca_file},
                           {"user_dn", &s.user_dn},
                           {"base", &s.base},
                           {"filter", &s.filter},
                           {"bind_dn", &s.bind_dn},
                           {"require_group", &s.require_group}})
    if (auto ok = text(key, *into); !ok) return ok;
  if (!s.ca_file.empty()) s.ca_file = path_beside(r.base_dir(), s.ca_file);
  auto start_tls = r.bool_key(*t, "start_tls", false);
  if (!start_tls) return Err(start_tls.error());
  s.start_tls = *start_tls;
  auto password = r.secret_key(*t, "bind_password", "bind_password_file");
  if (!password) return Err(password.error());
  s.bind_password = password->value_or("");
  if (const toml::node* classes = t->get("class"))
    if (auto ok = read_class_rules(r, *classes, role, s); !ok) return ok;
  if (const toml::node* m = t->get("group_membership")) {
    const std::string v = m->is_string() ? m->as_string()->get() : "";
    if (v == "memberOf")
      s.group_membership = auth::LdapGroupMembership::kMemberOf;
    else if (v == "member")
      s.group_membership = auth::LdapGroupMembership::kMember;
    else if (v == "uniqueMember")
      s.group_membership = auth::LdapGroupMembership::kUniqueMember;
    else
      return r.error(m,
                     "group_membership is \"memberOf\" (the user's attribute), \"member\" or "
                     "\"uniqueMember\" (the group's)");
    if (s.require_group.empty() && s.classes.empty())
      return r.error(m,
                     "group_membership says how require_group is checked: give require_group "
                     "(or [[ldap.class]] rules)");
  }
  auto timeout = r.integer<unsigned>(*t, "timeout", 1, 120);
  if (!timeout) return Err(timeout.error());
  if (*timeout) s.timeout = std::chrono::seconds(**timeout);
  auto workers = r.integer<unsigned>(*t, "workers", 1, 64);
  if (!workers) return Err(workers.error());
  if (*workers) s.workers = **workers;
  const bool ldaps = s.uri.rfind("ldaps://", 0) == 0;
  if (!ldaps && !s.start_tls && s.uri.rfind("ldap://", 0) == 0) {
    // Passwords in clear over the network: allowed to a directory on this host only.
    const std::string host = s.uri.substr(7);
    if (host.rfind("127.", 0) != 0 && host.rfind("localhost", 0) != 0 &&
        host.rfind("[::1]", 0) != 0)
      return r.error(t->get("uri"),
                     "a bind sends the user's password: use ldaps://, or start_tls = true, for a "
                     "directory that is not on this host");
  }
  if (std::string wrong = auth::check_settings(s); !wrong.empty()) return r.error(node, wrong);
  cfg.ldap = s;
  cfg.l2tp->ldap = std::move(s);
  return Ok{};
}

}  // namespace tandem::control
