// Accounts: who may use a gateway, and the inner addresses that are theirs whichever protocol
// they connect with. An account (a user, or a site with networks behind it) owns WireGuard public
// keys, PPP credentials and one inner IPv4 and/or IPv6 address, fixed in the config or leased
// from the gateway's pools. The same address is the WireGuard peer's allowed IP, what IPCP hands
// the PPP session and what an IKEv2 configuration payload hands a road warrior; that is what lets
// traffic move between protocols without the account's connections noticing.
//
// The table is built whole and checked whole: a name, key, address or subnet claimed by two
// accounts is refused naming both, so a config cannot silently give one account's address to
// another. Sans-I/O and single-threaded; lookups never allocate.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "crypto/x25519.hpp"
#include "hybrid/account_class.hpp"
#include "ppp/local_auth.hpp"
#include "wireguard/allowed_ips.hpp"

namespace tandem::hybrid {

using AccountId = std::uint32_t;

// An account as the configuration describes it.
struct AccountSpec {
  std::string name;
  std::vector<crypto::PublicKey> wireguard_keys;  // none: no WireGuard access
  std::optional<ppp::LocalCredential> ppp;        // none: no L2TP/PPP login
  std::optional<IpAddress> ipv4;                  // fixed; otherwise leased from the IPv4 pool
  std::optional<IpAddress> ipv6;                  // fixed; otherwise leased from the IPv6 pool
  std::vector<IpPrefix> subnets;                  // a site's networks, routed to it as well
  // A group of accounts the operator's rules name together ("staff", "contractors"): a
  // directory's group rule for its logins ([[ldap.class]]). None: the gateway's defaults.
  std::optional<std::string> account_class;
  bool disabled = false;  // kept (with its addresses) but refused
};

// Where leased addresses come from. A pool may be absent; then every account needs a fixed
// address of that family or goes without one.
struct AddressPlan {
  std::optional<IpAddress> v4_first;  // inclusive range, e.g. 10.77.0.10 .. 10.77.0.200
  std::optional<IpAddress> v4_last;
  std::optional<IpPrefix> v6_pool;  // e.g. fd77::/112; leases start at the prefix's ::10
  // The gateway's own inner addresses: never leased, never an account's.
  std::vector<IpAddress> reserved;
};

struct Account {
  AccountId id = 0;  // 1-based, in config order
  std::string name;
  std::vector<crypto::PublicKey> wireguard_keys;
  std::optional<ppp::LocalCredential> ppp;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  std::vector<IpPrefix> subnets;
  std::optional<std::string> account_class;
  bool disabled = false;
  bool ipv4_leased = false;  // from the pool rather than fixed
  bool ipv6_leased = false;

  // Its addresses as host prefixes (/32, /128) followed by its subnets: a WireGuard peer's
  // allowed IPs.
  std::vector<IpPrefix> prefixes() const;
};

class AccountTable {
 public:
  // An empty table (no accounts, no pools).
  AccountTable() = default;

  // Checks the specs and leases addresses. An account without a fixed address of a family gets
  // one from that family's pool: the one `remembered` names for it (from an earlier run) when
  // still free, else the lowest free one. Refused, with the accounts named: an empty or repeated
  // name, a WireGuard key on two accounts, an address or subnet on two accounts (or overlapping
  // another's subnet), a fixed address that is reserved, an account with no address at all, a
  // pool too small for the accounts that need it, a class that is no class name.
  static Result<AccountTable, std::string> create(
      std::vector<AccountSpec> specs, const AddressPlan& plan,
      const std::map<std::string, std::vector<IpAddress>>& remembered = {});

  const std::vector<Account>& accounts() const { return accounts_; }
  const Account* find(AccountId id) const;
  const Account* by_name(std::string_view name) const;
  const Account* by_wireguard_key(const crypto::PublicKey& key) const;

  // The account an inner address belongs to (its address, or the longest subnet holding it).
  std::optional<AccountId> owner_of(const IpAddress& address) const;
  // The same from raw address bytes (4 or 16) as they sit in a packet header; never allocates.
  std::optional<AccountId> owner_of_v4(const std::byte* address) const;
  std::optional<AccountId> owner_of_v6(const std::byte* address) const;
  // Whether `account` may send from `source`.
  bool owns(AccountId account, const IpAddress& source) const;

  // name -> leased addresses, for the daemon to keep across restarts.
  std::map<std::string, std::vector<IpAddress>> leases() const;

 private:
  std::vector<Account> accounts_;
  std::map<std::string, AccountId, std::less<>> by_name_;
  std::map<crypto::PublicKey, AccountId> by_key_;
  wireguard::AllowedIps<AccountId> owners_;
};

}  // namespace tandem::hybrid
