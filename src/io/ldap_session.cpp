#include "io/ldap_session.hpp"

#include <ldap.h>
#include <sys/time.h>

#include <cstring>
#include <memory>

namespace tandem::io {
namespace {

// Errors after which the connection is no use and the next call should connect again.
bool connection_lost(int code) {
  return code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR || code == LDAP_TIMEOUT ||
         code == LDAP_UNAVAILABLE || code == LDAP_BUSY;
}

struct MessageFree {
  void operator()(LDAPMessage* m) const { ldap_msgfree(m); }
};

}  // namespace

LdapSession::~LdapSession() {
  close();
}

void LdapSession::close() {
  if (ld_) ldap_unbind_ext_s(ld_, nullptr, nullptr);
  ld_ = nullptr;
}

std::string LdapSession::describe(int code) const {
  std::string text = ldap_err2string(code);
  if (!ld_) return text;
  char* diagnostic = nullptr;
  if (ldap_get_option(ld_, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diagnostic) == LDAP_OPT_SUCCESS &&
      diagnostic) {
    // GnuTLS's failures arrive as "(unknown error code)", which says nothing.
    if (*diagnostic && std::strcmp(diagnostic, "(unknown error code)") != 0)
      text += std::string(" (") + diagnostic + ")";
    ldap_memfree(diagnostic);
  }
  // A TLS handshake that failed, a certificate above all, shows only as an unreachable server.
  const bool tls = target_.start_tls || target_.uri.rfind("ldaps://", 0) == 0;
  if (tls && (code == LDAP_SERVER_DOWN || code == LDAP_CONNECT_ERROR))
    text +=
        "; if the server is up, check that its TLS certificate chains to " +
        (target_.ca_file.empty() ? std::string("the system's CAs") : "ca_file " + target_.ca_file) +
        " and names the host in the URI";
  return text;
}

Result<Ok, std::string> LdapSession::connect() {
  if (ld_) return Ok{};
  LDAP* ld = nullptr;
  if (const int rc = ldap_initialize(&ld, target_.uri.c_str()); rc != LDAP_SUCCESS)
    return Err("LDAP URI " + target_.uri + ": " + ldap_err2string(rc));
  ld_ = ld;
  const int version = LDAP_VERSION3;
  const timeval timeout{static_cast<time_t>(target_.timeout.count()), 0};
  const int demand = LDAP_OPT_X_TLS_DEMAND;
  const int new_context = 0;
  bool ok = ldap_set_option(ld_, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS &&
            ldap_set_option(ld_, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) == LDAP_OPT_SUCCESS &&
            ldap_set_option(ld_, LDAP_OPT_NETWORK_TIMEOUT, &timeout) == LDAP_OPT_SUCCESS &&
            ldap_set_option(ld_, LDAP_OPT_TIMEOUT, &timeout) == LDAP_OPT_SUCCESS &&
            ldap_set_option(ld_, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) == LDAP_OPT_SUCCESS;
  if (ok && !target_.ca_file.empty())
    ok = ldap_set_option(ld_, LDAP_OPT_X_TLS_CACERTFILE, target_.ca_file.c_str()) ==
         LDAP_OPT_SUCCESS;
  // The TLS options above take effect in a context of this handle's own.
  if (ok) ok = ldap_set_option(ld_, LDAP_OPT_X_TLS_NEWCTX, &new_context) == LDAP_OPT_SUCCESS;
  if (!ok) {
    close();
    return Err(std::string("LDAP: could not set the connection's options (TLS: is the CA file " +
                           target_.ca_file + " readable PEM?)"));
  }
  if (target_.start_tls) {
    if (const int rc = ldap_start_tls_s(ld_, nullptr, nullptr); rc != LDAP_SUCCESS) {
      std::string why = "StartTLS with " + target_.uri + " failed: " + describe(rc);
      close();
      return Err(std::move(why));
    }
  }
  return Ok{};
}

Result<BindOutcome, std::string> LdapSession::simple_bind(const std::string& dn,
                                                          const std::string& password) {
  if (auto ok = connect(); !ok) return Err(ok.error());
  berval credential{static_cast<ber_len_t>(password.size()), const_cast<char*>(password.data())};
  const int rc =
      ldap_sasl_bind_s(ld_, dn.c_str(), LDAP_SASL_SIMPLE, &credential, nullptr, nullptr, nullptr);
  if (rc == LDAP_SUCCESS) return BindOutcome::kBound;
  if (rc == LDAP_INVALID_CREDENTIALS) return BindOutcome::kInvalidCredentials;
  std::string why = "bind as " + dn + " at " + target_.uri + ": " + describe(rc);
  if (connection_lost(rc) || rc == LDAP_OTHER) close();
  return Err(std::move(why));
}

Result<std::vector<LdapEntry>, std::string> LdapSession::search(const std::string& base,
                                                                bool subtree,
                                                                const std::string& filter,
                                                                const std::string& attribute,
                                                                int limit) {
  if (auto ok = connect(); !ok) return Err(ok.error());
  char no_attributes[] = LDAP_NO_ATTRS;
  std::string wanted = attribute;
  char* attributes[2] = {attribute.empty() ? no_attributes : wanted.data(), nullptr};
  timeval timeout{static_cast<time_t>(target_.timeout.count()), 0};
  LDAPMessage* raw = nullptr;
  const int rc =
      ldap_search_ext_s(ld_, base.c_str(), subtree ? LDAP_SCOPE_SUBTREE : LDAP_SCOPE_BASE,
                        filter.c_str(), attributes, 0, nullptr, nullptr, &timeout, limit, &raw);
  std::unique_ptr<LDAPMessage, MessageFree> result(raw);
  // Past the limit the server returns what it found with sizeLimitExceeded; a base that does
  // not exist is no entry rather than an error.
  if (rc == LDAP_NO_SUCH_OBJECT) return std::vector<LdapEntry>{};
  if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED) {
    std::string why = "search under " + base + " at " + target_.uri + ": " + describe(rc);
    if (connection_lost(rc)) close();
    return Err(std::move(why));
  }
  std::vector<LdapEntry> entries;
  for (LDAPMessage* e = ldap_first_entry(ld_, result.get()); e; e = ldap_next_entry(ld_, e)) {
    LdapEntry entry;
    if (char* dn = ldap_get_dn(ld_, e)) {
      entry.dn = dn;
      ldap_memfree(dn);
    }
    if (!attribute.empty()) {
      if (berval** values = ldap_get_values_len(ld_, e, attribute.c_str())) {
        for (berval** v = values; *v; ++v) entry.values.emplace_back((*v)->bv_val, (*v)->bv_len);
        ldap_value_free_len(values);
      }
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace tandem::io
