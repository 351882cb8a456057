// The RADIUS wire format: packets and attributes (RFC 2865 sections 3 and 5, accounting in
// RFC 2866), the Microsoft vendor attributes for MS-CHAPv2 (RFC 2548 section 2), and the
// authenticators that protect them: User-Password hiding (RFC 2865 5.2), the Response
// Authenticator (RFC 2865 3), the Accounting-Request Authenticator (RFC 2866 3) and
// Message-Authenticator, HMAC-MD5 over the whole packet (RFC 3579 3.2, RFC 5080 2.2.2).
//
// The decoder never throws: it returns a packet or a reason to drop the datagram, checking every
// length before reading (a packet is 20..4096 bytes, each attribute at least 2, the attributes
// fill the Length field exactly; octets past Length are padding and ignored, RFC 2865 3).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "base/rng.hpp"

namespace tandem::auth::radius {

inline constexpr std::size_t kHeaderSize = 20;
inline constexpr std::size_t kMinPacketSize = 20;
inline constexpr std::size_t kMaxPacketSize = 4096;
inline constexpr std::size_t kMaxAttributeValue = 253;
inline constexpr std::size_t kAuthenticatorSize = 16;
inline constexpr std::size_t kMaxUserPassword = 128;  // RFC 2865 5.2
inline constexpr std::uint16_t kAuthenticationPort = 1812;
inline constexpr std::uint16_t kAccountingPort = 1813;

using Authenticator = std::array<std::byte, kAuthenticatorSize>;

enum class Code : std::uint8_t {
  kAccessRequest = 1,
  kAccessAccept = 2,
  kAccessReject = 3,
  kAccountingRequest = 4,
  kAccountingResponse = 5,
  kAccessChallenge = 11,
};
const char* code_name(Code code);  // "Access-Accept"
bool is_known_code(std::uint8_t code);

// Attribute types, as RFC 2865, 2866, 2869 and 3579 name them.
enum class AttributeType : std::uint8_t {
  kUserName = 1,
  kUserPassword = 2,
  kChapPassword = 3,
  kNasIpAddress = 4,
  kServiceType = 6,
  kFramedProtocol = 7,
  kFramedIpAddress = 8,
  kReplyMessage = 18,
  kClass = 25,
  kVendorSpecific = 26,
  kSessionTimeout = 27,
  kIdleTimeout = 28,
  kCallingStationId = 31,
  kNasIdentifier = 32,
  kAcctStatusType = 40,
  kAcctDelayTime = 41,
  kAcctInputOctets = 42,
  kAcctOutputOctets = 43,
  kAcctSessionId = 44,
  kAcctSessionTime = 46,
  kAcctInputPackets = 47,
  kAcctOutputPackets = 48,
  kAcctTerminateCause = 49,
  kAcctInputGigawords = 52,
  kAcctOutputGigawords = 53,
  kEventTimestamp = 55,
  kChapChallenge = 60,
  kNasPortType = 61,
  kMessageAuthenticator = 80,
};

// Values of the enumerated attributes we send.
inline constexpr std::uint32_t kServiceTypeFramed = 2;
inline constexpr std::uint32_t kFramedProtocolPpp = 1;
inline constexpr std::uint32_t kNasPortTypeVirtual = 5;
enum class AcctStatusType : std::uint32_t { kStart = 1, kStop = 2, kInterimUpdate = 3 };
// Acct-Terminate-Cause (RFC 2866 5.10), the ones a VPN gateway has reason to send.
enum class AcctTerminateCause : std::uint32_t {
  kUserRequest = 1,
  kLostCarrier = 2,
  kIdleTimeout = 4,
  kSessionTimeout = 5,
  kAdminReset = 6,
  kNasError = 9,
  kNasRequest = 10,
  kNasReboot = 11,
};

// Microsoft's vendor attributes (RFC 2548), inside Vendor-Specific with Vendor-Id 311.
inline constexpr std::uint32_t kVendorMicrosoft = 311;
enum class MicrosoftType : std::uint8_t {
  kMsChapError = 2,
  kMsChapChallenge = 11,
  kMsChap2Response = 25,
  kMsChap2Success = 26,
};
inline constexpr std::size_t kMsChap2ResponseSize = 50;  // ident, flags, 16, 8, 24

struct Attribute {
  AttributeType type{};
  std::vector<std::byte> value;
  bool operator==(const Attribute&) const = default;
};

struct Packet {
  Code code = Code::kAccessRequest;
  std::uint8_t identifier = 0;
  Authenticator authenticator{};
  std::vector<Attribute> attributes;
  bool operator==(const Packet&) const = default;

