// Migration 1, the initial schema:
//
//   accounts         one row an account: name (unique), state, times (unix milliseconds), IKE
//   account_subnets  a site's networks
//   wireguard_keys   public key (the primary key: one account at most), preshared key, not_after
//   ppp_credentials  the NT hash, and the clear password only where the operator asked for it
//   addresses        every address an account holds, fixed or leased, as 4 or 16 network-order
//                    bytes (so that ORDER BY and BETWEEN follow numeric order); the primary key
//                    is what makes an address one account's at most, whoever writes
//   events           the history, appended
//   changes          (revision, account name) for each account a mutation touched
//   meta             the revision and the oldest revision the change log still covers
//
// Removing an account cascades to its keys, credential, subnets and addresses (foreign keys are
// switched on for every connection); its change-log rows and events are kept by name.
//
// Migration 2: accounts.mtu_probe_target, the address a gateway probes the account's path MTU
// at (text, as written in the config file; NULL: none).
//
// Migration 3: accounts.account_class, the account's class (text such as "staff"; NULL: none),
// which picks the directory group its logins need ([[ldap.class]]).
#include "store/sqlite_schema.hpp"

#include <span>

namespace tandem::store::sqlite {
namespace {

struct Migration {
  int version;
  const char* sql;
};

constexpr const char* kInitialSchema = R"sql(
CREATE TABLE accounts (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL UNIQUE,
  state       TEXT NOT NULL CHECK (state IN ('active', 'disabled', 'revoked')),
  revoked_at  INTEGER,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  ike_id      TEXT,
  ike_psk     TEXT
);
CREATE TABLE account_subnets (
  account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  prefix      TEXT NOT NULL,
  PRIMARY KEY (account_id, prefix)
);
CREATE TABLE wireguard_keys (
  public_key     BLOB PRIMARY KEY CHECK (length(public_key) = 32),
  account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  preshared_key  BLOB CHECK (preshared_key IS NULL OR length(preshared_key) = 32),
  not_after      INTEGER,
  created_at     INTEGER NOT NULL
);
CREATE INDEX wireguard_keys_by_account ON wireguard_keys (account_id);
CREATE TABLE ppp_credentials (
  account_id  INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  nt_hash     BLOB NOT NULL CHECK (length(nt_hash) = 16),
  password    TEXT
);
CREATE TABLE addresses (
  address     BLOB PRIMARY KEY CHECK (length(address) IN (4, 16)),
  account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  leased      INTEGER NOT NULL CHECK (leased IN (0, 1)),
  created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX addresses_one_per_family ON addresses (account_id, length(address));
CREATE TABLE events (
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  at       INTEGER NOT NULL,
  kind     TEXT NOT NULL,
  account  TEXT NOT NULL,
  detail   TEXT NOT NULL
);
CREATE INDEX events_by_account ON events (account, id);
CREATE TABLE changes (
  revision  INTEGER NOT NULL,
  account   TEXT NOT NULL,
  PRIMARY KEY (revision, account)
) WITHOUT ROWID;
CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('revision', 0), ('changes_from', 0);
)sql";

// Append only; see the header.
constexpr Migration kMigrations[] = {
    {1, kInitialSchema},
    {2, "ALTER TABLE accounts ADD COLUMN mtu_probe_target TEXT;"},
    {3, "ALTER TABLE accounts ADD COLUMN account_class TEXT;"},
};

StoreResult<int> current_version(Connection& connection) {
  auto created = connection.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)");
  if (!created) return Err(created.error());
  auto q = connection.query("SELECT max(version) FROM schema_version");
  if (!q) return Err(q.error());
  auto row = q->step();
  if (!row) return Err(row.error());
  return *row && !q->is_null(0) ? static_cast<int>(q->integer(0)) : 0;
}

}  // namespace

int latest_schema_version() {
  return std::span(kMigrations).back().version;
}

StoreResult<Ok> migrate(Connection& connection) {
  auto transaction = Transaction::write(connection);
  if (!transaction) return Err(transaction.error());
  auto version = current_version(connection);
  if (!version) return Err(version.error());
  if (*version > latest_schema_version())
    return Err(Error{Error::Code::kDatabase,
                     "the state database has schema version " + std::to_string(*version) +
                         ", newer than this tandem knows (" +
                         std::to_string(latest_schema_version()) +
                         "); run the tandem that wrote it, or a newer one"});
  for (const Migration& m : kMigrations) {
    if (m.version <= *version) continue;
    auto applied = connection.exec(m.sql);
    if (!applied) return Err(applied.error());
    auto recorded = connection.query("INSERT INTO schema_version (version) VALUES (?1)");
    if (!recorded) return Err(recorded.error());
    auto ran = recorded->bind(1, std::int64_t{m.version}).run();
    if (!ran) return Err(ran.error());
  }
  return transaction->commit();
}

}  // namespace tandem::store::sqlite
