// Building the account table: the whole config is checked before anything is kept, in the order
// an operator would fix it (names, keys, fixed addresses, subnets, then leases), and every
// refusal names the accounts involved. Leasing is done here rather than with AddressPool: the
// table leases once, from both families, around addresses it already knows are taken (reserved,
// fixed, subnets), while AddressPool is a live IPv4 pool that hands out and takes back addresses
// one at a time.
#include "hybrid/accounts.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include "crypto/key_encoding.hpp"

namespace tandem::hybrid {
namespace {

// Where IPv6 leases start inside the pool's prefix: ::1 .. ::f stay free for the gateway and its
// neighbours, the way 10.77.0.1 usually sits below an IPv4 range.
constexpr std::uint8_t kV6LeaseOffset = 0x10;

std::string quoted(const std::string& name) {
  return "'" + name + "'";
}

std::string family_name(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? "IPv4" : "IPv6";
}

IpAddress make_address(IpAddress::Family family, const std::array<std::uint8_t, 16>& b) {
  if (family == IpAddress::Family::kV4) return IpAddress::v4({b[0], b[1], b[2], b[3]});
  return IpAddress::v6(b);
}

std::array<std::uint8_t, 16> bytes_of(const IpAddress& address) {
  std::array<std::uint8_t, 16> b{};
  std::copy_n(address.data(), address.size(), b.begin());
  return b;
}

// The address after `address`, or nullopt past the end of its family.
std::optional<IpAddress> next_address(const IpAddress& address) {
  auto b = bytes_of(address);
  for (std::size_t i = address.size(); i-- > 0;) {
    if (++b[i] != 0) return make_address(address.family(), b);
  }
  return std::nullopt;
}

// The addresses one family's pool leases, lowest first.
struct LeaseRange {
  IpAddress first;
  IpAddress last;
  bool present = false;  // the plan has a pool of this family
  bool empty = false;    // present, but too small to lease anything
  std::string text;      // as the plan gave it, for messages

  bool contains(const IpAddress& a) const {
    return present && !empty && a.family() == first.family() && first <= a && a <= last;
  }
};

Result<LeaseRange, std::string> v4_range(const AddressPlan& plan) {
  LeaseRange range;
  if (!plan.v4_first && !plan.v4_last) return range;
  if (!plan.v4_first || !plan.v4_last || !plan.v4_first->is_v4() || !plan.v4_last->is_v4() ||
      *plan.v4_last < *plan.v4_first)
    return Err(std::string("the IPv4 pool needs a first and a last IPv4 address, first <= last"));
  range.first = *plan.v4_first;
  range.last = *plan.v4_last;
  range.present = true;
  range.text = range.first.to_string() + ".." + range.last.to_string();
  return range;
}

Result<LeaseRange, std::string> v6_range(const AddressPlan& plan) {
  LeaseRange range;
  if (!plan.v6_pool) return range;
  const IpPrefix& prefix = *plan.v6_pool;
  if (!prefix.address().is_v6()) return Err(std::string("the IPv6 pool is not an IPv6 prefix"));
  auto first = bytes_of(prefix.address());
  auto last = first;
  for (unsigned bit = prefix.length(); bit < 128; ++bit)
    last[bit / 8] |= static_cast<std::uint8_t>(0x80u >> (bit % 8));
  // The offset fits in the host bits of a /123 or shorter; a longer prefix ends below its ::10.
  first[15] |= kV6LeaseOffset;
  range.first = IpAddress::v6(first);
  range.last = IpAddress::v6(last);
  range.present = true;
  range.empty = prefix.length() > 123;
  range.text = prefix.to_string();
  return range;
}

// The checks and leases of one create() call.
class Builder {
 public:
  Builder(const std::vector<AccountSpec>& specs, const AddressPlan& plan)
      : specs_(specs), plan_(plan) {}

  std::optional<std::string> check_names() const;
  std::optional<std::string> check_keys() const;
  std::optional<std::string> check_fixed_addresses();
  std::optional<std::string> check_subnets();
  std::optional<std::string> lease(const LeaseRange& v4, const LeaseRange& v6,
                                   const std::map<std::string, std::vector<IpAddress>>& remembered);

  std::vector<Account> take_accounts() { return std::move(accounts_); }

 private:
  std::string name(std::size_t index) const { return quoted(specs_[index].name); }
  // Whether a lease may be `address`: not reserved, no account's address, in no subnet (a
  // site's networks are its own business, not the pool's).
  bool free_for_lease(const IpAddress& address) const;
  std::optional<std::string> lease_family(const LeaseRange& range, IpAddress::Family family,
                                          const std::map<std::string, std::vector<IpAddress>>&);