  // The first attribute of `type`, if any.
  const Attribute* find(AttributeType type) const;
  std::vector<const Attribute*> find_all(AttributeType type) const;
  // The value of the first Vendor-Specific attribute of that vendor and vendor type (RFC 2865
  // 5.26's recommended layout: Vendor-Id, then vendor type, vendor length, value).
  std::optional<ByteView> find_vendor(std::uint32_t vendor, std::uint8_t vendor_type) const;
};

enum class DecodeError : std::uint8_t {
  kTooShort,            // under 20 bytes, or Length under 20
  kTooLong,             // Length over 4096
  kTruncated,           // Length beyond the datagram
  kBadAttributeLength,  // an attribute under 2 bytes or past Length
  kUnknownCode,
};
const char* decode_error_name(DecodeError e);

Result<Packet, DecodeError> decode(ByteView datagram);

enum class EncodeError : std::uint8_t { kAttributeTooLong, kPacketTooLong };
// The packet's bytes as they stand, authenticator included (see the signing functions below).
Result<std::vector<std::byte>, EncodeError> encode(const Packet& packet);

// Attribute builders.
Attribute string_attribute(AttributeType type, std::string_view text);
Attribute bytes_attribute(AttributeType type, ByteView value);
Attribute integer_attribute(AttributeType type, std::uint32_t value);
Attribute address_attribute(AttributeType type, const IpAddress& v4);
Attribute vendor_attribute(std::uint32_t vendor, std::uint8_t vendor_type, ByteView value);
// Message-Authenticator with its value zeroed, to be filled by sign_message_authenticator.
Attribute empty_message_authenticator();

// Attribute readers: nullopt for a value of the wrong size.
std::optional<std::uint32_t> integer_value(const Attribute& a);
std::optional<IpAddress> address_value(const Attribute& a);
std::string text_value(ByteView value);

// A fresh Request Authenticator: 16 bytes from the Rng (RFC 2865 3: unpredictable and unique).
Authenticator random_authenticator(Rng& rng);

// User-Password hiding (RFC 2865 5.2): the password padded with zeros to a multiple of 16 (at
// least 16), each block XORed with MD5(secret + previous block), the first with the Request
// Authenticator. nullopt for a password over 128 bytes. unhide_user_password reverses it (a
// server's part; our tests' fake server) and strips the padding.
std::optional<std::vector<std::byte>> hide_user_password(std::string_view password,
                                                         std::string_view secret,
                                                         const Authenticator& request);
std::optional<std::string> unhide_user_password(ByteView hidden, std::string_view secret,
                                                const Authenticator& request);

// The Response Authenticator (RFC 2865 3): MD5(Code+Identifier+Length+RequestAuth+Attributes+
// Secret) over an encoded response, with the request's authenticator in place of its own. The
// same formula with 16 zero octets is the Accounting-Request Authenticator (RFC 2866 3).
Authenticator response_authenticator(ByteView encoded, const Authenticator& request,
                                     std::string_view secret);
bool response_authenticator_valid(ByteView encoded, const Authenticator& request,
                                  std::string_view secret);

// Message-Authenticator (RFC 3579 3.2): HMAC-MD5 keyed with the secret over the whole packet
// with its own value zeroed; in a response, over the packet with the Request Authenticator in
// the authenticator field. `request` is that authenticator for a response, and nullopt for a
// request (whose own field is used). Signing fills the first Message-Authenticator attribute of
// `encoded`; false when it has none.
bool sign_message_authenticator(std::vector<std::byte>& encoded, std::string_view secret,
                                const std::optional<Authenticator>& request);
enum class MessageAuthenticatorCheck : std::uint8_t { kAbsent, kValid, kInvalid };
MessageAuthenticatorCheck check_message_authenticator(ByteView encoded, std::string_view secret,
                                                      const std::optional<Authenticator>& request);

// Signing a whole packet for the wire. A response (a server's part, here for tests): the
// Message-Authenticator first (if the packet has one), then the Response Authenticator over
// the result. An Accounting-Request: its authenticator computed over the packet (RFC 2866 3).
void sign_response(std::vector<std::byte>& encoded, const Authenticator& request,
                   std::string_view secret);
void sign_accounting_request(std::vector<std::byte>& encoded, std::string_view secret);
bool accounting_request_valid(ByteView encoded, std::string_view secret);

// MS-CHAP2-Success (RFC 2548 2.3.3): the ident, then "S=" and 40 hex digits (the authenticator
// response of RFC 2759 8.7). The string when `value` has that form and the ident matches.
std::optional<std::string> ms_chap2_success_string(ByteView value, std::uint8_t ident);

}  // namespace tandem::auth::radius
