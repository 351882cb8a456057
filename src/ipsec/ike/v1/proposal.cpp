#include "ipsec/ike/v1/proposal.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "crypto/aes.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

// Phase 1 attribute types (RFC 2409 appendix A).
constexpr std::uint16_t kP1Encryption = 1;
constexpr std::uint16_t kP1Hash = 2;
constexpr std::uint16_t kP1AuthMethod = 3;
constexpr std::uint16_t kP1Group = 4;
constexpr std::uint16_t kP1LifeType = 11;
constexpr std::uint16_t kP1LifeDuration = 12;
constexpr std::uint16_t kP1KeyLength = 14;
// Phase 2 attribute types (RFC 2407 4.5).
constexpr std::uint16_t kP2LifeType = 1;
constexpr std::uint16_t kP2LifeDuration = 2;
constexpr std::uint16_t kP2Group = 3;
constexpr std::uint16_t kP2Encapsulation = 4;
constexpr std::uint16_t kP2Authentication = 5;
constexpr std::uint16_t kP2KeyLength = 6;
constexpr std::uint32_t kLifeSeconds = 1;
constexpr std::uint8_t kKeyIke = 1;

Attribute basic(std::uint16_t type, std::uint32_t value) {
  return Attribute{type, true, value, {}};
}
Attribute seconds(std::uint16_t type, Duration d) {
  const auto s =
      static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(d).count());
  return Attribute{
      type, false, s, {std::byte(s >> 24), std::byte(s >> 16), std::byte(s >> 8), std::byte(s)}};
}

std::optional<std::uint32_t> find(const Transform& t, std::uint16_t type) {
  for (const auto& a : t.attributes)
    if (a.type == type) return a.value;
  return std::nullopt;
}

// The seconds lifetime among (type, duration) pairs; kilobyte lifetimes are not enforced.
std::optional<Duration> lifetime_of(const Transform& t, std::uint16_t type_attr,
                                    std::uint16_t duration_attr) {
  std::optional<std::uint32_t> type;
  for (const auto& a : t.attributes) {
    if (a.type == type_attr) type = a.value;
    if (a.type == duration_attr && type == kLifeSeconds) return std::chrono::seconds(a.value);
  }
  return std::nullopt;
}

Duration cut(std::optional<Duration> offered, Duration max) {
  return offered && *offered > Duration::zero() ? std::min(*offered, max) : max;
}

std::optional<Phase1Suite> phase1_suite_of(const Transform& t) {
  if (t.id != kKeyIke) return std::nullopt;
  const auto enc = find(t, kP1Encryption);
  const auto hash = find(t, kP1Hash);
  const auto group = find(t, kP1Group);
  if (!enc || !hash || !group || !hash_from_id(*hash)) return std::nullopt;
  if (find(t, kP1AuthMethod) != kAuthPreSharedKey) return std::nullopt;
  Phase1Suite s;
  s.encryption = static_cast<std::uint16_t>(*enc);
  s.key_length = static_cast<std::uint16_t>(find(t, kP1KeyLength).value_or(128));
  s.hash = *hash_from_id(*hash);
  s.group = static_cast<std::uint16_t>(*group);
  return s;
}

struct Phase2Offer {
  Phase2Suite suite;
  Encapsulation encapsulation = Encapsulation::kTransport;
  std::optional<Duration> lifetime;
};

std::optional<Phase2Offer> phase2_offer_of(const Transform& t) {
  Phase2Offer o;
  o.suite.transform = t.id;
  o.suite.key_length = static_cast<std::uint16_t>(find(t, kP2KeyLength).value_or(0));
  o.suite.authentication = static_cast<std::uint16_t>(find(t, kP2Authentication).value_or(0));
  o.suite.pfs_group = static_cast<std::uint16_t>(find(t, kP2Group).value_or(0));
  const auto enc = find(t, kP2Encapsulation);
  if (!enc) return std::nullopt;
  o.encapsulation = static_cast<Encapsulation>(*enc);
  o.lifetime = lifetime_of(t, kP2LifeType, kP2LifeDuration);
  return o;
}

