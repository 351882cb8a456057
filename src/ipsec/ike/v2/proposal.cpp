#include "ipsec/ike/v2/proposal.hpp"

#include <algorithm>

namespace tandem::ipsec::ike::v2 {
namespace {

bool needs_key_length(std::uint16_t encr) {
  return encr == 12 || encr == 20;
}

// The suite's value for each transform type it uses (0 where it uses none).
std::uint16_t wanted(const Suite& s, TransformType t) {
  switch (t) {
    case TransformType::kEncr:
      return s.encryption;
    case TransformType::kPrf:
      return s.prf;
    case TransformType::kInteg:
      return s.integrity;
    case TransformType::kDh:
      return s.dh;
    case TransformType::kEsn:
      return 0;  // no extended sequence numbers
  }
  return 0;
}

bool offers(const Proposal& p, TransformType type, std::uint16_t id,
            std::optional<std::uint16_t> key_length) {
  return std::any_of(p.transforms.begin(), p.transforms.end(), [&](const Transform& t) {
    return t.type == type && t.id == id && (!key_length || t.key_length == key_length);
  });
}

bool has_type(const Proposal& p, TransformType type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [&](const Transform& t) { return t.type == type; });
}

bool satisfies(const Proposal& p, ProtocolId protocol, const Suite& s) {
  if (!offers(p, TransformType::kEncr, s.encryption,
              needs_key_length(s.encryption) ? std::optional(s.key_length) : std::nullopt))
    return false;
  for (TransformType t :
       {TransformType::kPrf, TransformType::kInteg, TransformType::kDh, TransformType::kEsn}) {
    const std::uint16_t v = wanted(s, t);
    const bool required = v != 0 || (t == TransformType::kPrf && protocol == ProtocolId::kIke);
    if (has_type(p, t)) {
      // A type the proposal carries must be answered with one of its transforms; 0 stands for
      // "none", acceptable for INTEG with an AEAD (may be absent or NONE), DH without PFS, ESN.
      if (!offers(p, t, v, std::nullopt)) return false;
    } else if (required) {
      return false;
    }
  }
  return true;
}

std::vector<Transform> transforms_of(const Suite& s, ProtocolId protocol) {
  std::vector<Transform> out;
  out.push_back({TransformType::kEncr, s.encryption,
                 needs_key_length(s.encryption) ? std::optional(s.key_length) : std::nullopt});
  if (protocol == ProtocolId::kIke) out.push_back({TransformType::kPrf, s.prf, std::nullopt});
  if (s.integrity != 0) out.push_back({TransformType::kInteg, s.integrity, std::nullopt});
  if (s.dh != 0) out.push_back({TransformType::kDh, s.dh, std::nullopt});
  if (protocol == ProtocolId::kEsp) out.push_back({TransformType::kEsn, 0, std::nullopt});
  return out;
}

std::string name_of(TransformType type, std::uint16_t id) {
  switch (type) {
    case TransformType::kEncr:
      return id == 12   ? "AES_CBC"
             : id == 20 ? "AES_GCM_16"
             : id == 3  ? "3DES"
                        : "ENCR_" + std::to_string(id);
    case TransformType::kPrf:
      return id == 2   ? "PRF_HMAC_SHA1"
             : id == 5 ? "PRF_HMAC_SHA2_256"
             : id == 1 ? "PRF_HMAC_MD5"
                       : "PRF_" + std::to_string(id);
    case TransformType::kInteg:
      return id == 2    ? "HMAC_SHA1_96"
             : id == 12 ? "HMAC_SHA2_256_128"
             : id == 0  ? "NONE"
                        : "INTEG_" + std::to_string(id);
    case TransformType::kDh:
      return id == 14   ? "MODP_2048"
             : id == 19 ? "ECP_256"
             : id == 20 ? "ECP_384"
             : id == 2  ? "MODP_1024"
             : id == 0  ? "NONE"
                        : "DH_" + std::to_string(id);
    case TransformType::kEsn:
      return id == 0 ? "NO_ESN" : "ESN";
  }
  return "?";
}

}  // namespace

std::optional<Selection> select_proposal(const SaPayload& offered, ProtocolId protocol,
                                         const std::vector<Suite>& ours) {
  for (const Suite& s : ours)
    for (const Proposal& p : offered.proposals)
      if (p.protocol == protocol && satisfies(p, protocol, s)) return Selection{p.number, p.spi, s};
  return std::nullopt;
}

SaPayload make_sa_payload(ProtocolId protocol, const std::vector<std::byte>& spi,
                          const std::vector<Suite>& suites) {
  SaPayload sa;
  std::uint8_t number = 1;
  for (const Suite& s : suites)
    sa.proposals.push_back({number++, protocol, spi, transforms_of(s, protocol)});
  return sa;
}

SaPayload make_answer(ProtocolId protocol, const Selection& chosen,
                      const std::vector<std::byte>& our_spi) {
  return SaPayload{
      {{chosen.proposal_number, protocol, our_spi, transforms_of(chosen.suite, protocol)}}};
}

Result<Selection, std::string> check_answer(const SaPayload& answer, ProtocolId protocol,
                                            const std::vector<Suite>& offered) {
  if (answer.proposals.size() != 1)
    return Err(std::string("the answer must hold exactly one proposal"));
  const Proposal& p = answer.proposals.front();
  if (p.protocol != protocol) return Err(std::string("the answer is for another protocol"));
  if (p.number == 0 || p.number > offered.size())
    return Err("the answer names proposal " + std::to_string(p.number) + ", which we did not make");
  const Suite& s = offered[p.number - 1];
  if (p.transforms != transforms_of(s, protocol))
    return Err("the answer changes proposal " + std::to_string(p.number) + " to " +
               describe(answer));
  return Selection{p.number, p.spi, s};
}

std::string describe(const SaPayload& sa) {
  std::string out;
  for (const Proposal& p : sa.proposals) {
    if (!out.empty()) out += ", ";
    out += "#" + std::to_string(p.number) + " ";
    std::string types;
    for (const Transform& t : p.transforms) {
      if (!types.empty()) types += "/";
      types += name_of(t.type, t.id);
      if (t.key_length) types += "-" + std::to_string(*t.key_length);
    }
    out += types;
  }
  return out.empty() ? "nothing" : out;
}

std::string describe(const Suite& s, ProtocolId protocol) {
  return describe(make_sa_payload(protocol, {}, {s}));
}

}  // namespace tandem::ipsec::ike::v2
