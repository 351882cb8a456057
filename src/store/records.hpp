// What the state store keeps: accounts with their WireGuard keys, PPP credential and addresses
// (fixed or leased from the gateway's pools), and an event history. Plain values shared by every
// backend (SQLite now, PostgreSQL for a fleet) and by the code that turns them into the
// gateway's hybrid::AccountTable.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "crypto/mschap.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"
#include "store/error.hpp"

namespace tandem::store {

// Active: may log in. Disabled: kept with its addresses but refused, and may become active again.
// Revoked: refused for good (a lost device, a departed user); it keeps its addresses so that no
// one else gets them while the revoked client may still hold them, until the account is removed.
enum class AccountState : std::uint8_t { kActive, kDisabled, kRevoked };

std::string_view state_name(AccountState state);
std::optional<AccountState> parse_state(std::string_view text);

struct WireguardKey {
  crypto::PublicKey public_key{};
  std::optional<crypto::Key32> preshared_key;
  // The end of the key's validity: a rotation gives the old key now + overlap, so that a client
  // still on the old key keeps working while it picks up the new one. None: no end.
  std::optional<WallTime> not_after;
  WallTime created_at{};

  bool valid_at(WallTime now) const { return !not_after || now < *not_after; }
};

// The PPP login of an account. The NT hash (MD4 of the UTF-16LE password) is all MS-CHAPv2 and
// PAP need, so the clear password is kept only when the operator asks for it: CHAP-MD5 cannot
// work without it, and a stolen database then yields the password itself rather than a hash.
struct PppCredential {
  crypto::NtPasswordHash nt_hash;
  std::optional<std::string> password;
};

struct AccountRecord {
  std::string name;
  AccountState state = AccountState::kActive;
  std::optional<WallTime> revoked_at;
  WallTime created_at{};
  WallTime updated_at{};
  // The account's address of each family, fixed by the operator or leased from a pool.
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  bool ipv4_leased = false;
  bool ipv6_leased = false;
  std::vector<IpPrefix> subnets;  // a site's networks behind it
  // IKEv2 road warrior: the identity it authenticates as and its pre-shared key; no key: no IKEv2.
  std::optional<std::string> ike_id;
  std::optional<std::string> ike_psk;
  // Where a gateway sends the ICMP echoes that probe the path MTU towards the account (an address
  // inside its addresses and subnets); none: its own address, when [accounts] mtu_probing is on.
  std::optional<IpAddress> mtu_probe_target;
  // The account's class ("staff"; hybrid::AccountSpec::account_class); none: no class.
  std::optional<std::string> account_class;
  std::vector<WireguardKey> wireguard_keys;
  std::optional<PppCredential> ppp;
};

// A PPP login as an operator gives it: a password, or an NT hash taken from elsewhere.
struct PppLogin {
  std::optional<std::string> password;
  std::optional<crypto::NtPasswordHash> nt_hash;
  // Keep the clear password as well, for CHAP-MD5 clients (see PppCredential).
  bool keep_cleartext = false;
};

struct NewWireguardKey {
  crypto::PublicKey public_key{};
  std::optional<crypto::Key32> preshared_key;
  std::optional<WallTime> not_after;
};

// An account to add. An address of a family not fixed here is leased from that family's pool
// when the store's plan has one: an address in `remembered` first when it is free (so an account
// moved from the config file keeps the address its clients hold), else the lowest free one.
struct NewAccount {
  std::string name;
  AccountState state = AccountState::kActive;
  std::optional<IpAddress> ipv4;
  std::optional<IpAddress> ipv6;
  std::vector<IpPrefix> subnets;
  std::optional<std::string> ike_id;
  std::optional<std::string> ike_psk;
  std::optional<IpAddress> mtu_probe_target;
  std::optional<std::string> account_class;
  std::vector<NewWireguardKey> wireguard_keys;
  std::optional<PppLogin> ppp;
  std::vector<IpAddress> remembered;
};

// An account's mtu_probe_target as a store keeps it: as text, as the config file writes it.
inline std::optional<std::string> target_text(const std::optional<IpAddress>& target) {
  return target ? std::optional<std::string>(target->to_string()) : std::nullopt;
}

struct Lease {
  IpAddress address;
  std::string account;
  WallTime leased_at{};
};

struct Event {
  std::int64_t id = 0;  // increasing in the order events were appended
  WallTime at{};
  std::string kind;     // e.g. "account.added", "auth.failed"
  std::string account;  // empty: not about one account
  std::string detail;   // a JSON document; never a secret
};

// One row of a bulk import that cannot be applied.
struct Rejection {
  std::size_t row = 0;  // 1-based, in the order given
  std::string reason;
  Error::Code code = Error::Code::kInvalid;  // kConflict, kExhausted or kInvalid
};

struct ImportReport {
  std::size_t imported = 0;  // all rows, or none when any was rejected
  std::vector<Rejection> rejections;
};

// What changed after a revision a reader has applied.
struct Changes {
  std::uint64_t revision = 0;         // the store's revision now: what to ask after next time
  std::vector<std::string> accounts;  // the names changed since (added, changed or removed)
  // The change log no longer reaches back that far: reload every account.
  bool reload_all = false;
};

}  // namespace tandem::store