  const std::vector<AccountSpec>& specs_;
  const AddressPlan& plan_;
  std::vector<Account> accounts_;
  std::map<IpAddress, std::size_t> address_owner_;  // index into specs_
  wireguard::AllowedIps<std::size_t> subnet_owner_;
};

std::optional<std::string> Builder::check_names() const {
  std::map<std::string_view, std::size_t> seen;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i].name.empty()) return "account #" + std::to_string(i + 1) + " has an empty name";
    if (specs_[i].account_class)
      if (auto problem = account_class_problem(*specs_[i].account_class))
        return "account " + name(i) + ": " + *problem;
    const auto [it, inserted] = seen.emplace(specs_[i].name, i);
    if (!inserted)
      return "account " + name(i) + " (#" + std::to_string(i + 1) +
             ") repeats the name of account #" + std::to_string(it->second + 1);
  }
  return std::nullopt;
}

std::optional<std::string> Builder::check_keys() const {
  std::map<crypto::PublicKey, std::size_t> seen;
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    for (const auto& key : specs_[i].wireguard_keys) {
      const auto [it, inserted] = seen.emplace(key, i);
      if (!inserted && it->second != i)
        return "account " + name(i) + ": WireGuard key " + crypto::base64_encode(key) +
               " is already account " + name(it->second) + "'s";
    }
  }
  return std::nullopt;
}

std::optional<std::string> Builder::check_fixed_addresses() {
  const std::set<IpAddress> reserved(plan_.reserved.begin(), plan_.reserved.end());
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const std::pair<const std::optional<IpAddress>*, IpAddress::Family> fixed[] = {
        {&specs_[i].ipv4, IpAddress::Family::kV4}, {&specs_[i].ipv6, IpAddress::Family::kV6}};
    for (const auto& [address, family] : fixed) {
      if (!*address) continue;
      const IpAddress& a = **address;
      if (a.family() != family)
        return "account " + name(i) + ": " + a.to_string() + " is not an " + family_name(family) +
               " address";
      if (reserved.contains(a))
        return "account " + name(i) + ": address " + a.to_string() + " is reserved for the gateway";
      const auto [it, inserted] = address_owner_.emplace(a, i);
      if (!inserted)
        return "account " + name(i) + ": address " + a.to_string() + " is already account " +
               name(it->second) + "'s";
    }
  }
  return std::nullopt;
}

std::optional<std::string> Builder::check_subnets() {
  // Shortest prefixes first: a new prefix then overlaps an earlier one exactly when an earlier
  // one holds its network address, and the longest such match names its account because
  // everything already in the table is free of overlaps between accounts.
  std::vector<std::pair<IpPrefix, std::size_t>> all;
  for (std::size_t i = 0; i < specs_.size(); ++i)
    for (const auto& subnet : specs_[i].subnets) all.emplace_back(subnet, i);
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.first.length() < b.first.length();
  });
  for (const auto& [subnet, i] : all) {
    const auto other = subnet_owner_.lookup(subnet.address());
    if (other && *other != i)
      return "account " + name(i) + ": subnet " + subnet.to_string() + " overlaps account " +
             name(*other) + "'s subnets";
    subnet_owner_.insert(subnet, i);
  }
  for (const auto& [address, i] : address_owner_) {
    const auto other = subnet_owner_.lookup(address);
    if (other && *other != i)
      return "account " + name(i) + ": address " + address.to_string() + " lies in a subnet of " +
             "account " + name(*other);
  }
  for (const auto& address : plan_.reserved) {
    if (const auto other = subnet_owner_.lookup(address))
      return "account " + name(*other) + ": a subnet holds " + address.to_string() +
             ", which is reserved for the gateway";
  }
  return std::nullopt;
}

bool Builder::free_for_lease(const IpAddress& address) const {
  if (std::find(plan_.reserved.begin(), plan_.reserved.end(), address) != plan_.reserved.end())
    return false;
  return !address_owner_.contains(address) && !subnet_owner_.lookup(address);
}

std::optional<std::string> Builder::lease_family(
    const LeaseRange& range, IpAddress::Family family,
    const std::map<std::string, std::vector<IpAddress>>& remembered) {
  auto slot = [&](std::size_t i) -> std::optional<IpAddress>& {
    return family == IpAddress::Family::kV4 ? accounts_[i].ipv4 : accounts_[i].ipv6;
  };
  auto grant = [&](std::size_t i, const IpAddress& address) {
    slot(i) = address;
    (family == IpAddress::Family::kV4 ? accounts_[i].ipv4_leased : accounts_[i].ipv6_leased) = true;
    address_owner_.emplace(address, i);
  };
  // Remembered leases go first, so that an account earlier in the config cannot take the
  // address a later one had before the restart.
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    if (slot(i)) continue;
    const auto it = remembered.find(specs_[i].name);
    if (it == remembered.end()) continue;
    for (const auto& address : it->second) {
      if (range.contains(address) && free_for_lease(address)) {
        grant(i, address);
        break;
      }
    }
  }
  // Every address below the cursor is taken, and only grants take more, so it only moves up.
  std::optional<IpAddress> cursor = range.first;
  for (std::size_t i = 0; i < accounts_.size(); ++i) {
    if (slot(i)) continue;
    while (cursor && range.contains(*cursor) && !free_for_lease(*cursor))
      cursor = next_address(*cursor);
    if (!cursor || !range.contains(*cursor))
      return "account " + name(i) + ": the " + family_name(family) + " pool " + range.text +
             " has no free address left";
    grant(i, *cursor);
  }
  return std::nullopt;
}