bool is_udp(Encapsulation e) {
  return e == Encapsulation::kUdpTunnel || e == Encapsulation::kUdpTransport ||
         e == Encapsulation::kUdpTunnelDraft || e == Encapsulation::kUdpTransportDraft;
}
bool is_tunnel(Encapsulation e) {
  return e == Encapsulation::kTunnel || e == Encapsulation::kUdpTunnel ||
         e == Encapsulation::kUdpTunnelDraft;
}
Encapsulation encapsulation_for(EspMode mode, bool udp) {
  if (mode == EspMode::kTunnel) return udp ? Encapsulation::kUdpTunnel : Encapsulation::kTunnel;
  return udp ? Encapsulation::kUdpTransport : Encapsulation::kTransport;
}

std::uint32_t spi_value(const std::vector<std::byte>& spi) {
  if (spi.size() != 4) return 0;
  std::uint32_t v = 0;
  for (const std::byte b : spi) v = (v << 8) | std::to_integer<std::uint32_t>(b);
  return v;
}
std::vector<std::byte> spi_bytes(std::uint32_t v) {
  return {std::byte(v >> 24), std::byte(v >> 16), std::byte(v >> 8), std::byte(v)};
}

std::string encryption_name(std::uint16_t id, std::uint16_t bits) {
  if (id == kEncryptionAesCbc) return fmt::format("AES_CBC_{}", bits);
  if (id == 5) return "3DES_CBC";
  if (id == 1) return "DES_CBC";
  return fmt::format("ENCR_{}", id);
}
std::string group_name(std::uint16_t g) {
  switch (g) {
    case 0:
      return "NO_PFS";
    case 1:
      return "MODP_768";
    case 2:
      return "MODP_1024";
    case 5:
      return "MODP_1536";
    case 14:
      return "MODP_2048";
    case 19:
      return "ECP_256";
    case 20:
      return "ECP_384";
    default:
      return fmt::format("GROUP_{}", g);
  }
}

}  // namespace

SaPayload make_phase1_offer(const std::vector<Phase1Suite>& suites, Duration lifetime) {
  Proposal p;
  p.number = 1;
  p.protocol = kProtocolIsakmp;
  std::uint8_t n = 1;
  for (const auto& s : suites) {
    Transform t;
    t.number = n++;
    t.id = kKeyIke;
    t.attributes = {basic(kP1Encryption, s.encryption),
                    basic(kP1KeyLength, s.key_length),
                    basic(kP1Hash, static_cast<std::uint16_t>(s.hash)),
                    basic(kP1AuthMethod, kAuthPreSharedKey),
                    basic(kP1Group, s.group),
                    basic(kP1LifeType, kLifeSeconds),
                    seconds(kP1LifeDuration, lifetime)};
    p.transforms.push_back(std::move(t));
  }
  return SaPayload{1, 1, {std::move(p)}};
}

std::optional<Phase1Choice> select_phase1(const SaPayload& offered,
                                          const std::vector<Phase1Suite>& ours,
                                          Duration max_lifetime) {
  for (const auto& mine : ours)
    for (const auto& p : offered.proposals) {
      if (p.protocol != kProtocolIsakmp) continue;
      for (const auto& t : p.transforms) {
        const auto s = phase1_suite_of(t);
        if (!s || !(*s == mine)) continue;
        return Phase1Choice{mine, cut(lifetime_of(t, kP1LifeType, kP1LifeDuration), max_lifetime),
                            t, p.number};
      }
    }
  return std::nullopt;
}

SaPayload make_phase1_answer(const Phase1Choice& choice) {
  Proposal p;
  p.number = choice.proposal_number;
  p.protocol = kProtocolIsakmp;
  p.transforms = {choice.transform};
  return SaPayload{1, 1, {std::move(p)}};
}

