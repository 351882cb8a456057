// IKEv1/ISAKMP messages (RFC 2408 section 3, with RFC 2407's IPsec DOI and RFC 3947's NAT-D):
// the header and the payloads of Main Mode, Quick Mode and Informational exchanges, decoded into
// plain structs and encoded back with lengths and the Next Payload chain computed. When the header
// says Encrypted (E flag), everything after it is carried as bytes until decrypted, then decoded
// with decode_payloads(). Attributes of transforms stay as (type, value) pairs: what they mean
// depends on the phase (RFC 2409 appendix A, RFC 2407 4.5). Sans-I/O; no cryptography here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace tandem::ipsec::ike::v1 {

inline constexpr std::size_t kHeaderSize = 28;

enum class ExchangeType : std::uint8_t {
  kIdentityProtection = 2,  // Main Mode
  kAggressive = 4,          // refused by policy, but decoded to say so
  kInformational = 5,
  kQuickMode = 32,
};

enum class PayloadType : std::uint8_t {
  kNone = 0,
  kSa = 1,
  kProposal = 2,
  kTransform = 3,
  kKe = 4,
  kId = 5,
  kCert = 6,
  kCertReq = 7,
  kHash = 8,
  kSignature = 9,
  kNonce = 10,
  kNotification = 11,
  kDelete = 12,
  kVendor = 13,
  kNatD = 20,   // RFC 3947
  kNatOa = 21,  // RFC 3947
};

struct Header {
  std::uint64_t initiator_cookie = 0;
  std::uint64_t responder_cookie = 0;
  ExchangeType exchange = ExchangeType::kIdentityProtection;
  bool encrypted = false;  // E
  bool commit = false;     // C
  std::uint32_t message_id = 0;
  friend bool operator==(const Header&, const Header&) = default;
};

// A data attribute: basic (TV, a 16-bit value) or variable (TLV).
struct Attribute {
  std::uint16_t type = 0;
  bool basic = true;
  std::uint32_t value = 0;            // basic attributes, and variable ones up to 4 bytes
  std::vector<std::byte> long_value;  // variable attributes, as sent
  friend bool operator==(const Attribute&, const Attribute&) = default;
};

struct Transform {
  std::uint8_t number = 1;
  std::uint8_t id = 1;  // phase 1: KEY_IKE (1); phase 2: ESP_AES (12), ESP_3DES (3), ...
  std::vector<Attribute> attributes;
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Proposal {
  std::uint8_t number = 1;
  std::uint8_t protocol = 1;  // PROTO_ISAKMP 1, PROTO_IPSEC_ESP 3
  std::vector<std::byte> spi;
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

// SA with the IPsec DOI (1) and situation SIT_IDENTITY_ONLY (1).
struct SaPayload {
  std::uint32_t doi = 1;
  std::uint32_t situation = 1;
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

struct KePayload {
  std::vector<std::byte> data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// ID (RFC 2407 4.6.2): type 1 IPV4_ADDR, 2 FQDN, 3 USER_FQDN, 4 IPV4_ADDR_SUBNET, 11 KEY_ID.
struct IdPayload {
  std::uint8_t type = 1;
  std::uint8_t protocol = 0;  // Quick Mode: 17 for UDP (L2TP)
  std::uint16_t port = 0;     // Quick Mode: 1701 for L2TP
  std::vector<std::byte> data;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

struct HashPayload {
  std::vector<std::byte> data;
  friend bool operator==(const HashPayload&, const HashPayload&) = default;
};

struct NoncePayload {
  std::vector<std::byte> data;  // 8 to 256 bytes
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

struct NotificationPayload {
  std::uint32_t doi = 1;
  std::uint8_t protocol = 1;
  std::vector<std::byte> spi;
  std::uint16_t type = 0;  // 24578 INITIAL-CONTACT; 36136/36137 R-U-THERE(-ACK) (RFC 3706)
  std::vector<std::byte> data;
  friend bool operator==(const NotificationPayload&, const NotificationPayload&) = default;
};

struct DeletePayload {
  std::uint32_t doi = 1;
  std::uint8_t protocol = 1;
  std::uint8_t spi_size = 16;
  std::vector<std::vector<std::byte>> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

struct VendorPayload {
  std::vector<std::byte> id;
  friend bool operator==(const VendorPayload&, const VendorPayload&) = default;
};

struct NatDPayload {
  std::vector<std::byte> hash;
  friend bool operator==(const NatDPayload&, const NatDPayload&) = default;
};

// Payloads kept as sent: CERT, CR, SIG, NAT-OA, and unknown types.
struct OpaquePayload {
  std::uint8_t type = 0;
  std::vector<std::byte> body;
  friend bool operator==(const OpaquePayload&, const OpaquePayload&) = default;
};

using Payload =
    std::variant<SaPayload, KePayload, IdPayload, HashPayload, NoncePayload, NotificationPayload,
                 DeletePayload, VendorPayload, NatDPayload, OpaquePayload>;

struct Message {
  Header header;
  std::vector<Payload> payloads;           // when not encrypted
  PayloadType first = PayloadType::kNone;  // when encrypted: the type of the first payload inside
  std::vector<std::byte> encrypted;        // when encrypted: everything after the header
};

struct DecodeError {
  std::string what;
};

Result<Message, DecodeError> decode_message(ByteView message);
// `padded`: the chain is a decrypted body, whose padding after the last payload is ignored.
Result<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain,
                                                          bool padded = false);
std::vector<std::byte> encode_message(const Message& message);
std::vector<std::byte> encode_payloads(const std::vector<Payload>& payloads, PayloadType& first);
PayloadType payload_type(const Payload& p);

}  // namespace tandem::ipsec::ike::v1
