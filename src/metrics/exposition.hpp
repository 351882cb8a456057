// The Prometheus text exposition format, version 0.0.4: metric families, each with its HELP and
// TYPE once, then its samples. Label values are escaped (backslash, double quote, newline), a
// counter's name ends in _total, and a series (name and labels) appears once: the first value
// given for it stands. Pure: builds a string, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tandem::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType : std::uint8_t { kCounter, kGauge };

using Labels = std::vector<std::pair<std::string, std::string>>;

class Exposition {
 public:
  // Declares a family (again: no change); a counter without the _total suffix is a programming
  // error and is refused with std::invalid_argument.
  void family(const std::string& name, MetricType type, std::string help);
  // One sample of a declared family; an undeclared one is refused with std::invalid_argument.
  void add(const std::string& name, const Labels& labels, double value);
  // Families in the order they were declared, samples in the order they were added.
  std::string text() const;

 private:
  struct Family {
    std::string name;
    MetricType type;
    std::string help;
    std::vector<std::pair<std::string, double>> samples;  // rendered label set, value
    std::set<std::string, std::less<>> seen;              // the label sets above
  };
  std::vector<Family> families_;
  std::map<std::string, std::size_t, std::less<>> index_;
};

// `value` with backslash, double quote and newline escaped, as a label value must be.
std::string escape_label_value(std::string_view value);

}  // namespace tandem::metrics
