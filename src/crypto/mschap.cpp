// RFC 1994 section 4.1 and RFC 2759 section 8.
#include "crypto/mschap.hpp"

#include <algorithm>
#include <vector>

#include "crypto/constant_time.hpp"
#include "crypto/des.hpp"

namespace tandem::crypto {
namespace {

// The two constants of 8.7, as the ASCII text they spell.
constexpr std::string_view kMagic1 = "Magic server to client signing constant";
constexpr std::string_view kMagic2 = "Pad to make it do more than one iteration";

// UTF-8 to UTF-16LE, which is what Windows hashes; nullopt on malformed input (overlong forms,
// encoded surrogates, truncated sequences), which must not silently hash as something else.
std::optional<std::vector<std::byte>> utf16le(std::string_view utf8) {
  std::vector<std::byte> out;
  out.reserve(2 * utf8.size());
  const auto push = [&](std::uint32_t unit) {
    out.push_back(static_cast<std::byte>(unit & 0xff));
    out.push_back(static_cast<std::byte>(unit >> 8));
  };
  for (std::size_t i = 0; i < utf8.size();) {
    const auto lead = static_cast<unsigned char>(utf8[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      cp = lead;
    } else if ((lead & 0xe0) == 0xc0) {
      extra = 1;
      cp = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      extra = 2;
      cp = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      extra = 3;
      cp = lead & 0x07;
    } else {
      return std::nullopt;
    }
    if (extra > 0 && i + extra >= utf8.size()) return std::nullopt;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(utf8[i + k]);
      if ((c & 0xc0) != 0x80) return std::nullopt;
      cp = (cp << 6) | (c & 0x3f);
    }
    static constexpr std::uint32_t kMinForLength[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return std::nullopt;
    if (cp >= 0x10000) {
      cp -= 0x10000;
      push(0xd800 + (cp >> 10));
      push(0xdc00 + (cp & 0x3ff));
    } else {
      push(cp);
    }
    i += 1 + extra;
  }
  return out;
}

}  // namespace

Md5Digest chap_md5_response(std::uint8_t identifier, std::string_view secret, ByteView challenge) {
  const std::byte id[] = {static_cast<std::byte>(identifier)};
  return Md5().update(id).update(as_bytes(secret)).update(challenge).finish();
}

std::optional<NtPasswordHash> nt_password_hash(std::string_view password) {
  auto unicode = utf16le(password);
  if (!unicode) return std::nullopt;
  auto digest = md4(*unicode);
  secure_wipe(*unicode);
  if (!digest) return std::nullopt;
  NtPasswordHash hash{std::span<const std::byte, 16>(*digest)};
  secure_wipe(*digest);
  return hash;
}

std::optional<NtPasswordHashHash> hash_nt_password_hash(const NtPasswordHash& password_hash) {
  auto digest = md4(password_hash.bytes());
  if (!digest) return std::nullopt;
  NtPasswordHashHash hash{std::span<const std::byte, 16>(*digest)};
  secure_wipe(*digest);
  return hash;
}

ChallengeHash challenge_hash(const MsChapChallenge& peer_challenge,
                             const MsChapChallenge& authenticator_challenge,
                             std::string_view username) {
  // Windows sends "DOMAIN\user" as the Name but hashes only "user" (8.2).
  if (const auto slash = username.rfind('\\'); slash != std::string_view::npos)
    username = username.substr(slash + 1);
  const auto digest = Sha1()
                          .update(peer_challenge)
                          .update(authenticator_challenge)
                          .update(as_bytes(username))
                          .finish();
  ChallengeHash out{};
  std::copy_n(digest.begin(), out.size(), out.begin());
  return out;
}

std::optional<NtResponse> challenge_response(const ChallengeHash& challenge,
                                             const NtPasswordHash& password_hash) {
  Secret<3 * kDesKeyBitsSize> padded;  // zero-filled past the 16 hash bytes
  std::copy(password_hash.bytes().begin(), password_hash.bytes().end(), padded.bytes().begin());
  NtResponse response{};
  for (std::size_t i = 0; i < 3; ++i) {
    const DesKey key = des_key_from_56_bits(std::span<const std::byte, kDesKeyBitsSize>(
        padded.data() + kDesKeyBitsSize * i, kDesKeyBitsSize));
    const auto block = des_ecb_encrypt_block(key.bytes(), challenge);
    if (!block) return std::nullopt;
    std::copy(block->begin(), block->end(), response.begin() + kDesBlockSize * i);
  }
  return response;
}

std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               const NtPasswordHash& password_hash) {
  return challenge_response(challenge_hash(peer_challenge, authenticator_challenge, username),
                            password_hash);
}

std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               std::string_view password) {
  const auto hash = nt_password_hash(password);
  if (!hash) return std::nullopt;
  return generate_nt_response(authenticator_challenge, peer_challenge, username, *hash);
}

std::optional<std::string> generate_authenticator_response(
    const NtPasswordHash& password_hash, const NtResponse& nt_response,
    const MsChapChallenge& peer_challenge, const MsChapChallenge& authenticator_challenge,
    std::string_view username) {
  const auto hash_hash = hash_nt_password_hash(password_hash);
  if (!hash_hash) return std::nullopt;
  auto inner =
      Sha1().update(hash_hash->bytes()).update(nt_response).update(as_bytes(kMagic1)).finish();
  const auto digest = Sha1()
                          .update(inner)
                          .update(challenge_hash(peer_challenge, authenticator_challenge, username))
                          .update(as_bytes(kMagic2))
                          .finish();
  secure_wipe(inner);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "S=";
  for (const auto b : digest) {
    out.push_back(kHex[std::to_integer<unsigned>(b) >> 4]);
    out.push_back(kHex[std::to_integer<unsigned>(b) & 0xf]);
  }
  return out;
}

bool check_authenticator_response(const NtPasswordHash& password_hash,
                                  const NtResponse& nt_response,
                                  const MsChapChallenge& peer_challenge,
                                  const MsChapChallenge& authenticator_challenge,
                                  std::string_view username, std::string_view received) {
  const auto expected = generate_authenticator_response(password_hash, nt_response, peer_challenge,
                                                        authenticator_challenge, username);
  return expected && constant_time_equal(as_bytes(*expected), as_bytes(received));
}

}  // namespace tandem::crypto
