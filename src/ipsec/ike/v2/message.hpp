// IKEv2 messages (RFC 7296 section 3): the header and every payload an IKE SA and its Child SAs
// need, decoded into plain structs and encoded back, with lengths and the Next Payload chain
// computed on encode. The Encrypted payload (SK) is carried as bytes: its contents are decoded
// with decode_payloads() once decrypted. Unknown payloads are kept when not critical and refuse
// the message when critical (2.5). Sans-I/O; no cryptography here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"

namespace tandem::ipsec::ike::v2 {

inline constexpr std::size_t kHeaderSize = 28;
inline constexpr std::size_t kMaxMessageSize = 65535;

enum class ExchangeType : std::uint8_t {
  kIkeSaInit = 34,
  kIkeAuth = 35,
  kCreateChildSa = 36,
  kInformational = 37,
};

enum class PayloadType : std::uint8_t {
  kNone = 0,
  kSa = 33,
  kKe = 34,
  kIdi = 35,
  kIdr = 36,
  kCert = 37,
  kCertReq = 38,
  kAuth = 39,
  kNonce = 40,
  kNotify = 41,
  kDelete = 42,
  kVendor = 43,
  kTsi = 44,
  kTsr = 45,
  kEncrypted = 46,
  kConfig = 47,
  kEap = 48,
};

enum class ProtocolId : std::uint8_t { kNone = 0, kIke = 1, kAh = 2, kEsp = 3 };
enum class TransformType : std::uint8_t { kEncr = 1, kPrf = 2, kInteg = 3, kDh = 4, kEsn = 5 };

struct Header {
  std::uint64_t initiator_spi = 0;
  std::uint64_t responder_spi = 0;
  ExchangeType exchange = ExchangeType::kIkeSaInit;
  bool initiator = false;  // I flag: sent by the original initiator of the IKE SA
  bool response = false;   // R flag
  std::uint32_t message_id = 0;
  friend bool operator==(const Header&, const Header&) = default;
};

struct Transform {
  TransformType type = TransformType::kEncr;
  std::uint16_t id = 0;
  std::optional<std::uint16_t> key_length;  // attribute 14, in bits
  friend bool operator==(const Transform&, const Transform&) = default;
};

struct Proposal {
  std::uint8_t number = 1;
  ProtocolId protocol = ProtocolId::kIke;
  std::vector<std::byte> spi;  // empty for an initial IKE SA, 4 bytes for ESP, 8 for an IKE rekey
  std::vector<Transform> transforms;
  friend bool operator==(const Proposal&, const Proposal&) = default;
};

struct SaPayload {
  std::vector<Proposal> proposals;
  friend bool operator==(const SaPayload&, const SaPayload&) = default;
};

struct KePayload {
  std::uint16_t group = 0;
  std::vector<std::byte> data;
  friend bool operator==(const KePayload&, const KePayload&) = default;
};

// IDi or IDr (3.5): type 1 IPv4, 2 FQDN, 3 RFC822, 5 IPv6, 9 DER DN, 11 KEY_ID.
struct IdPayload {
  bool initiator = true;  // IDi or IDr
  std::uint8_t type = 0;
  std::vector<std::byte> data;
  friend bool operator==(const IdPayload&, const IdPayload&) = default;
};

struct AuthPayload {
  std::uint8_t method = 0;  // 1 RSA, 2 shared key MIC, 14 digital signature
  std::vector<std::byte> data;
  friend bool operator==(const AuthPayload&, const AuthPayload&) = default;
};

struct NoncePayload {
  std::vector<std::byte> data;  // 16 to 256 bytes
  friend bool operator==(const NoncePayload&, const NoncePayload&) = default;
};

struct NotifyPayload {
  ProtocolId protocol = ProtocolId::kNone;
  std::vector<std::byte> spi;
  std::uint16_t type = 0;
  std::vector<std::byte> data;
  friend bool operator==(const NotifyPayload&, const NotifyPayload&) = default;
};

struct DeletePayload {
  ProtocolId protocol = ProtocolId::kIke;
  std::uint8_t spi_size = 0;
  std::vector<std::vector<std::byte>> spis;
  friend bool operator==(const DeletePayload&, const DeletePayload&) = default;
};

struct VendorPayload {
  std::vector<std::byte> id;
  friend bool operator==(const VendorPayload&, const VendorPayload&) = default;
};

struct TrafficSelector {
  std::uint8_t ip_protocol = 0;  // 0: any
  std::uint16_t start_port = 0;
  std::uint16_t end_port = 65535;
  IpAddress start;  // both of one family; that family is the selector's type (7 or 8)
  IpAddress end;
  friend bool operator==(const TrafficSelector&, const TrafficSelector&) = default;
};

struct TsPayload {
  bool initiator = true;  // TSi or TSr
  std::vector<TrafficSelector> selectors;
  friend bool operator==(const TsPayload&, const TsPayload&) = default;
};

struct ConfigAttribute {
  std::uint16_t type = 0;  // 1 INTERNAL_IP4_ADDRESS, 3 INTERNAL_IP4_DNS, ...
  std::vector<std::byte> value;
  friend bool operator==(const ConfigAttribute&, const ConfigAttribute&) = default;
};

struct ConfigPayload {
  std::uint8_t type = 1;  // 1 CFG_REQUEST, 2 CFG_REPLY, 3 CFG_SET, 4 CFG_ACK
  std::vector<ConfigAttribute> attributes;
  friend bool operator==(const ConfigPayload&, const ConfigPayload&) = default;
};

// SK (3.14): the type of its first inner payload, and IV, ciphertext, padding and ICV as sent.
struct EncryptedPayload {
  PayloadType first_inner = PayloadType::kNone;
  std::vector<std::byte> data;
  friend bool operator==(const EncryptedPayload&, const EncryptedPayload&) = default;
};

// A payload this decoder does not interpret (CERT, CERTREQ, EAP, or an unknown non-critical one).
struct OpaquePayload {
  std::uint8_t type = 0;
  bool critical = false;
  std::vector<std::byte> body;
  friend bool operator==(const OpaquePayload&, const OpaquePayload&) = default;
};

using Payload = std::variant<SaPayload, KePayload, IdPayload, AuthPayload, NoncePayload,
                             NotifyPayload, DeletePayload, VendorPayload, TsPayload, ConfigPayload,
                             EncryptedPayload, OpaquePayload>;

struct Message {
  Header header;
  std::vector<Payload> payloads;
};

struct DecodeError {
  std::string what;
  // Set when the message must be answered with UNSUPPORTED_CRITICAL_PAYLOAD (notify type 1).
  std::optional<std::uint8_t> unsupported_critical;
};

Result<Header, DecodeError> decode_header(ByteView message);
Result<Message, DecodeError> decode_message(ByteView message);
// A chain of payloads starting with `first` (a message body, or a decrypted SK payload).
Result<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain);

std::vector<std::byte> encode_message(const Message& message);
// Encodes a chain; `first` receives the type of its first payload (for the header or SK).
std::vector<std::byte> encode_payloads(const std::vector<Payload>& payloads, PayloadType& first);

PayloadType payload_type(const Payload& p);

}  // namespace tandem::ipsec::ike::v2
