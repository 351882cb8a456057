// Accounts from a CSV file for `tandem account import-csv`: a header line naming the columns
// (name and any of public_key, password, ipv4, ipv6, subnets, mtu_probe_target, class; subnets
// separated by ';'), then one account per line. Fields may be quoted ("a, b" with "" for a quote,
// RFC 4180). A row that cannot be read is reported with its line number and nothing is imported.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "store/records.hpp"

namespace tandem::cli {

struct CsvRejection {
  std::size_t line = 0;  // 1-based, in the file
  std::string reason;
};

struct CsvAccounts {
  std::vector<store::NewAccount> rows;
  std::vector<std::size_t> lines;  // each row's line in the file
  std::vector<CsvRejection> rejections;
  bool has_passwords = false;  // a password column with a value: the file is a secret
};

// The accounts in `text`; an error for a file whose header is unusable. keep_cleartext applies
// to every row's password.
Result<CsvAccounts, std::string> parse_account_csv(std::string_view text, bool keep_cleartext);

}  // namespace tandem::cli
