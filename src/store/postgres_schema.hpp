// The PostgreSQL store's schema and its migrations, numbered as the SQLite store's are: each is
// applied once, in order, in one transaction with the schema_version row that records it.
#pragma once

#include "store/pg.hpp"

namespace tandem::store::postgres {

int latest_schema_version();

// Brings the database's schema up to date. Gateways starting together take turns: each holds a
// transaction-scoped advisory lock while it reads the version and applies what is missing, so a
// migration runs once however many start at the same time.
StoreResult<Ok> migrate(pg::Connection& connection);

}  // namespace tandem::store::postgres
