// `tandem account`: a gateway's accounts in its state store ([accounts] store), changed while the
// gateway runs (it applies each change within a second, tearing down a revoked account's
// sessions): add, list, show, set where its path MTU is probed or its class, disable, enable,
// revoke, remove,
// rotate a WireGuard key with an overlap, import the [[account]] sections of a config file, and
// show the history of events the store keeps (its own changes, and the logins, refusals and
// hang-ups the gateways record).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace tandem::cli {

struct AccountOptions {
  std::string action;       // add, list, show, set-mtu-probe-target, set-class, disable,
                            // enable, revoke, remove, rotate, import-config, import-csv
  std::string config_path;  // the gateway's tandem.toml (names the store and its pools)
  std::string name;         // the account (all but list and import-config)
  // add and rotate: the account's WireGuard key, given (base64) or made here.
  std::string public_key;
  bool generate_key = false;
  std::string private_key_out;  // with generate_key: where the private key goes (mode 0600)
  std::string preshared_key_file;
  // add: the L2TP/PPP login; only its NT hash is kept unless keep_cleartext (CHAP-MD5 needs it).
  std::string password_file;
  bool keep_cleartext = false;
  std::string ipv4;  // add: a fixed address instead of a lease
  std::string ipv6;
  std::vector<std::string> subnets;
  // add, set-mtu-probe-target: where the gateway probes its path MTU (empty: none).
  std::string mtu_probe_target;
  // add, set-class: the account's class, which [[ldap.class]] rules name (empty: none).
  std::string account_class;
  std::string overlap = "24h";  // rotate: how long the old key keeps working
  std::string from;             // import-config: the file whose [[account]]s move to the store
  bool json = false;            // list, show, events
  std::size_t limit = 50;       // events: how many, newest first
};

// Exit code 0, or 1 with the cause and the fix on err.
int run_account(const AccountOptions& options, std::ostream& out, std::ostream& err);

// "90s", "30m", "24h", "7d" (a number alone is seconds); nullopt for anything else.
std::optional<long long> parse_seconds(const std::string& text);

}  // namespace tandem::cli