std::optional<std::string> Builder::lease(
    const LeaseRange& v4, const LeaseRange& v6,
    const std::map<std::string, std::vector<IpAddress>>& remembered) {
  accounts_.reserve(specs_.size());
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    const AccountSpec& spec = specs_[i];
    if (!spec.ipv4 && !spec.ipv6 && !v4.present && !v6.present)
      return "account " + name(i) + " has no address: give it a fixed one or configure a pool";
    Account account;
    account.id = static_cast<AccountId>(i + 1);
    account.name = spec.name;
    account.wireguard_keys = spec.wireguard_keys;
    account.ppp = spec.ppp;
    account.ipv4 = spec.ipv4;
    account.ipv6 = spec.ipv6;
    account.subnets = spec.subnets;
    account.account_class = spec.account_class;
    account.disabled = spec.disabled;
    accounts_.push_back(std::move(account));
  }
  // Accounts with a fixed address of a family are skipped by lease_family (their slot is set).
  if (v4.present)
    if (auto error = lease_family(v4, IpAddress::Family::kV4, remembered)) return error;
  if (v6.present)
    if (auto error = lease_family(v6, IpAddress::Family::kV6, remembered)) return error;
  return std::nullopt;
}

}  // namespace

std::vector<IpPrefix> Account::prefixes() const {
  std::vector<IpPrefix> out;
  out.reserve(2 + subnets.size());
  if (ipv4) out.emplace_back(*ipv4, 32);
  if (ipv6) out.emplace_back(*ipv6, 128);
  out.insert(out.end(), subnets.begin(), subnets.end());
  return out;
}

Result<AccountTable, std::string> AccountTable::create(
    std::vector<AccountSpec> specs, const AddressPlan& plan,
    const std::map<std::string, std::vector<IpAddress>>& remembered) {
  auto v4 = v4_range(plan);
  if (!v4) return Err(v4.error());
  auto v6 = v6_range(plan);
  if (!v6) return Err(v6.error());

  Builder builder(specs, plan);
  if (auto error = builder.check_names()) return Err(std::move(*error));
  if (auto error = builder.check_keys()) return Err(std::move(*error));
  if (auto error = builder.check_fixed_addresses()) return Err(std::move(*error));
  if (auto error = builder.check_subnets()) return Err(std::move(*error));
  if (auto error = builder.lease(*v4, *v6, remembered)) return Err(std::move(*error));

  AccountTable table;
  table.accounts_ = builder.take_accounts();
  for (const Account& account : table.accounts_) {
    table.by_name_.emplace(account.name, account.id);
    for (const auto& key : account.wireguard_keys) table.by_key_.emplace(key, account.id);
    for (const auto& prefix : account.prefixes()) table.owners_.insert(prefix, account.id);
  }
  return table;
}

const Account* AccountTable::find(AccountId id) const {
  if (id == 0 || id > accounts_.size()) return nullptr;
  return &accounts_[id - 1];
}

const Account* AccountTable::by_name(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : find(it->second);
}

const Account* AccountTable::by_wireguard_key(const crypto::PublicKey& key) const {
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : find(it->second);
}

std::optional<AccountId> AccountTable::owner_of(const IpAddress& address) const {
  return owners_.lookup(address);
}

std::optional<AccountId> AccountTable::owner_of_v4(const std::byte* address) const {
  return owners_.lookup_v4(address);
}

std::optional<AccountId> AccountTable::owner_of_v6(const std::byte* address) const {
  return owners_.lookup_v6(address);
}

bool AccountTable::owns(AccountId account, const IpAddress& source) const {
  return owner_of(source) == account;
}

std::map<std::string, std::vector<IpAddress>> AccountTable::leases() const {
  std::map<std::string, std::vector<IpAddress>> out;
  for (const Account& account : accounts_) {
    std::vector<IpAddress> leased;
    if (account.ipv4_leased) leased.push_back(*account.ipv4);
    if (account.ipv6_leased) leased.push_back(*account.ipv6);
    if (!leased.empty()) out.emplace(account.name, std::move(leased));
  }
  return out;
}

}  // namespace tandem::hybrid
