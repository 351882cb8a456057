// RFC 1994 section 4.1 and RFC 2759 section 8.
#include "crypto/mschap.hpp"

#include <vector>

#include "crypto/constant_time.hpp"

namespace tandem::crypto {
namespace {

// The two constants of 8.7, as the ASCII text they spell.
constexpr std::string_view kMagic1 = "Magic server to client signing constant";
constexpr std::string_view kMagic2 = "Pad to make it do more than one iteration";

void append(std::vector<std::byte>& v, ByteView b) {
  v.insert(v.end(), b.begin(), b.end());
}

// UTF-8 to UTF-16LE; nullopt on malformed input.
std::optional<std::vector<std::byte>> utf16le(std::string_view utf8) {
  std::vector<std::byte> out;
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

// 8.2 ChallengeHash. Only the user name counts, without a "DOMAIN\" prefix (RFC 2759 section 4).
std::array<std::byte, 8> challenge_hash(const MsChapChallenge& peer_challenge,
                                        const MsChapChallenge& authenticator_challenge,
                                        std::string_view username) {
  if (const auto slash = username.rfind('\\'); slash != std::string_view::npos)
    username = username.substr(slash + 1);
  std::vector<std::byte> input;
  append(input, peer_challenge);
  append(input, authenticator_challenge);
  append(input, as_bytes(username));
  const auto digest = sha1(input);
  std::array<std::byte, 8> out{};
  std::copy(digest.begin(), digest.begin() + 8, out.begin());
  return out;
}

// 8.6 DesEncrypt: a 7-byte key spread over 8 bytes, seven key bits each (parity bits unused).
std::optional<DesBlock> des_encrypt_7(const std::byte* key7,
                                      const std::array<std::byte, 8>& clear) {
  const auto k = [&](int i) { return std::to_integer<unsigned>(key7[i]); };
  DesBlock key{};
  key[0] = static_cast<std::byte>(k(0) & 0xfe);
  for (int i = 1; i < 7; ++i)
    key[static_cast<std::size_t>(i)] =
        static_cast<std::byte>(((k(i - 1) << (8 - i)) | (k(i) >> i)) & 0xfe);
  key[7] = static_cast<std::byte>((k(6) << 1) & 0xfe);
  return des_encrypt_block(key, clear);
}

std::optional<Md4Digest> hash_nt_password_hash(const NtPasswordHash& hash) {
  return md4(hash.bytes());
}

}  // namespace

Md5Digest chap_md5_response(std::uint8_t identifier, std::string_view secret, ByteView challenge) {
  std::vector<std::byte> input;
  input.push_back(static_cast<std::byte>(identifier));
  append(input, as_bytes(secret));
  append(input, challenge);
  auto digest = md5(input);
  secure_wipe(input);
  return digest;
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

std::optional<NtResponse> generate_nt_response(const MsChapChallenge& authenticator_challenge,
                                               const MsChapChallenge& peer_challenge,
                                               std::string_view username,
                                               const NtPasswordHash& password_hash) {
  const auto challenge = challenge_hash(peer_challenge, authenticator_challenge, username);
  // 8.5 ChallengeResponse: the hash zero-padded to 21 bytes, as three 7-byte DES keys.
  Secret<21> padded;
  std::copy(password_hash.bytes().begin(), password_hash.bytes().end(), padded.bytes().begin());
  NtResponse response{};
  for (std::size_t i = 0; i < 3; ++i) {
    auto block = des_encrypt_7(padded.data() + 7 * i, challenge);
    if (!block) return std::nullopt;
    std::copy(block->begin(), block->end(), response.begin() + static_cast<std::ptrdiff_t>(8 * i));
  }
  return response;
}

std::optional<std::string> generate_authenticator_response(
    const NtPasswordHash& password_hash, const NtResponse& nt_response,
    const MsChapChallenge& peer_challenge, const MsChapChallenge& authenticator_challenge,
    std::string_view username) {
  auto hash_hash = hash_nt_password_hash(password_hash);
  if (!hash_hash) return std::nullopt;
  std::vector<std::byte> input;
  append(input, *hash_hash);
  append(input, nt_response);
  append(input, as_bytes(kMagic1));
  const auto first = sha1(input);
  secure_wipe(*hash_hash);
  const auto challenge = challenge_hash(peer_challenge, authenticator_challenge, username);
  input.clear();
  append(input, first);
  append(input, challenge);
  append(input, as_bytes(kMagic2));
  const auto digest = sha1(input);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "S=";
  for (auto b : digest) {
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
