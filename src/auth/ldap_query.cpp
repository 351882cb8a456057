#include "auth/ldap_query.hpp"

#include <fmt/format.h>

#include <cctype>

namespace tandem::auth {
namespace {

constexpr std::string_view kUserPlaceholder = "{user}";

// A DN with the spaces around its separators dropped and ASCII letters lower-cased.
std::string normal_dn(std::string_view dn) {
  std::string out;
  out.reserve(dn.size());
  bool escaped = false;
  for (std::size_t i = 0; i < dn.size(); ++i) {
    const char c = dn[i];
    if (!escaped && c == ' ') {
      const bool after_separator = !out.empty() && (out.back() == ',' || out.back() == '=');
      std::size_t next = i;
      while (next < dn.size() && dn[next] == ' ') ++next;
      const bool before_separator = next == dn.size() || dn[next] == ',' || dn[next] == '=';
      if (out.empty() || after_separator || before_separator) continue;
    }
    escaped = !escaped && c == '\\';
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

std::string_view group_membership_name(LdapGroupMembership m) {
  switch (m) {
    case LdapGroupMembership::kMemberOf:
      return "memberOf";
    case LdapGroupMembership::kMember:
      return "member";
    case LdapGroupMembership::kUniqueMember:
      return "uniqueMember";
  }
  return "memberOf";
}

std::string escape_filter_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    switch (c) {
      case '*':
      case '(':
      case ')':
      case '\\':
      case '\0':
        out += fmt::format("\\{:02x}", static_cast<unsigned char>(c));
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_dn_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const bool edge_space = c == ' ' && (i == 0 || i + 1 == value.size());
    if (c == '\0') {
      out += "\\00";
      continue;
    }
    if (edge_space || (c == '#' && i == 0) || c == '"' || c == '+' || c == ',' || c == ';' ||
        c == '<' || c == '>' || c == '\\' || c == '=')
      out += '\\';
    out += c;
  }
  return out;
}

std::string fill_template(std::string_view pattern, std::string_view escaped_user) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t found = pattern.find(kUserPlaceholder, at);
    out += pattern.substr(at, found - at);
    if (found == std::string_view::npos) return out;
    out += escaped_user;
    at = found + kUserPlaceholder.size();
  }
}

std::string user_filter(const LdapSettings& s, std::string_view user) {
  return fill_template(s.filter, escape_filter_value(user));
}

std::optional<std::string> user_dn(const LdapSettings& s, std::string_view user) {
  if (s.user_dn.empty()) return std::nullopt;
  return fill_template(s.user_dn, escape_dn_value(user));
}

std::string group_member_filter(LdapGroupMembership m, std::string_view member_dn) {
  return fmt::format("({}={})", group_membership_name(m), escape_filter_value(member_dn));
}

bool same_dn(std::string_view a, std::string_view b) {
  return normal_dn(a) == normal_dn(b);
}

std::optional<std::string> refuse_before_bind(std::string_view user, std::string_view password) {
  if (user.empty()) return "an empty user name";
  if (password.empty())
    return "an empty password (a bind without one is anonymous and proves nothing)";
  if (user.find('\0') != std::string_view::npos || password.find('\0') != std::string_view::npos)
    return "a NUL character in the user name or password";
  return std::nullopt;
}

LdapGroupRule group_rule(const LdapSettings& s, std::string_view account,
                         const std::optional<std::string>& account_class) {
  const std::string who = fmt::format("account {}, {}", account,
                                      account_class ? "class " + *account_class : "no class");
  if (account_class)
    for (const auto& rule : s.classes)
      if (rule.name == *account_class) return {rule.require_group, who + ": its [[ldap.class]]"};
  const std::string unruled =
      account_class ? fmt::format(" (no [[ldap.class]] names {})", *account_class) : "";
  if (s.require_group.empty()) return {"", who + ": no group required" + unruled};
  return {s.require_group, who + ": [ldap] require_group" + unruled};
}

std::string check_settings(const LdapSettings& s) {
  if (s.uri.empty()) return "uri is missing (ldap://host or ldaps://host)";
  const bool ldaps = s.uri.rfind("ldaps://", 0) == 0;
  if (!ldaps && s.uri.rfind("ldap://", 0) != 0) return "uri must start with ldap:// or ldaps://";
  if (ldaps && s.start_tls) return "start_tls is for ldap:// (ldaps:// is TLS from the start)";
  if (s.user_dn.empty() == s.base.empty())
    return "give either user_dn (a DN template) or base (with filter) to find the user by";
  if (!s.user_dn.empty() && s.user_dn.find(kUserPlaceholder) == std::string::npos)
    return "user_dn must contain {user}";
  if (!s.base.empty() && s.filter.find(kUserPlaceholder) == std::string::npos)
    return "filter must contain {user}";
  if (!s.base.empty() && (s.filter.empty() || s.filter.front() != '(' || s.filter.back() != ')'))
    return "filter must be an LDAP filter in parentheses, such as (uid={user})";
  if (!s.bind_dn.empty() && s.bind_password.empty())
    return "bind_dn needs bind_password (or bind_password_file)";
  if (s.workers == 0 || s.workers > 64) return "workers must be between 1 and 64";
  return {};
}

}  // namespace tandem::auth
