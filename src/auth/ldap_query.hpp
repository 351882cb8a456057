// The parts of an LDAP login that are text, not I/O: a user name made safe for a search filter
// (RFC 4515 section 3) or a DN (RFC 4514 section 2.4), the templates filled in, DNs compared, and
// the user names a directory login refuses before asking anything, and which group a login must
// be a member of.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/ldap_settings.hpp"

namespace tandem::auth {

// '*', '(', ')', '\' and NUL as \2a, \28, \29, \5c, \00 (RFC 4515): a name never widens a filter.
std::string escape_filter_value(std::string_view value);
// Special characters of an attribute value in a DN escaped with a backslash (RFC 4514 2.4): a
// leading space or '#', a trailing space, and '"', '+', ',', ';', '<', '>', '\'; NUL as \00.
std::string escape_dn_value(std::string_view value);
// `pattern` with every {user} replaced by `escaped_user`.
std::string fill_template(std::string_view pattern, std::string_view escaped_user);
// The search filter for `user` ([ldap] filter).
std::string user_filter(const LdapSettings& s, std::string_view user);
// The DN to bind as ([ldap] user_dn), when the settings name one; nullopt when a search finds it.
std::optional<std::string> user_dn(const LdapSettings& s, std::string_view user);
// The filter that finds `member_dn` in the group entry (group_membership member/uniqueMember).
std::string group_member_filter(LdapGroupMembership m, std::string_view member_dn);
// Two DNs equal as a directory compares them, near enough for group lists: ASCII case and the
// spaces around ',' and '=' ignored.
bool same_dn(std::string_view a, std::string_view b);
// Why a login named `user` with `password` is refused before any directory is asked; nullopt
// when it may be asked. An empty password above all: a simple bind with a DN and no password is
// an unauthenticated bind (RFC 4513 5.1.2), which many servers answer with success.
std::optional<std::string> refuse_before_bind(std::string_view user, std::string_view password);
// The group a hybrid gateway's login must be a member of, and why, for the log.
struct LdapGroupRule {
  std::string group;   // a DN; empty: none, every user who binds is let in
  std::string reason;  // "account bob, class contractors: its [[ldap.class]]"
};
// The rule for a login of `account`, of `account_class` (none: no class): the class's
// [[ldap.class]] when it has one, else [ldap] require_group.
LdapGroupRule group_rule(const LdapSettings& s, std::string_view account,
                         const std::optional<std::string>& account_class);
// What is wrong with the settings (no uri, neither user_dn nor base, {user} missing, ...);
// empty when they are usable.
std::string check_settings(const LdapSettings& s);

}  // namespace tandem::auth
