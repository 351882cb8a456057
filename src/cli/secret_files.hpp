// Files that hold secrets (private keys, pre-shared keys, configs with keys inline): created
// readable by the owner only, whatever the umask, and a warning when a key goes to stdout that
// is a file others can read, as `wg genkey` gives.
#pragma once

#include <iosfwd>
#include <string>

#include "base/result.hpp"

namespace tandem::cli {

// Creates or truncates path with mode 0600 and writes contents. An existing file keeps its
// owner but loses any group or other access before a byte of the secret is written. Returns
// false, with errno-based text in error, if any step fails.
bool write_secret_file(const std::string& path, const std::string& contents, std::string& error);

// The first line of a file that holds a secret (`what`, e.g. "a private key"), trailing spaces
// and CR removed; refused, naming chmod 600, when group or others may read the file.
Result<std::string, std::string> read_secret_line(const std::string& path, const char* what);

// If fd is a regular file that group or others can read, writes the warning `wg genkey` gives
// (in our words) to err. Terminals, pipes and owner-only files get nothing.
void warn_if_others_can_read(int fd, std::ostream& err);

}  // namespace tandem::cli
