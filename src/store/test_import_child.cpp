// A process of its own for the store tests (sqlite_store_test.cpp): opens the SQLite store at
// argv[1], imports one account named argv[2] and exits 0, as `tandem account add` would from
// another process. A forked copy of the test would not do: it would share the test's view of
// the locks it holds on the database.
#include <cstdio>

#include "store/sqlite_store.hpp"
#include "store/test_store.hpp"

int main(int argc, char** argv) {
  namespace store = tandem::store;
  if (argc != 3) return 2;
  store::SqliteOptions options;
  options.plan = store::testing::test_plan();
  auto opened = store::SqliteStore::open(argv[1], std::move(options));
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message.c_str());
    return 1;
  }
  auto imported = (*opened)->import_accounts({store::testing::test_account(argv[2], 2)});
  if (!imported.ok() || imported->imported != 1) return 1;
  return 0;
}
