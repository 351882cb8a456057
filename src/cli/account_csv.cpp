#include "cli/account_csv.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "crypto/key_encoding.hpp"
#include "hybrid/account_class.hpp"

namespace tandem::cli {
namespace {

// The fields of one record starting at `at`, which moves past its line end; nullopt for an
// unterminated quote.
std::optional<std::vector<std::string>> record(std::string_view text, std::size_t& at,
                                               std::size_t& lines) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  while (at < text.size()) {
    const char c = text[at++];
    if (quoted) {
      if (c == '"' && at < text.size() && text[at] == '"') {
        fields.back() += '"';
        ++at;
      } else if (c == '"') {
        quoted = false;
      } else {
        if (c == '\n') ++lines;
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c == '\n') {
      ++lines;
      break;
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  if (quoted) return std::nullopt;
  return fields;
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// One row into an account; the reason it cannot be one otherwise.
Result<store::NewAccount, std::string> account_of(const std::map<std::string, std::string>& row,
                                                  bool keep_cleartext) {
  store::NewAccount a;
  const auto field = [&](const char* name) {
    const auto it = row.find(name);
    return it == row.end() ? std::string() : it->second;
  };
  a.name = field("name");
  if (a.name.empty()) return Err(std::string("no name"));
  if (const auto key = field("public_key"); !key.empty()) {
    auto bytes = crypto::decode_key_base64(key);
    if (!bytes) return Err("public_key '" + key + "' is not a base64 WireGuard key");
    a.wireguard_keys.push_back({crypto::PublicKey(*bytes), std::nullopt, std::nullopt});
  }
  if (const auto password = field("password"); !password.empty())
    a.ppp = store::PppLogin{password, std::nullopt, keep_cleartext};
  if (a.wireguard_keys.empty() && !a.ppp)
    return Err(std::string("neither public_key nor password"));
  for (const auto& [column, target] : {std::pair{"ipv4", &a.ipv4}, std::pair{"ipv6", &a.ipv6},
                                       std::pair{"mtu_probe_target", &a.mtu_probe_target}}) {
    const auto text = field(column);
    if (text.empty()) continue;
    auto address = IpAddress::parse(text);
    if (!address) return Err(std::string(column) + " '" + text + "' is not an address");
    *target = *address;
  }
  std::string subnets = field("subnets");
  std::size_t start = 0;
  while (start <= subnets.size() && !subnets.empty()) {
    const auto end = std::min(subnets.find(';', start), subnets.size());
    const auto text = trim(subnets.substr(start, end - start));
    if (!text.empty()) {
      auto prefix = IpPrefix::parse(text);
      if (!prefix) return Err("subnet '" + text + "' is not a prefix");
      a.subnets.push_back(*prefix);
    }
    start = end + 1;
  }
  if (const auto account_class = trim(field("class")); !account_class.empty()) {
    if (auto problem = hybrid::account_class_problem(account_class)) return Err(*problem);
    a.account_class = account_class;
  }
  return a;
}

}  // namespace

Result<CsvAccounts, std::string> parse_account_csv(std::string_view text, bool keep_cleartext) {
  static const std::vector<std::string> kColumns{"name", "public_key", "password",         "ipv4",
                                                 "ipv6", "subnets",    "mtu_probe_target", "class"};
  std::size_t at = 0, lines = 0;
  auto header = record(text, at, lines);
  if (!header || text.empty())
    return Err(std::string("the file is empty or its header unreadable"));
  for (auto& column : *header) {
    column = trim(column);
    if (std::find(kColumns.begin(), kColumns.end(), column) == kColumns.end())
      return Err("unknown column '" + column +
                 "' in the header: name, public_key, password, ipv4, ipv6, subnets, "
                 "mtu_probe_target, class");
  }
  if (std::find(header->begin(), header->end(), "name") == header->end())
    return Err(std::string("the header has no name column"));
  CsvAccounts out;
  while (at < text.size()) {
    const std::size_t line = lines + 1;
    auto fields = record(text, at, lines);
    if (!fields) {
      out.rejections.push_back({line, "a quote that never closes"});
      break;
    }
    if (fields->size() == 1 && trim(fields->front()).empty()) continue;  // a blank line
    if (fields->size() != header->size()) {
      out.rejections.push_back({line, std::to_string(fields->size()) + " fields, the header has " +
                                          std::to_string(header->size())});
      continue;
    }
    std::map<std::string, std::string> row;
    for (std::size_t i = 0; i < fields->size(); ++i) {
      // A password is taken as written; everything else without surrounding blanks.
      row[(*header)[i]] = (*header)[i] == "password" ? (*fields)[i] : trim((*fields)[i]);
      if ((*header)[i] == "password" && !(*fields)[i].empty()) out.has_passwords = true;
    }
    auto account = account_of(row, keep_cleartext);
    if (!account) {
      out.rejections.push_back({line, account.error()});
      continue;
    }
    out.rows.push_back(std::move(*account));
    out.lines.push_back(line);
  }
  return out;
}

}  // namespace tandem::cli
