#include "control/ipsec_proposals.hpp"

#include <optional>
#include <vector>

namespace tandem::control {
namespace {

using ipsec::ike::v1::Hash;

std::vector<std::string_view> split_dashes(std::string_view text) {
  std::vector<std::string_view> parts;
  while (true) {
    const auto dash = text.find('-');
    parts.push_back(text.substr(0, dash));
    if (dash == std::string_view::npos) return parts;
    text.remove_prefix(dash + 1);
  }
}

std::optional<std::uint16_t> aes_bits(std::string_view name) {
  if (name == "aes128") return 128;
  if (name == "aes192") return 192;
  if (name == "aes256") return 256;
  return std::nullopt;
}

std::optional<std::uint16_t> dh_group(std::string_view name) {
  if (name == "modp1024") return 2;
  if (name == "modp2048") return 14;
  if (name == "ecp256") return 19;
  if (name == "ecp384") return 20;
  return std::nullopt;
}

constexpr const char* kGroups = "modp2048, ecp256, ecp384 (or modp1024 with allow_modp1024)";

}  // namespace

Result<ipsec::ike::v1::Phase1Suite, std::string> parse_ikev1_proposal(std::string_view text) {
  const auto parts = split_dashes(text);
  if (parts.size() != 3)
    return Err("IKE proposal '" + std::string(text) +
               "' must be cipher-hash-group, e.g. aes256-sha256-modp2048");
  ipsec::ike::v1::Phase1Suite suite;
  suite.encryption = ipsec::ike::v1::kEncryptionAesCbc;
  const auto bits = aes_bits(parts[0]);
  if (!bits) return Err("IKE cipher '" + std::string(parts[0]) + "': use aes128, aes192 or aes256");
  suite.key_length = *bits;
  if (parts[1] == "sha1") {
    suite.hash = Hash::kSha1;
  } else if (parts[1] == "sha256") {
    suite.hash = Hash::kSha256;
  } else if (parts[1] == "sha384") {
    suite.hash = Hash::kSha384;
  } else if (parts[1] == "sha512") {
    suite.hash = Hash::kSha512;
  } else {
    return Err("IKE hash '" + std::string(parts[1]) + "': use sha1, sha256, sha384 or sha512");
  }
  const auto group = dh_group(parts[2]);
  if (!group) return Err("IKE group '" + std::string(parts[2]) + "': use " + kGroups);
  suite.group = *group;
  return suite;
}

Result<ipsec::ike::v1::Phase2Suite, std::string> parse_esp_proposal(std::string_view text) {
  const auto parts = split_dashes(text);
  ipsec::ike::v1::Phase2Suite suite;
  std::size_t next = 1;
  constexpr std::string_view kGcm = "gcm16";
  if (parts[0].size() > kGcm.size() && parts[0].substr(parts[0].size() - kGcm.size()) == kGcm) {
    const auto bits = aes_bits(parts[0].substr(0, parts[0].size() - kGcm.size()));
    if (!bits)
      return Err("ESP cipher '" + std::string(parts[0]) + "': use aes128gcm16 or aes256gcm16");
    suite.transform = ipsec::ike::v1::kEspAesGcm16;
    suite.key_length = *bits;
    suite.authentication = 0;
  } else {
    const auto bits = parts[0] == "3des" ? std::optional<std::uint16_t>(0) : aes_bits(parts[0]);
    if (!bits || parts.size() < 2)
      return Err("ESP proposal '" + std::string(text) +
                 "' must be aes128gcm16, aes256gcm16, aesNNN-sha1/-sha256 or 3des-sha1, "
                 "optionally followed by a PFS group");
    suite.transform = *bits == 0 ? ipsec::ike::v1::kEsp3des : ipsec::ike::v1::kEspAesCbc;
    suite.key_length = *bits;
    if (parts[1] == "sha1") {
      suite.authentication = ipsec::ike::v1::kAuthHmacSha1;
    } else if (parts[1] == "sha256") {
      suite.authentication = ipsec::ike::v1::kAuthHmacSha256;
    } else {
      return Err("ESP integrity '" + std::string(parts[1]) + "': use sha1 or sha256");
    }
    next = 2;
  }
  if (parts.size() > next + 1)
    return Err("ESP proposal '" + std::string(text) + "' has too many parts");
  if (parts.size() == next + 1) {
    const auto group = dh_group(parts[next]);
    if (!group) return Err("ESP PFS group '" + std::string(parts[next]) + "': use " + kGroups);
    suite.pfs_group = *group;
  }
  return suite;
}

}  // namespace tandem::control
