// The libpq wrapper against a throwaway server: values travel as parameters (bytes with NULs
// and quotes included), NULLs stay NULL, and a failure keeps its SQLSTATE so that callers can
// tell a collision worth retrying from the rest.
#include "store/pg.hpp"

#include <gtest/gtest.h>

#include "store/test_postgres_server.hpp"

namespace tandem::store::pg {
namespace {

class PgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(server_.problem(), "");
    ASSERT_EQ(server_.create_database("tandem"), "");
    auto connection = Connection::open(server_.conninfo("tandem"));
    ASSERT_TRUE(connection.ok()) << connection.error().message;
    db_.emplace(std::move(*connection));
  }

  testing::PostgresServer server_;
  std::optional<Connection> db_;
};

TEST_F(PgTest, BytesTextAndNullTravelAsParameters) {
  const std::vector<std::byte> bytes = {std::byte{0}, std::byte{0x27}, std::byte{0xff},
                                        std::byte{0x5c}};
  auto rows = db_->exec("SELECT $1::bytea, $2::text, $3::text IS NULL, $4::bigint",
                        Params()
                            .add(std::span<const std::byte>(bytes))
                            .add("it's; DROP TABLE x")
                            .add_null()
                            .add(std::int64_t{-42}));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1);
  EXPECT_EQ(rows->bytes(0, 0), bytes);
  EXPECT_EQ(rows->text(0, 1), "it's; DROP TABLE x");
  EXPECT_TRUE(rows->boolean(0, 2));
  EXPECT_EQ(rows->integer(0, 3), -42);
}

TEST_F(PgTest, ArrayParametersKeepQuotesBackslashesAndBytes) {
  const std::vector<std::string> texts = {"plain", "it's \"quoted\"", "back\\slash", "{a,b}", ""};
  auto rows = db_->exec("SELECT unnest($1::text[])", Params().add(array_literal(texts)));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 5);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rows->text(i, 0), texts[static_cast<std::size_t>(i)]);
  const std::vector<std::byte> bytes = {std::byte{0}, std::byte{0x22}, std::byte{0x5c},
                                        std::byte{0xff}};
  auto bytea =
      db_->exec("SELECT unnest($1::bytea[])", Params().add(array_literal({bytea_text(bytes)})));
  ASSERT_TRUE(bytea.ok()) << bytea.error().message;
  ASSERT_EQ(bytea->size(), 1);
  EXPECT_EQ(bytea->bytes(0, 0), bytes);
  auto none = db_->exec("SELECT count(*) FROM unnest($1::text[])", Params().add(array_literal({})));
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_EQ(none->integer(0, 0), 0);
}

TEST_F(PgTest, InsertManySplitsRowsAcrossStatementsAndReadsWhatTheyReturn) {
  EXPECT_EQ(values_rows("($, $::inet)", 2), "($1, $2::inet), ($3, $4::inet)");
  ASSERT_TRUE(db_->run("CREATE TABLE t (k bigint PRIMARY KEY, v text)").ok());
  const std::size_t n = rows_per_statement(2) * 2 + 7;  // three statements
  std::size_t returned = 0;
  auto done = insert_many(
      *db_, "INSERT INTO t (k, v) VALUES ", "($::bigint, $)", 2, n,
      [](std::size_t i, Params& p) {
        p.add(static_cast<std::int64_t>(i)).add("row " + std::to_string(i));
      },
      " RETURNING k", [&](const Rows& rows) { returned += static_cast<std::size_t>(rows.size()); });
  ASSERT_TRUE(done.ok()) << done.error().message;
  EXPECT_EQ(returned, n);
  auto check = db_->exec("SELECT count(*), max(k) FROM t WHERE v = 'row ' || k");
  ASSERT_TRUE(check.ok());
  EXPECT_EQ(check->integer(0, 0), static_cast<std::int64_t>(n));
  EXPECT_EQ(check->integer(0, 1), static_cast<std::int64_t>(n - 1));
}

TEST_F(PgTest, UniqueViolationIsAConflictWorthRetrying) {
  ASSERT_TRUE(db_->run("CREATE TABLE t (k integer PRIMARY KEY)").ok());
  ASSERT_TRUE(db_->run("INSERT INTO t VALUES (1)").ok());
  auto again = db_->run("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Error::Code::kConflict);
  EXPECT_EQ(db_->last_state(), "23505");
  EXPECT_TRUE(db_->retryable());
  auto affected = db_->exec("DELETE FROM t WHERE k = $1", Params().add(std::int64_t{1}));
  ASSERT_TRUE(affected.ok());
  EXPECT_EQ(affected->affected(), 1);
  EXPECT_EQ(db_->last_state(), "");
}

TEST_F(PgTest, OtherFailuresAreNotRetriedAndNameTheDatabase) {
  auto bad = db_->run("SELECT * FROM no_such_table");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Error::Code::kDatabase);
  EXPECT_FALSE(db_->retryable());
  EXPECT_NE(bad.error().message.find("database tandem"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(db_->lost());
}

}  // namespace
}  // namespace tandem::store::pg