Result<Phase1Choice, std::string> check_phase1_answer(const SaPayload& answer,
                                                      const std::vector<Phase1Suite>& offered) {
  if (answer.proposals.size() != 1 || answer.proposals[0].transforms.size() != 1)
    return Err(std::string("the answer is not one proposal with one transform"));
  const auto& t = answer.proposals[0].transforms[0];
  const auto s = phase1_suite_of(t);
  if (!s || std::find(offered.begin(), offered.end(), *s) == offered.end())
    return Err("the responder chose a transform we did not offer: " + describe_offer(answer));
  const auto life = lifetime_of(t, kP1LifeType, kP1LifeDuration);
  return Phase1Choice{*s, life.value_or(Duration::zero()), t, answer.proposals[0].number};
}

SaPayload make_phase2_offer(const std::vector<Phase2Suite>& suites, std::uint32_t our_spi,
                            EspMode mode, bool udp_encapsulated, Duration lifetime) {
  SaPayload sa;
  std::uint8_t n = 1;
  for (const auto& s : suites) {
    Proposal p;
    p.number = n++;
    p.protocol = kProtocolEsp;
    p.spi = spi_bytes(our_spi);
    Transform t;
    t.number = 1;
    t.id = s.transform;
    t.attributes = {basic(kP2LifeType, kLifeSeconds), seconds(kP2LifeDuration, lifetime),
                    basic(kP2Encapsulation,
                          static_cast<std::uint16_t>(encapsulation_for(mode, udp_encapsulated)))};
    if (s.authentication != 0) t.attributes.push_back(basic(kP2Authentication, s.authentication));
    if (s.key_length != 0) t.attributes.push_back(basic(kP2KeyLength, s.key_length));
    if (s.pfs_group != 0) t.attributes.push_back(basic(kP2Group, s.pfs_group));
    p.transforms.push_back(std::move(t));
    sa.proposals.push_back(std::move(p));
  }
  return sa;
}

std::optional<Phase2Choice> select_phase2(const SaPayload& offered,
                                          const std::vector<Phase2Suite>& ours, EspMode mode,
                                          bool udp_encapsulated, Duration max_lifetime) {
  for (const auto& mine : ours)
    for (const auto& p : offered.proposals) {
      if (p.protocol != kProtocolEsp || p.spi.size() != 4) continue;
      for (const auto& t : p.transforms) {
        const auto o = phase2_offer_of(t);
        if (!o || !(o->suite == mine)) continue;
        if (is_tunnel(o->encapsulation) != (mode == EspMode::kTunnel)) continue;
        if (is_udp(o->encapsulation) != udp_encapsulated) continue;
        return Phase2Choice{
            mine,    cut(o->lifetime, max_lifetime), mode, udp_encapsulated, spi_value(p.spi), t,
            p.number};
      }
    }
  return std::nullopt;
}

SaPayload make_phase2_answer(const Phase2Choice& choice, std::uint32_t our_spi) {
  Proposal p;
  p.number = choice.proposal_number;
  p.protocol = kProtocolEsp;
  p.spi = spi_bytes(our_spi);
  Transform t = choice.transform;
  // The lifetime we will hold the SA to, which may be shorter than the one offered.
  for (auto& a : t.attributes)
    if (a.type == kP2LifeDuration) a = seconds(kP2LifeDuration, choice.lifetime);
  p.transforms = {std::move(t)};
  return SaPayload{1, 1, {std::move(p)}};
}

Result<Phase2Choice, std::string> check_phase2_answer(const SaPayload& answer,
                                                      const std::vector<Phase2Suite>& offered,
                                                      EspMode mode) {
  if (answer.proposals.size() != 1 || answer.proposals[0].transforms.size() != 1)
    return Err(std::string("the answer is not one proposal with one transform"));
  const auto& p = answer.proposals[0];
  const auto o = phase2_offer_of(p.transforms[0]);
  if (p.protocol != kProtocolEsp || p.spi.size() != 4 || !o ||
      std::find(offered.begin(), offered.end(), o->suite) == offered.end())
    return Err("the responder chose a transform we did not offer: " + describe_offer(answer));
  if (is_tunnel(o->encapsulation) != (mode == EspMode::kTunnel))
    return Err(std::string("the responder chose another encapsulation mode"));
  return Phase2Choice{o->suite,
                      o->lifetime.value_or(Duration::zero()),
                      mode,
                      is_udp(o->encapsulation),
                      spi_value(p.spi),
                      p.transforms[0],
                      p.number};
}

