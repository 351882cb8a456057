#include "store/postgres_lookup.hpp"

namespace tandem::store::postgres {
namespace {

// The first column of the first row as text, if there is a row.
StoreResult<std::optional<std::string>> first_text(StoreResult<pg::Rows> rows) {
  if (!rows) return Err(rows.error());
  if (rows->size() == 0 || rows->is_null(0, 0)) return std::optional<std::string>{};
  return std::optional<std::string>(rows->text(0, 0));
}

// The lowest address from $1 to $2 not in the addresses table: $1 itself when nobody holds it,
// else the address after the first held one (from $1 up) whose successor nobody holds. The
// index walks the run of held addresses from $1 and stops at the first gap.
constexpr const char* kLowestUnheld = R"sql(
SELECT host(CASE WHEN NOT EXISTS (SELECT 1 FROM addresses WHERE address = $1::inet)
                 THEN $1::inet
                 ELSE (SELECT a.address + 1 FROM addresses a
                       WHERE a.address >= $1::inet AND a.address < $2::inet
                         AND NOT EXISTS (SELECT 1 FROM addresses b
                                         WHERE b.address = a.address + 1)
                       ORDER BY a.address LIMIT 1)
            END)
)sql";

}  // namespace

StoreResult<bool> PostgresLookup::name_exists(const std::string& name) {
  auto found =
      first_text(db_.exec("SELECT name FROM accounts WHERE name = $1", pg::Params().add(name)));
  if (!found) return Err(found.error());
  return found->has_value();
}

StoreResult<std::optional<std::string>> PostgresLookup::key_owner(const crypto::PublicKey& key) {
  return first_text(
      db_.exec("SELECT a.name FROM wireguard_keys k JOIN accounts a ON a.id = k.account_id "
               "WHERE k.public_key = $1",
               pg::Params().add(std::span<const std::byte>(key))));
}

StoreResult<std::optional<std::string>> PostgresLookup::address_owner(const IpAddress& address) {
  return first_text(
      db_.exec("SELECT a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
               "WHERE d.address = $1::inet",
               pg::Params().add(address.to_string())));
}

StoreResult<std::vector<std::pair<IpAddress, std::string>>> PostgresLookup::held_in(
    const IpAddress& first, const IpAddress& last) {
  auto rows = db_.exec(
      "SELECT host(d.address), a.name FROM addresses d JOIN accounts a ON a.id = d.account_id "
      "WHERE d.address BETWEEN $1::inet AND $2::inet ORDER BY d.address",
      pg::Params().add(first.to_string()).add(last.to_string()));
  if (!rows) return Err(rows.error());
  std::vector<std::pair<IpAddress, std::string>> held;
  for (int i = 0; i < rows->size(); ++i)
    if (auto address = IpAddress::parse(rows->text(i, 0)))
      held.emplace_back(*address, rows->text(i, 1));
  return held;
}

StoreResult<std::vector<std::pair<IpPrefix, std::string>>> PostgresLookup::subnets() {
  auto rows = db_.exec(
      "SELECT s.prefix, a.name FROM account_subnets s JOIN accounts a ON a.id = s.account_id");
  if (!rows) return Err(rows.error());
  std::vector<std::pair<IpPrefix, std::string>> subnets;
  for (int i = 0; i < rows->size(); ++i)
    if (auto prefix = IpPrefix::parse(rows->text(i, 0)))
      subnets.emplace_back(*prefix, rows->text(i, 1));
  return subnets;
}

StoreResult<std::optional<IpAddress>> PostgresLookup::lowest_unheld(const IpAddress& from,
                                                                    const IpAddress& last) {
  auto found =
      first_text(db_.exec(kLowestUnheld, pg::Params().add(from.to_string()).add(last.to_string())));
  if (!found) return Err(found.error());
  if (!*found) return std::optional<IpAddress>{};
  auto address = IpAddress::parse(**found);
  if (!address || last < *address) return std::optional<IpAddress>{};
  return address;
}

StoreResult<std::vector<IpAddress>> PostgresLookup::free_in(const IpAddress& first,
                                                            const IpAddress& last,
                                                            const std::vector<IpAddress>& taken,
                                                            const std::vector<IpAddress>& reserved,
                                                            const std::vector<IpPrefix>& subnets,
                                                            std::size_t count) {
  return free_addresses_probing(first, last, taken, reserved, subnets, count,
                                [&](const IpAddress& from) { return lowest_unheld(from, last); });
}

}  // namespace tandem::store::postgres
