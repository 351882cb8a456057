// The text exposition format (exposition.hpp).
#include "metrics/exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

namespace tandem::metrics {
namespace {

// Backslash and newline escaped, and double quotes too in a label value (not in HELP text).
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  for (const char c : text) {
    if (c == '\\' || (quotes && c == '"'))
      out += {'\\', c};
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string render_labels(const Labels& labels) {
  if (labels.empty()) return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + '"';
  }
  return out + '}';
}

std::string render_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Integers as integers: byte counters past 2^53 lose precision either way, and %.17g of a
  // whole number prints it in full up to that point.
  if (value == std::floor(value) && std::fabs(value) < 1e17) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

void Exposition::family(const std::string& name, MetricType type, std::string help) {
  if (type == MetricType::kCounter && !name.ends_with("_total"))
    throw std::invalid_argument("counter " + name + " must end in _total");
  if (index_.contains(name)) return;
  index_.emplace(name, families_.size());
  families_.push_back({name, type, std::move(help), {}, {}});
}

void Exposition::add(const std::string& name, const Labels& labels, double value) {
  const auto it = index_.find(name);
  if (it == index_.end()) throw std::invalid_argument("metric family " + name + " not declared");
  Family& f = families_[it->second];
  std::string rendered = render_labels(labels);
  if (f.seen.insert(rendered).second) f.samples.emplace_back(std::move(rendered), value);
}

std::string Exposition::text() const {
  std::string out;
  for (const Family& f : families_) {
    out += "# HELP " + f.name + ' ' + escape(f.help, false) + '\n';
    out += "# TYPE " + f.name + (f.type == MetricType::kCounter ? " counter\n" : " gauge\n");
    for (const auto& [labels, value] : f.samples)
      out += f.name + labels + ' ' + render_value(value) + '\n';
  }
  return out;
}

}  // namespace tandem::metrics
