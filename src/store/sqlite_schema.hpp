// The SQLite schema as numbered migrations. A database records the last migration applied in
// schema_version; opening it applies the ones after, all in one transaction, so a database is
// always at one version or the next and never between. A new version of the schema is one more
// entry at the end of the list in sqlite_schema.cpp; entries already released never change.
#pragma once

#include "store/sqlite.hpp"

namespace tandem::store::sqlite {

// The version a database has once migrate() has run.
int latest_schema_version();

// Brings the database to the latest version; refuses one written by a newer tandem.
StoreResult<Ok> migrate(Connection& connection);

}  // namespace tandem::store::sqlite
