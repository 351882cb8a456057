// Checking a batch of new accounts: every row is judged on its own, against the store and against
// the earlier rows of the batch, and the first problem of each row is its rejection. Leases come
// last, only for rows that passed, so that a pool running out names the rows it could not serve.
#include "store/batch_check.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>

#include "crypto/key_encoding.hpp"
#include "hybrid/account_class.hpp"
#include "store/mutation_text.hpp"

namespace tandem::store {
namespace {

// Where IPv6 leases start inside the pool's prefix, as in hybrid::AccountTable.
constexpr std::uint8_t kV6LeaseOffset = 0x10;
// Longer names are refused: they end up in logs, metrics labels and the admin API.
constexpr std::size_t kMaxNameLength = 128;

std::string family_name(IpAddress::Family family) {
  return family == IpAddress::Family::kV4 ? "IPv4" : "IPv6";
}

bool overlaps(const IpPrefix& a, const IpPrefix& b) {
  return a.address().family() == b.address().family() &&
         (a.contains(b.address()) || b.contains(a.address()));
}

std::optional<std::string> name_problem(const std::string& name) {
  if (name.empty()) return "the name is empty: give every account a name";
  if (name.size() > kMaxNameLength)
    return "the name is longer than " + std::to_string(kMaxNameLength) + " characters";
  if (std::any_of(name.begin(), name.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return "the name holds a control character";
  return std::nullopt;
}

using Verdict = StoreResult<std::optional<Rejection>>;

Verdict refuse(Error::Code code, std::string reason) {
  return std::optional<Rejection>(Rejection{0, std::move(reason), code});
}
Verdict invalid(std::string reason) {
  return refuse(Error::Code::kInvalid, std::move(reason));
}
Verdict conflict(std::string reason) {
  return refuse(Error::Code::kConflict, std::move(reason));
}
Verdict pass() {
  return std::optional<Rejection>{};
}

// The subnets `account` would have, against the store's and `others` (another account's
// subnets and addresses not yet in the store).
Verdict subnets_verdict(const std::string& account, const std::vector<IpPrefix>& subnets,
                        const hybrid::AddressPlan& plan, StateLookup& lookup,
                        const std::vector<std::pair<IpPrefix, std::string>>& other_subnets,
                        const std::map<IpAddress, std::string>& other_addresses) {
  for (std::size_t i = 0; i < subnets.size(); ++i) {
    const IpPrefix& subnet = subnets[i];
    const std::string text = subnet.to_string();
    for (std::size_t j = 0; j < i; ++j)
      if (overlaps(subnet, subnets[j])) return invalid("its subnets " + text + " overlap");
    for (const auto& [other, owner] : other_subnets)
      if (owner != account && overlaps(subnet, other))
        return conflict("the subnet " + text + " overlaps account " + quote_name(owner) + "'s " +
                        other.to_string());
    for (const auto& address : plan.reserved)
      if (subnet.contains(address))
        return conflict("the subnet " + text + " holds " + address.to_string() +
                        ", which is reserved for the gateway");
    for (const auto& [address, owner] : other_addresses)
      if (owner != account && subnet.contains(address))
        return conflict("the subnet " + text + " holds account " + quote_name(owner) +
                        "'s address " + address.to_string());
    auto held = lookup.held_in(subnet.address(), subnet.last());
    if (!held) return Err(held.error());
    for (const auto& [address, owner] : *held)
      if (owner != account)
        return conflict("the subnet " + text + " holds account " + quote_name(owner) +
                        "'s address " + address.to_string());
  }
  return pass();
}

// The checks of one check_batch() call; `rows_` are judged in order against the store and the
// rows before them that passed.
class BatchChecker {
 public:
  BatchChecker(const std::vector<NewAccount>& rows, const hybrid::AddressPlan& plan,
               StateLookup& lookup)
      : rows_(rows), plan_(plan), lookup_(lookup) {}

  StoreResult<BatchPlan> run();

 private:
  // The first problem of a row, or nullopt; the error is the store's own failure.
  Verdict problem(const NewAccount& row);
  Verdict key_problem(const NewAccount& row);
  Verdict address_problem(const NewAccount& row);
  Verdict subnet_problem(const NewAccount& row) {
    return subnets_verdict(row.name, row.subnets, plan_, lookup_, subnets_, addresses_);
  }
  std::optional<std::string> in_subnet(const IpAddress& address) const;
  void accept(const NewAccount& row);
  StoreResult<Ok> lease(IpAddress::Family family, BatchPlan& out);

  const std::vector<NewAccount>& rows_;
  const hybrid::AddressPlan& plan_;
  StateLookup& lookup_;
  std::set<std::string> names_;
  std::map<crypto::PublicKey, std::string> keys_;
  std::map<IpAddress, std::string> addresses_;
  std::vector<std::pair<IpPrefix, std::string>> subnets_;  // the store's, then the batch's
};

Verdict BatchChecker::key_problem(const NewAccount& row) {
  std::set<crypto::PublicKey> own;
  for (const auto& key : row.wireguard_keys) {
    const std::string text = crypto::base64_encode(key.public_key);
    if (!own.insert(key.public_key).second) return invalid("WireGuard key " + text + " is twice");
    if (const auto it = keys_.find(key.public_key); it != keys_.end())
      return conflict("WireGuard key " + text + " is already account " + quote_name(it->second) +
                      "'s");
    auto owner = lookup_.key_owner(key.public_key);
    if (!owner) return Err(owner.error());
    if (*owner)
      return conflict("WireGuard key " + text + " is already account " + quote_name(**owner) +
                      "'s");
  }
  return pass();
}

std::optional<std::string> BatchChecker::in_subnet(const IpAddress& address) const {
  for (const auto& [subnet, owner] : subnets_)
    if (subnet.contains(address)) return owner;
  return std::nullopt;
}

Verdict BatchChecker::address_problem(const NewAccount& row) {
  const std::pair<const std::optional<IpAddress>*, IpAddress::Family> fixed[] = {
      {&row.ipv4, IpAddress::Family::kV4}, {&row.ipv6, IpAddress::Family::kV6}};
  for (const auto& [address, family] : fixed) {
    if (!*address) continue;
    const IpAddress& a = **address;
    const std::string text = a.to_string();
    if (a.family() != family)
      return invalid(text + " is not an " + family_name(family) + " address");
    if (a.is_unspecified()) return invalid("the address " + text + " is unspecified");
    if (std::find(plan_.reserved.begin(), plan_.reserved.end(), a) != plan_.reserved.end())
      return conflict("the address " + text + " is reserved for the gateway");
    if (const auto it = addresses_.find(a); it != addresses_.end())
      return conflict("the address " + text + " is already account " + quote_name(it->second) +
                      "'s");
    auto owner = lookup_.address_owner(a);
    if (!owner) return Err(owner.error());
    if (*owner)
      return conflict("the address " + text + " is already account " + quote_name(**owner) + "'s");
    if (const auto owner_subnet = in_subnet(a))
      return conflict("the address " + text + " lies in a subnet of account " +
                      quote_name(*owner_subnet));
  }
  return pass();
}

Verdict BatchChecker::problem(const NewAccount& row) {
  if (auto p = name_problem(row.name)) return invalid(std::move(*p));
  if (names_.contains(row.name)) return conflict("the name repeats an earlier row's");
  auto exists = lookup_.name_exists(row.name);
  if (!exists) return Err(exists.error());
  if (*exists) return conflict("an account named " + quote_name(row.name) + " exists already");
  for (auto check : {&BatchChecker::key_problem, &BatchChecker::address_problem,
                     &BatchChecker::subnet_problem}) {
    auto p = (this->*check)(row);
    if (!p || *p) return p;
  }
  if (row.ike_psk && row.ike_psk->empty()) return invalid("the IKE pre-shared key is empty");
  if (row.ike_id && row.ike_id->empty()) return invalid("the IKE identity is empty");
  if (row.account_class)
    if (auto p = hybrid::account_class_problem(*row.account_class)) return invalid(std::move(*p));
  if (row.ppp) {
    auto credential = credential_for(*row.ppp);
    if (!credential) return invalid(credential.error());
  }
  const bool v4_pool = lease_range(plan_, IpAddress::Family::kV4).has_value();
  const bool v6_pool = lease_range(plan_, IpAddress::Family::kV6).has_value();
  if (!row.ipv4 && !row.ipv6 && !v4_pool && !v6_pool)
    return invalid("it has no address: give it a fixed one or configure a pool");
  return pass();
}

void BatchChecker::accept(const NewAccount& row) {
  names_.insert(row.name);
  for (const auto& key : row.wireguard_keys) keys_.emplace(key.public_key, row.name);
  if (row.ipv4) addresses_.emplace(*row.ipv4, row.name);
  if (row.ipv6) addresses_.emplace(*row.ipv6, row.name);
  for (const auto& subnet : row.subnets) subnets_.emplace_back(subnet, row.name);
}

StoreResult<Ok> BatchChecker::lease(IpAddress::Family family, BatchPlan& out) {
  const auto range = lease_range(plan_, family);
  if (!range) return Ok{};
  const bool v4 = family == IpAddress::Family::kV4;
  std::set<IpAddress> taken;
  for (const auto& [address, owner] : addresses_) taken.insert(address);
  std::vector<IpPrefix> subnets;
  for (const auto& [subnet, owner] : subnets_) subnets.push_back(subnet);
  const auto usable = [&](const IpAddress& a) {
    return a.family() == family && range->first <= a && a <= range->second && !taken.contains(a) &&
           std::find(plan_.reserved.begin(), plan_.reserved.end(), a) == plan_.reserved.end() &&
           std::none_of(subnets.begin(), subnets.end(),
                        [&](const IpPrefix& s) { return s.contains(a); });
  };
  std::vector<PlannedAccount*> waiting;
  for (auto& planned : out.accounts) {
    if (v4 ? planned.ipv4.has_value() : planned.ipv6.has_value()) continue;
    std::optional<IpAddress> remembered;
    for (const auto& candidate : planned.row->remembered) {
      if (!usable(candidate)) continue;
      auto owner = lookup_.address_owner(candidate);
      if (!owner) return Err(owner.error());
      if (*owner) continue;
      remembered = candidate;
      break;
    }
    if (!remembered) {
      waiting.push_back(&planned);
      continue;
    }
    (v4 ? planned.ipv4 : planned.ipv6) = *remembered;
    (v4 ? planned.ipv4_leased : planned.ipv6_leased) = true;
    taken.insert(*remembered);
  }
  if (waiting.empty()) return Ok{};
  const std::vector<IpAddress> taken_sorted(taken.begin(), taken.end());
  auto free = lookup_.free_in(range->first, range->second, taken_sorted, plan_.reserved, subnets,
                              waiting.size());
  if (!free) return Err(free.error());
  for (std::size_t i = 0; i < waiting.size(); ++i) {
    if (i < free->size()) {
      (v4 ? waiting[i]->ipv4 : waiting[i]->ipv6) = (*free)[i];
      (v4 ? waiting[i]->ipv4_leased : waiting[i]->ipv6_leased) = true;
      continue;
    }
    const std::size_t row = static_cast<std::size_t>(waiting[i]->row - rows_.data()) + 1;
    out.rejections.push_back({row,
                              "the " + family_name(family) + " pool " + range->first.to_string() +
                                  ".." + range->second.to_string() +
                                  " has no free address left: remove accounts or widen the pool",
                              Error::Code::kExhausted});
  }
  return Ok{};
}

StoreResult<BatchPlan> BatchChecker::run() {
  BatchPlan out;
  auto existing = lookup_.subnets();
  if (!existing) return Err(existing.error());
  subnets_ = std::move(*existing);
  for (std::size_t i = 0; i < rows_.size(); ++i) {
    auto p = problem(rows_[i]);
    if (!p) return Err(p.error());
    if (*p) {
      (*p)->row = i + 1;
      out.rejections.push_back(std::move(**p));
      continue;
    }
    accept(rows_[i]);
    PlannedAccount planned;
    planned.row = &rows_[i];
    planned.ipv4 = rows_[i].ipv4;
    planned.ipv6 = rows_[i].ipv6;
    if (rows_[i].ppp) planned.ppp = credential_for(*rows_[i].ppp).value();
    out.accounts.push_back(std::move(planned));
  }
  for (const auto family : {IpAddress::Family::kV4, IpAddress::Family::kV6}) {
    auto leased = lease(family, out);
    if (!leased) return Err(leased.error());
  }
  if (!out.rejections.empty()) {
    std::sort(out.rejections.begin(), out.rejections.end(),
              [](const Rejection& a, const Rejection& b) { return a.row < b.row; });
    out.accounts.clear();
  }
  return out;
}

}  // namespace

std::optional<IpAddress> next_address(const IpAddress& address) {
  std::array<std::uint8_t, 16> b{};
  std::copy_n(address.data(), address.size(), b.begin());
  for (std::size_t i = address.size(); i-- > 0;) {
    if (++b[i] == 0) continue;
    if (address.is_v4()) return IpAddress::v4({b[0], b[1], b[2], b[3]});
    return IpAddress::v6(b);
  }
  return std::nullopt;
}

Result<PppCredential, std::string> credential_for(const PppLogin& login) {
  if (login.password && login.nt_hash)
    return Err(std::string("give the PPP password or its NT hash, not both"));
  if (login.keep_cleartext && !login.password)
    return Err(std::string("keeping the clear PPP password (for CHAP-MD5) needs the password"));
  PppCredential credential;
  if (login.nt_hash) {
    credential.nt_hash = *login.nt_hash;
    return credential;
  }
  if (!login.password) return Err(std::string("the PPP login has neither password nor NT hash"));
  auto hash = crypto::nt_password_hash(*login.password);
  if (!hash)
    return Err(std::string(
        "the PPP password's NT hash cannot be computed: the password is not valid UTF-8, or "
        "OpenSSL's legacy provider (MD4) is not installed"));
  credential.nt_hash = *hash;
  if (login.keep_cleartext) credential.password = login.password;
  return credential;
}

std::optional<std::pair<IpAddress, IpAddress>> lease_range(const hybrid::AddressPlan& plan,
                                                           IpAddress::Family family) {
  if (family == IpAddress::Family::kV4) {
    if (!plan.v4_first || !plan.v4_last || !plan.v4_first->is_v4() || !plan.v4_last->is_v4() ||
        *plan.v4_last < *plan.v4_first)
      return std::nullopt;
    return std::pair{*plan.v4_first, *plan.v4_last};
  }
  if (!plan.v6_pool || !plan.v6_pool->address().is_v6() || plan.v6_pool->length() > 123)
    return std::nullopt;
  std::array<std::uint8_t, 16> first{};
  std::copy_n(plan.v6_pool->address().data(), 16, first.begin());
  first[15] |= kV6LeaseOffset;
  return std::pair{IpAddress::v6(first), plan.v6_pool->last()};
}

std::vector<IpAddress> free_addresses(const IpAddress& first, const IpAddress& last,
                                      const std::vector<IpAddress>& held,
                                      const std::vector<IpAddress>& reserved,
                                      const std::vector<IpPrefix>& subnets, std::size_t count) {
  std::vector<IpAddress> out;
  auto next_held = std::lower_bound(held.begin(), held.end(), first);
  std::optional<IpAddress> cursor = first;
  while (out.size() < count && cursor && *cursor <= last) {
    const IpAddress a = *cursor;
    cursor = next_address(a);
    while (next_held != held.end() && *next_held < a) ++next_held;
    if (next_held != held.end() && *next_held == a) continue;
    if (std::find(reserved.begin(), reserved.end(), a) != reserved.end()) continue;
    if (std::any_of(subnets.begin(), subnets.end(),
                    [&](const IpPrefix& s) { return s.contains(a); }))
      continue;
    out.push_back(a);
  }
  return out;
}

StoreResult<std::vector<IpAddress>> StateLookup::free_in(const IpAddress& first,
                                                         const IpAddress& last,
                                                         const std::vector<IpAddress>& taken,
                                                         const std::vector<IpAddress>& reserved,
                                                         const std::vector<IpPrefix>& subnets,
                                                         std::size_t count) {
  auto held = held_in(first, last);
  if (!held) return Err(held.error());
  std::vector<IpAddress> unusable = taken;
  for (const auto& [address, owner] : *held) unusable.push_back(address);
  std::sort(unusable.begin(), unusable.end());
  return free_addresses(first, last, unusable, reserved, subnets, count);
}

StoreResult<std::vector<IpAddress>> free_addresses_probing(
    const IpAddress& first, const IpAddress& last, const std::vector<IpAddress>& taken,
    const std::vector<IpAddress>& reserved, const std::vector<IpPrefix>& subnets, std::size_t count,
    const LowestUnheld& lowest_unheld) {
  std::vector<IpAddress> out;
  std::optional<IpAddress> cursor = first;
  while (out.size() < count && cursor && *cursor <= last) {
    auto probed = lowest_unheld(*cursor);
    if (!probed) return Err(probed.error());
    if (!*probed) break;
    const IpAddress a = **probed;
    cursor = next_address(a);
    // Past a subnet at once: it may be large, and none of its addresses can be leased.
    const auto subnet = std::find_if(subnets.begin(), subnets.end(),
                                     [&](const IpPrefix& s) { return s.contains(a); });
    if (subnet != subnets.end()) {
      cursor = next_address(subnet->last());
      continue;
    }
    if (std::binary_search(taken.begin(), taken.end(), a) ||
        std::find(reserved.begin(), reserved.end(), a) != reserved.end())
      continue;
    out.push_back(a);
  }
  return out;
}

StoreResult<std::optional<Rejection>> check_subnets(const std::string& account,
                                                    const std::vector<IpPrefix>& subnets,
                                                    const hybrid::AddressPlan& plan,
                                                    StateLookup& lookup) {
  auto existing = lookup.subnets();
  if (!existing) return Err(existing.error());
  return subnets_verdict(account, subnets, plan, lookup, *existing, {});
}

StoreResult<BatchPlan> check_batch(const std::vector<NewAccount>& rows,
                                   const hybrid::AddressPlan& plan, StateLookup& lookup) {
  return BatchChecker(rows, plan, lookup).run();
}

}  // namespace tandem::store
