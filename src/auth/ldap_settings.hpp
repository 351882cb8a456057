// `[ldap]`: PPP logins checked against an LDAP directory by binding as the user (RFC 4513 5.1.3),
// optionally only for members of a group, on a hybrid gateway a group per account class. A bind
// needs the password itself, so LDAP serves PAP logins only: CHAP-MD5 and MS-CHAPv2 send a hash the
// directory cannot check.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace tandem::auth {

// How group membership is read (require_group).
enum class LdapGroupMembership : unsigned char {
  kMemberOf,  // the user entry's memberOf attribute (slapd's memberof overlay, Active Directory)
  kMember,    // the group entry's member attribute (groupOfNames), searched for the user's DN
  kUniqueMember,  // the same with uniqueMember (groupOfUniqueNames)
};

// [[ldap.class]] on a hybrid gateway: the logins of the accounts of class `name` must be members
// of `require_group` (a DN) instead of [ldap] require_group's.
struct LdapClassRule {
  std::string name;
  std::string require_group;
  bool operator==(const LdapClassRule&) const = default;
};

struct LdapSettings {
  // ldap://host[:port] or ldaps://host[:port]; several, space-separated, are tried in turn.
  std::string uri;
  bool start_tls = false;  // ldap:// upgraded with StartTLS (RFC 4513 3); refused if it fails
  std::string ca_file;     // the CA the server's certificate must chain to (ldaps, StartTLS)
  // Either a DN template (no search: "uid={user},ou=people,dc=example,dc=org") ...
  std::string user_dn;
  // ... or a search for exactly one entry under `base` with `filter` ({user} escaped as RFC 4515
  // says), as `bind_dn` (empty: anonymously).
  std::string base;
  std::string filter = "(uid={user})";
  std::string bind_dn;
  std::string bind_password;
  // Members of this group only (a DN); empty: every user who binds.
  std::string require_group;
  // Per account class, a group of its own (group_rule() in ldap_query.hpp chooses); read the
  // same way as require_group.
  std::vector<LdapClassRule> classes;
  LdapGroupMembership group_membership = LdapGroupMembership::kMemberOf;
  std::chrono::seconds timeout{5};  // per connection attempt and per operation
  unsigned workers = 2;             // logins checked at once, each with its own connections
  bool operator==(const LdapSettings&) const = default;
};

std::string_view group_membership_name(LdapGroupMembership m);

}  // namespace tandem::auth
