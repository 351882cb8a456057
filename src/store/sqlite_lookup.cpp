#include "store/sqlite_lookup.hpp"

#include "store/sqlite_codec.hpp"

namespace tandem::store::sqlite {
namespace {

// The first column of the first row as text, if there is a row.
StoreResult<std::optional<std::string>> first_text(StoreResult<Query>& q) {
  if (!q) return Err(q.error());
  auto row = q->step();
  if (!row) return Err(row.error());
  if (!*row) return std::optional<std::string>{};
  return std::optional<std::string>(q->text(0));
}

}  // namespace

StoreResult<bool> SqliteLookup::name_exists(const std::string& name) {
  auto q = db_.query("SELECT name FROM accounts WHERE name = ?1");
  if (q) q->bind(1, name);
  auto found = first_text(q);
  if (!found) return Err(found.error());
  return found->has_value();
}

StoreResult<std::optional<std::string>> SqliteLookup::key_owner(const crypto::PublicKey& key) {
  auto q = db_.query(
      "SELECT a.name FROM wireguard_keys k JOIN accounts a ON a.id = k.account_id "
      "WHERE k.public_key = ?1");
  if (q) q->bind(1, std::span<const std::byte>(key));
  return first_text(q);
}

StoreResult<std::optional<std::string>> SqliteLookup::address_owner(const IpAddress& address) {
  auto q = db_.query(
      "SELECT a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address = ?1");
  if (q) q->bind(1, address_bytes(address));
  return first_text(q);
}

StoreResult<std::vector<std::pair<IpAddress, std::string>>> SqliteLookup::held_in(
    const IpAddress& first, const IpAddress& last) {
  // The length test keeps the other family out: a 4-byte blob sorts among 16-byte ones.
  auto q = db_.query(
      "SELECT d.address, a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address BETWEEN ?1 AND ?2 AND length(d.address) = length(?1) "
      "ORDER BY d.address");
  if (!q) return Err(q.error());
  q->bind(1, address_bytes(first)).bind(2, address_bytes(last));
  std::vector<std::pair<IpAddress, std::string>> held;
  auto read = q->for_each([&](const Query& r) {
    if (auto address = address_from(r.blob(0))) held.emplace_back(*address, r.text(1));
  });
  if (!read) return Err(read.error());
  return held;
}

StoreResult<std::vector<std::pair<IpPrefix, std::string>>> SqliteLookup::subnets() {
  auto q = db_.query(
      "SELECT s.prefix, a.name FROM account_subnets s JOIN accounts a ON a.id = s.account_id");
  if (!q) return Err(q.error());
  std::vector<std::pair<IpPrefix, std::string>> subnets;
  auto read = q->for_each([&](const Query& r) {
    if (auto prefix = IpPrefix::parse(r.text(0))) subnets.emplace_back(*prefix, r.text(1));
  });
  if (!read) return Err(read.error());
  return subnets;
}

}  // namespace tandem::store::sqlite
