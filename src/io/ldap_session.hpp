// One connection to an LDAP directory through OpenLDAP's libldap: connected lazily, TLS (ldaps://
// or StartTLS) with the server's certificate verified against a configured CA, simple binds and
// searches with timeouts. Blocking: the daemon runs these on worker threads (daemon/ldap_logins),
// never on the event loop. Reconnects on the next call after the server went away.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/result.hpp"

typedef struct ldap LDAP;  // NOLINT: libldap's own name for its handle

namespace tandem::io {

struct LdapTarget {
  std::string uri;  // one or more ldap:// / ldaps:// URIs, space-separated
  bool start_tls = false;
  std::string ca_file;  // empty: the system's CAs
  std::chrono::seconds timeout{5};
};

struct LdapEntry {
  std::string dn;
  std::vector<std::string> values;  // of the one attribute asked for, if any
};

enum class BindOutcome : unsigned char { kBound, kInvalidCredentials };

class LdapSession {
 public:
  explicit LdapSession(LdapTarget target) : target_(std::move(target)) {}
  ~LdapSession();
  LdapSession(const LdapSession&) = delete;
  LdapSession& operator=(const LdapSession&) = delete;

  // A simple bind (RFC 4513 5.1.3). Wrong credentials are an outcome; an unreachable server, a
  // TLS failure or any other error is the error text, naming the cause.
  Result<BindOutcome, std::string> simple_bind(const std::string& dn, const std::string& password);
  // Entries under `base` (`subtree`, or the base entry alone) matching `filter`, with the values
  // of `attribute` (empty: none fetched). At most `limit` entries: a search for one user asks for
  // two, so that an ambiguous filter shows.
  Result<std::vector<LdapEntry>, std::string> search(const std::string& base, bool subtree,
                                                     const std::string& filter,
                                                     const std::string& attribute, int limit);
  // Drops the connection; the next call connects again.
  void close();
  bool connected() const { return ld_ != nullptr; }

 private:
  Result<Ok, std::string> connect();
  // The library's words for `code`, with the server's diagnostic message when it sent one.
  std::string describe(int code) const;

  LdapTarget target_;
  LDAP* ld_ = nullptr;
};

}  // namespace tandem::io