namespace {
std::size_t cipher_key_bytes(const Phase2Suite& s) {
  return s.transform == kEsp3des ? crypto::kTripleDesKeySize : s.key_length / 8;
}
}  // namespace

std::size_t keymat_size(const Phase2Suite& s) {
  const std::size_t key = cipher_key_bytes(s);
  if (s.transform == kEspAesGcm16) return key + 4;
  return key + (s.authentication == kAuthHmacSha256 ? 32 : 20);
}

esp::SaKeys esp_keys(const Phase2Suite& s, ByteView keymat) {
  esp::SaKeys k;
  const std::size_t key = cipher_key_bytes(s);
  if (s.transform == kEspAesGcm16) {
    k.cipher = esp::Cipher::kAesGcm16;
    k.encryption.assign(keymat.begin(), keymat.begin() + static_cast<std::ptrdiff_t>(key + 4));
    return k;
  }
  k.cipher = s.transform == kEsp3des ? esp::Cipher::kTripleDesCbc : esp::Cipher::kAesCbc;
  k.encryption.assign(keymat.begin(), keymat.begin() + static_cast<std::ptrdiff_t>(key));
  k.integrity = s.authentication == kAuthHmacSha256 ? esp::Integrity::kHmacSha256_128
                                                    : esp::Integrity::kHmacSha1_96;
  k.authentication.assign(keymat.begin() + static_cast<std::ptrdiff_t>(key), keymat.end());
  return k;
}

std::string describe(const Phase1Suite& s) {
  return fmt::format("{}/PRF_HMAC_{}/{}", encryption_name(s.encryption, s.key_length),
                     hash_name(s.hash), group_name(s.group));
}

std::string describe(const Phase2Suite& s) {
  std::string out = s.transform == kEspAesGcm16 ? fmt::format("AES_GCM_16_{}", s.key_length)
                    : s.transform == kEsp3des
                        ? std::string("3DES_CBC")
                        : encryption_name(s.transform == kEspAesCbc ? kEncryptionAesCbc
                                                                    : std::uint16_t{s.transform},
                                          s.key_length);
  if (s.authentication == kAuthHmacSha1) out += "/HMAC_SHA1_96";
  if (s.authentication == kAuthHmacSha256) out += "/HMAC_SHA2_256_128";
  if (s.authentication == 1) out += "/HMAC_MD5_96";
  if (s.pfs_group != 0) out += "/" + group_name(s.pfs_group);
  return out;
}

std::string describe_offer(const SaPayload& sa) {
  std::string out;
  for (const auto& p : sa.proposals)
    for (const auto& t : p.transforms) {
      if (!out.empty()) out += ", ";
      if (p.protocol == kProtocolIsakmp) {
        const auto enc = find(t, kP1Encryption).value_or(0);
        const auto hash = find(t, kP1Hash).value_or(0);
        const auto auth = find(t, kP1AuthMethod).value_or(0);
        const auto h = hash_from_id(hash);
        out += fmt::format(
            "{}/{}/{}{}",
            encryption_name(static_cast<std::uint16_t>(enc),
                            static_cast<std::uint16_t>(find(t, kP1KeyLength).value_or(128))),
            h ? fmt::format("PRF_HMAC_{}", hash_name(*h))
              : (hash == 1 ? std::string("PRF_HMAC_MD5") : fmt::format("HASH_{}", hash)),
            group_name(static_cast<std::uint16_t>(find(t, kP1Group).value_or(0))),
            auth == kAuthPreSharedKey ? "" : fmt::format(" (auth method {})", auth));
      } else if (const auto o = phase2_offer_of(t)) {
        out += describe(o->suite);
        out += fmt::format(" ({})", is_tunnel(o->encapsulation) ? "tunnel" : "transport");
      } else {
        out += fmt::format("transform {} of protocol {}", t.id, p.protocol);
      }
    }
  return out.empty() ? "nothing" : out;
}

}  // namespace tandem::ipsec::ike::v1
