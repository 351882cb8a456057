#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace tandem::metrics {
namespace {

TEST(Exposition, WritesHelpAndTypeOncePerFamilyThenItsSamples) {
  Exposition e;
  e.family("tandem_x_total", MetricType::kCounter, "Things");
  e.family("tandem_y", MetricType::kGauge, "Level");
  e.add("tandem_x_total", {{"a", "1"}}, 3);
  e.add("tandem_y", {}, 0.5);
  e.add("tandem_x_total", {{"a", "2"}}, 4);
  EXPECT_EQ(e.text(),
            "# HELP tandem_x_total Things\n"
            "# TYPE tandem_x_total counter\n"
            "tandem_x_total{a=\"1\"} 3\n"
            "tandem_x_total{a=\"2\"} 4\n"
            "# HELP tandem_y Level\n"
            "# TYPE tandem_y gauge\n"
            "tandem_y 0.5\n");
}

TEST(Exposition, EscapesBackslashQuoteAndNewlineInLabelValues) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  Exposition e;
  e.family("m", MetricType::kGauge, "line one\nback\\slash");
  e.add("m", {{"name", "say \"hi\""}}, 1);
  EXPECT_EQ(e.text(),
            "# HELP m line one\\nback\\\\slash\n# TYPE m gauge\nm{name=\"say \\\"hi\\\"\"} 1\n");
}

TEST(Exposition, RefusesACounterWithoutTheTotalSuffix) {
  Exposition e;
  EXPECT_THROW(e.family("tandem_bytes", MetricType::kCounter, "x"), std::invalid_argument);
}

TEST(Exposition, RefusesASampleOfAnUndeclaredFamily) {
  Exposition e;
  EXPECT_THROW(e.add("nope", {}, 1), std::invalid_argument);
}

TEST(Exposition, KeepsTheFirstValueOfARepeatedSeries) {
  Exposition e;
  e.family("g", MetricType::kGauge, "h");
  e.add("g", {{"k", "v"}}, 1);
  e.add("g", {{"k", "v"}}, 2);
  EXPECT_EQ(e.text(), "# HELP g h\n# TYPE g gauge\ng{k=\"v\"} 1\n");
}

TEST(Exposition, WritesLargeCountersInFullAndEmptyFamiliesAsHeadersOnly) {
  Exposition e;
  e.family("c_total", MetricType::kCounter, "h");
  e.family("empty", MetricType::kGauge, "h");
  e.add("c_total", {}, 12345678901234.0);
  EXPECT_EQ(e.text(),
            "# HELP c_total h\n# TYPE c_total counter\nc_total 12345678901234\n"
            "# HELP empty h\n# TYPE empty gauge\n");
}

}  // namespace
}  // namespace tandem::metrics
