// Local verification for PAP (RFC 1334), CHAP-MD5 (RFC 1994) and MS-CHAPv2 (RFC 2759 section 5).
#include "ppp/local_auth.hpp"

#include "crypto/constant_time.hpp"

namespace tandem::ppp {
namespace {

std::optional<crypto::NtPasswordHash> hash_of(const LocalCredential& c) {
  if (c.nt_hash) return c.nt_hash;
  if (c.password) return crypto::nt_password_hash(*c.password);
  return std::nullopt;
}

AuthVerdict denied(std::string why) {
  return {false, "", std::move(why)};
}

}  // namespace

AuthVerdict verify_locally(const AuthRequest& r, const LocalCredential& c) {
  switch (r.method) {
    case AuthMethod::kPap: {
      if (c.password)
        return crypto::constant_time_equal(as_bytes(*c.password), as_bytes(r.password))
                   ? AuthVerdict{true, "", ""}
                   : denied(std::string(kBadPassword));
      const auto stored = hash_of(c);
      const auto given = crypto::nt_password_hash(r.password);
      if (!stored || !given) return denied("no usable credential");
      return crypto::constant_time_equal(stored->bytes(), given->bytes())
                 ? AuthVerdict{true, "", ""}
                 : denied(std::string(kBadPassword));
    }
    case AuthMethod::kChapMd5: {
      if (!c.password) return denied("CHAP-MD5 needs a clear-text password for this user");
      const auto expected = crypto::chap_md5_response(r.identifier, *c.password, r.challenge);
      return crypto::constant_time_equal(expected, r.response) ? AuthVerdict{true, "", ""}
                                                               : denied(std::string(kBadPassword));
    }
    case AuthMethod::kMsChapV2: {
      const auto hash = hash_of(c);
      if (!hash || r.challenge.size() != 16 || r.peer_challenge.size() != 16 ||
          r.response.size() != 24)
        return denied("no usable credential");
      crypto::MsChapChallenge auth{}, peer{};
      std::copy(r.challenge.begin(), r.challenge.end(), auth.begin());
      std::copy(r.peer_challenge.begin(), r.peer_challenge.end(), peer.begin());
      const auto expected = crypto::generate_nt_response(auth, peer, r.username, *hash);
      if (!expected || !crypto::constant_time_equal(*expected, r.response))
        return denied(std::string(kBadPassword));
      crypto::NtResponse nt{};
      std::copy(r.response.begin(), r.response.end(), nt.begin());
      auto s = crypto::generate_authenticator_response(*hash, nt, peer, auth, r.username);
      if (!s) return denied("MS-CHAPv2 unavailable");
      return {true, *s, ""};
    }
    case AuthMethod::kNone:
      break;
  }
  return denied("no authentication method");
}

}  // namespace tandem::ppp
