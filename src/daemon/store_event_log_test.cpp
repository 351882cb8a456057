// The accounts' events kept in the state store: those naming an account are written (on the log's
// own thread), the store's own account.* events and events about no account are not.
#include "daemon/store_event_log.hpp"

#include <gtest/gtest.h>

#include "daemon/event_sink.hpp"
#include "store/test_store.hpp"

namespace tandem::daemon {
namespace {

class StoreEventLogTest : public store::testing::StoreTest {};

TEST_F(StoreEventLogTest, KeepsTheEventsOfAccountsWithTheirDetail) {
  auto log = std::make_unique<StoreEventLog>(open_store());
  log->offer("l2tp.login", {{"account", "alice"}, {"user", "alice"}, {"peer", "192.0.2.1:1701"}});
  log->offer("l2tp.login_refused", {{"user", "mallory"}, {"reason", "unknown user"}});
  log->offer("account.revoked", {{"account", "alice"}});
  log->offer("session.hung_up", {{"account", "alice"}, {"reason", "revoked"}});
  log->flush();
  auto store = open_store();
  auto events = store->list_events(10, "alice");
  ASSERT_TRUE(events.ok()) << events.error().message;
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].kind, "session.hung_up");  // newest first
  EXPECT_EQ((*events)[1].kind, "l2tp.login");
  const auto detail = nlohmann::json::parse((*events)[1].detail);
  EXPECT_EQ(detail["peer"], "192.0.2.1:1701");
  EXPECT_FALSE(detail.contains("account"));
  auto all = store->list_events(10);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u) << "nothing about no account, and no second account.revoked";
}

TEST_F(StoreEventLogTest, TheEventSinkForwardsEveryEventUntilToldToStop) {
  auto log = std::make_unique<StoreEventLog>(open_store());
  events().set_forward(
      [&](std::string_view kind, const nlohmann::json& fields) { log->offer(kind, fields); });
  events().emit("l2tp.login", {{"account", "bob"}, {"user", "bob"}});
  events().set_forward(nullptr);
  events().emit("l2tp.login", {{"account", "bob"}, {"user", "bob"}});
  log->flush();
  auto listed = open_store()->list_events(10, "bob");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 1u);
}

TEST_F(StoreEventLogTest, WritesWhatIsQueuedBeforeItStops) {
  auto log = std::make_unique<StoreEventLog>(open_store());
  for (int i = 0; i < 200; ++i) log->offer("l2tp.login", {{"account", "carol"}, {"n", i}});
  log.reset();
  auto listed = open_store()->list_events(500, "carol");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), 200u);
}

}  // namespace
}  // namespace tandem::daemon

namespace tandem::daemon {
namespace {

// The log's own connection writes beside the gateway's poller and the CLI's imports: an import
// after a logged event is still a change the poller sees.
TEST_F(StoreEventLogTest, AnImportAfterALoggedEventIsAChangeToThePoller) {
  auto poller = open_store();
  auto cli = open_store();
  ASSERT_TRUE(cli->import_accounts({store::testing::test_account("alice", 1)}).ok());
  auto seen = poller->revision();
  ASSERT_TRUE(seen.ok());
  auto log = std::make_unique<StoreEventLog>(open_store());
  log->offer("l2tp.login", {{"account", "alice"}});
  log->flush();
  auto imported = cli->import_accounts(
      {store::testing::test_account("dave", 2), store::testing::test_account("erin", 3)});
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  EXPECT_EQ(imported->imported, 2u);
  auto changes = poller->changes_since(*seen);
  ASSERT_TRUE(changes.ok()) << changes.error().message;
  EXPECT_EQ(changes->accounts, (std::vector<std::string>{"dave", "erin"}));
}

}  // namespace
}  // namespace tandem::daemon
