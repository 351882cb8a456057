// Reading [ldap] (auth/ldap_settings.hpp): PPP logins checked by binding to a directory as the
// user. Its presence is what turns directory logins on; [l2tp] then serves PAP only and has no
// [[l2tp.user]] of its own (l2tp_config.cpp checks that side).
#include "auth/ldap_query.hpp"
#include "control/toml_reader.hpp"

namespace tandem::control {

Result<Ok, ConfigError> read_ldap(const Reader& r, const toml::table& root, NodeConfig& cfg) {
  const toml::node* node = root.get("ldap");
  if (!node) return Ok{};
  const toml::table* t = node->as_table();
  if (!t) return r.error(node, "ldap must be a table: [ldap]");
  if (auto ok = r.only_keys(
          *t, "[ldap]",
          {"uri", "start_tls", "ca_file", "user_dn", "base", "filter", "bind_dn", "bind_password",
           "bind_password_file", "require_group", "group_membership", "timeout", "workers"});
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
    if (s.require_group.empty())
      return r.error(m, "group_membership says how require_group is checked: give require_group");
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
