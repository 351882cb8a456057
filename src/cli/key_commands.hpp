// `tandem genkey`, `tandem pubkey`, `tandem genpsk`: the same text formats as `wg`.
#pragma once

#include <iosfwd>

namespace tandem::cli {

// Each returns a process exit code and writes one base64 key and a newline to out.
int run_genkey(std::ostream& out, std::ostream& err);
int run_genpsk(std::ostream& out, std::ostream& err);
// Reads a base64 private key from in (surrounding whitespace allowed), as `wg pubkey` does.
int run_pubkey(std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tandem::cli
