#include "cli/key_commands.hpp"

#include <istream>
#include <iterator>
#include <ostream>
#include <string>

#include "cli/secret_files.hpp"
#include "crypto/key_encoding.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

namespace tandem::cli {
namespace {

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

int run_genkey(std::ostream& out, int out_fd, std::ostream& err) {
  if (out_fd >= 0) warn_if_others_can_read(out_fd, err);
  crypto::SystemRng rng;
  const auto key = crypto::x25519_generate_private(rng);
  out << crypto::base64_encode(key.bytes()) << '\n';
  return 0;
}

int run_genpsk(std::ostream& out, int out_fd, std::ostream& err) {
  if (out_fd >= 0) warn_if_others_can_read(out_fd, err);
  crypto::SystemRng rng;
  crypto::Secret<32> psk;
  rng.fill(psk.bytes());
  out << crypto::base64_encode(psk.bytes()) << '\n';
  return 0;
}

int run_pubkey(std::istream& in, std::ostream& out, std::ostream& err) {
  std::string text(std::istreambuf_iterator<char>(in), {});
  auto raw = crypto::decode_key_base64(trim(std::move(text)));
  if (!raw) {
    err << "pubkey: Key is not the correct length or format\n";
    return 1;
  }
  crypto::PrivateKey key{std::span<const std::byte, 32>(*raw)};
  crypto::secure_wipe(*raw);
  crypto::x25519_clamp(key);
  out << crypto::base64_encode(crypto::x25519_public_key(key)) << '\n';
  return 0;
}

}  // namespace tandem::cli
