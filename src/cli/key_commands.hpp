// `tandem genkey`, `tandem pubkey`, `tandem genpsk`: the same text formats as `wg`.
#pragma once

#include <iosfwd>

namespace tandem::cli {

// Each returns a process exit code and writes one base64 key and a newline to out. out_fd is the
// descriptor behind out (STDOUT_FILENO, or -1 for none): when it is a file group or others can
// read, a warning goes to err first, as `wg genkey > file` gives one.
int run_genkey(std::ostream& out, int out_fd, std::ostream& err);
int run_genpsk(std::ostream& out, int out_fd, std::ostream& err);
// Reads a base64 private key from in (surrounding whitespace allowed), as `wg pubkey` does.
int run_pubkey(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
