// Migration 1, the initial schema: the SQLite store's tables, in PostgreSQL's types.
//
//   accounts         one row an account: name (unique), state, times (unix milliseconds), IKE
//   account_subnets  a site's networks
//   wireguard_keys   public key (the primary key: one account at most), preshared key, not_after
//   ppp_credentials  the NT hash, and the clear password only where the operator asked for it
//   addresses        every address an account holds, fixed or leased, as an inet host address
//                    (ordered numerically, IPv4 before IPv6, with + and - for the free-address
//                    search); the primary key is what makes an address one account's at most,
//                    whichever gateway writes
//   events           the history, appended
//   changes          (revision, account name) for each account a mutation touched
//   meta             the revision and the oldest revision the change log still covers
//
// Removing an account cascades to its keys, credential, subnets and addresses; its change-log
// rows and events are kept by name.
//
// Migration 2: accounts.mtu_probe_target, the address a gateway probes the account's path MTU
// at (text, as written in the config file; NULL: none).
//
// Migration 3: accounts.account_class, the account's class (text such as "staff"; NULL: none),
// which picks the directory group its logins need ([[ldap.class]]).
#include "store/postgres_schema.hpp"

#include <span>

namespace tandem::store::postgres {
namespace {

struct Migration {
  int version;
  const char* sql;
};

constexpr const char* kInitialSchema = R"sql(
CREATE TABLE accounts (
  id          bigserial PRIMARY KEY,
  name        text NOT NULL UNIQUE,
  state       text NOT NULL CHECK (state IN ('active', 'disabled', 'revoked')),
  revoked_at  bigint,
  created_at  bigint NOT NULL,
  updated_at  bigint NOT NULL,
  ike_id      text,
  ike_psk     text
);
CREATE TABLE account_subnets (
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  prefix      text NOT NULL,
  PRIMARY KEY (account_id, prefix)
);
CREATE TABLE wireguard_keys (
  public_key     bytea PRIMARY KEY CHECK (length(public_key) = 32),
  account_id     bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  preshared_key  bytea CHECK (preshared_key IS NULL OR length(preshared_key) = 32),
  not_after      bigint,
  created_at     bigint NOT NULL,
  added          bigserial
);
CREATE INDEX wireguard_keys_by_account ON wireguard_keys (account_id);
CREATE TABLE ppp_credentials (
  account_id  bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
  nt_hash     bytea NOT NULL CHECK (length(nt_hash) = 16),
  password    text
);
CREATE TABLE addresses (
  address     inet PRIMARY KEY CHECK (masklen(address) = CASE family(address) WHEN 4 THEN 32
                                                          ELSE 128 END),
  account_id  bigint NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
  leased      boolean NOT NULL,
  created_at  bigint NOT NULL
);
CREATE UNIQUE INDEX addresses_one_per_family ON addresses (account_id, family(address));
CREATE TABLE events (
  id       bigserial PRIMARY KEY,
  at       bigint NOT NULL,
  kind     text NOT NULL,
  account  text NOT NULL,
  detail   text NOT NULL
);
CREATE INDEX events_by_account ON events (account, id);
CREATE TABLE changes (
  revision  bigint NOT NULL,
  account   text NOT NULL,
  PRIMARY KEY (revision, account)
);
CREATE TABLE meta (
  key    text PRIMARY KEY,
  value  bigint NOT NULL
);
INSERT INTO meta (key, value) VALUES ('revision', 0), ('changes_from', 0);
)sql";

// Append only; see the header.
constexpr Migration kMigrations[] = {
    {1, kInitialSchema},
    {2, "ALTER TABLE accounts ADD COLUMN mtu_probe_target text;"},
    {3, "ALTER TABLE accounts ADD COLUMN account_class text;"},
};

// The advisory lock every migrating gateway takes: 'tandem' 'schema' in ASCII, a number no
// other program is likely to lock in the same database.
constexpr std::int64_t kMigrationLock = 0x74616e64656d5343;

StoreResult<int> current_version(pg::Connection& connection) {
  auto created =
      connection.run("CREATE TABLE IF NOT EXISTS schema_version (version integer PRIMARY KEY)");
  if (!created) return Err(created.error());
  auto rows = connection.exec("SELECT max(version) FROM schema_version");
  if (!rows) return Err(rows.error());
  return rows->size() == 1 && !rows->is_null(0, 0) ? static_cast<int>(rows->integer(0, 0)) : 0;
}

StoreResult<Ok> migrate_locked(pg::Connection& connection) {
  auto locked =
      connection.run("SELECT pg_advisory_xact_lock($1)", pg::Params().add(kMigrationLock));
  if (!locked) return locked;
  auto version = current_version(connection);
  if (!version) return Err(version.error());
  if (*version > latest_schema_version())
    return Err(Error{Error::Code::kDatabase,
                     "the PostgreSQL state database has schema version " +
                         std::to_string(*version) + ", newer than this tandem knows (" +
                         std::to_string(latest_schema_version()) +
                         "); run the tandem that wrote it, or a newer one"});
  for (const Migration& m : kMigrations) {
    if (m.version <= *version) continue;
    auto applied = connection.run_script(m.sql);
    if (!applied) return applied;
    auto recorded = connection.run("INSERT INTO schema_version (version) VALUES ($1)",
                                   pg::Params().add(std::int64_t{m.version}));
    if (!recorded) return recorded;
  }
  return Ok{};
}

}  // namespace

int latest_schema_version() {
  return std::span(kMigrations).back().version;
}

StoreResult<Ok> migrate(pg::Connection& connection) {
  auto begun = connection.run("BEGIN");
  if (!begun) return begun;
  auto migrated = migrate_locked(connection);
  if (!migrated) {
    (void)connection.run("ROLLBACK");
    return migrated;
  }
  return connection.run("COMMIT");
}

}  // namespace tandem::store::postgres
