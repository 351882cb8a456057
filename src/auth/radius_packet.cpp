// RADIUS codec and authenticators (RFC 2865, 2866, 2548, 3579 3.2).
#include "auth/radius_packet.hpp"

#include <algorithm>
#include <cctype>

#include "crypto/constant_time.hpp"
#include "crypto/hmac.hpp"
#include "crypto/legacy_digest.hpp"
#include "crypto/secret.hpp"

namespace tandem::auth::radius {
namespace {

constexpr std::size_t kLengthOffset = 2;
constexpr std::size_t kAuthenticatorOffset = 4;

ByteView authenticator_field(ByteView encoded) {
  return encoded.subspan(kAuthenticatorOffset, kAuthenticatorSize);
}

// The offset of the value of the first attribute of `type` in a well-formed encoded packet.
std::optional<std::size_t> value_offset(ByteView encoded, AttributeType type) {
  std::size_t at = kHeaderSize;
  while (at + 2 <= encoded.size()) {
    const auto len = std::to_integer<std::size_t>(encoded[at + 1]);
    if (len < 2 || at + len > encoded.size()) return std::nullopt;
    if (encoded[at] == static_cast<std::byte>(type)) return at + 2;
    at += len;
  }
  return std::nullopt;
}

// HMAC-MD5 over the packet with `authenticator` in the header and the Message-Authenticator
// value at `ma_offset` zeroed.
Authenticator message_authenticator(ByteView encoded, std::size_t ma_offset, ByteView authenticator,
                                    std::string_view secret) {
  static constexpr Authenticator kZero{};
  Authenticator out{};
  auto hmac = crypto::Hmac::create(crypto::HashAlgorithm::kMd5, as_bytes(secret));
  if (!hmac || !hmac->compute({encoded.first(kAuthenticatorOffset), authenticator,
                               encoded.subspan(kHeaderSize, ma_offset - kHeaderSize), kZero,
                               encoded.subspan(ma_offset + kAuthenticatorSize)},
                              out))
    std::abort();  // only a broken OpenSSL fails an HMAC of memory
  return out;
}

bool is_hex_digit(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

}  // namespace

const char* code_name(Code code) {
  switch (code) {
    case Code::kAccessRequest:
      return "Access-Request";
    case Code::kAccessAccept:
      return "Access-Accept";
    case Code::kAccessReject:
      return "Access-Reject";
    case Code::kAccountingRequest:
      return "Accounting-Request";
    case Code::kAccountingResponse:
      return "Accounting-Response";
    case Code::kAccessChallenge:
      return "Access-Challenge";
  }
  return "?";
}

bool is_known_code(std::uint8_t code) {
  return (code >= 1 && code <= 5) || code == 11;
}

const char* decode_error_name(DecodeError e) {
  switch (e) {
    case DecodeError::kTooShort:
      return "too short";
    case DecodeError::kTooLong:
      return "too long";
    case DecodeError::kTruncated:
      return "truncated";
    case DecodeError::kBadAttributeLength:
      return "bad attribute length";
    case DecodeError::kUnknownCode:
      return "unknown code";
  }
  return "?";
}

const Attribute* Packet::find(AttributeType type) const {
  for (const auto& a : attributes)
    if (a.type == type) return &a;
  return nullptr;
}

std::vector<const Attribute*> Packet::find_all(AttributeType type) const {
  std::vector<const Attribute*> out;
  for (const auto& a : attributes)
    if (a.type == type) out.push_back(&a);
  return out;
}

std::optional<ByteView> Packet::find_vendor(std::uint32_t vendor, std::uint8_t vendor_type) const {
  for (const auto& a : attributes) {
    if (a.type != AttributeType::kVendorSpecific || a.value.size() < 4 + 2) continue;
    if (load_be32(a.value.data()) != vendor) continue;
    // Several sub-attributes may share one Vendor-Specific (RFC 2865 5.26 allows it).
    const ByteView subs = ByteView(a.value).subspan(4);
    std::size_t at = 0;
    while (at + 2 <= subs.size()) {
      const auto len = std::to_integer<std::size_t>(subs[at + 1]);
      if (len < 2 || at + len > subs.size()) break;
      if (std::to_integer<std::uint8_t>(subs[at]) == vendor_type)
        return subs.subspan(at + 2, len - 2);
      at += len;
    }
  }
  return std::nullopt;
}

Result<Packet, DecodeError> decode(ByteView datagram) {
  if (datagram.size() < kMinPacketSize) return Err(DecodeError::kTooShort);
  const std::size_t length = load_be16(datagram.data() + kLengthOffset);
  if (length < kMinPacketSize) return Err(DecodeError::kTooShort);
  if (length > kMaxPacketSize) return Err(DecodeError::kTooLong);
  if (length > datagram.size()) return Err(DecodeError::kTruncated);
  const auto code = std::to_integer<std::uint8_t>(datagram[0]);
  if (!is_known_code(code)) return Err(DecodeError::kUnknownCode);
  Packet p;
  p.code = static_cast<Code>(code);
  p.identifier = std::to_integer<std::uint8_t>(datagram[1]);
  std::copy_n(datagram.begin() + kAuthenticatorOffset, kAuthenticatorSize, p.authenticator.begin());
  const ByteView body = datagram.subspan(kHeaderSize, length - kHeaderSize);
  std::size_t at = 0;
  while (at < body.size()) {
    if (at + 2 > body.size()) return Err(DecodeError::kBadAttributeLength);
    const auto len = std::to_integer<std::size_t>(body[at + 1]);
    if (len < 2 || at + len > body.size()) return Err(DecodeError::kBadAttributeLength);
    const ByteView value = body.subspan(at + 2, len - 2);
    p.attributes.push_back(
        {static_cast<AttributeType>(body[at]), std::vector<std::byte>(value.begin(), value.end())});
    at += len;
  }
  return p;
}

Result<std::vector<std::byte>, EncodeError> encode(const Packet& packet) {
  std::size_t length = kHeaderSize;
  for (const auto& a : packet.attributes) {
    if (a.value.size() > kMaxAttributeValue) return Err(EncodeError::kAttributeTooLong);
    length += 2 + a.value.size();
  }
  if (length > kMaxPacketSize) return Err(EncodeError::kPacketTooLong);
  std::vector<std::byte> out;
  out.reserve(length);
  out.push_back(static_cast<std::byte>(packet.code));
  out.push_back(std::byte{packet.identifier});
  out.resize(kAuthenticatorOffset);
  store_be16(out.data() + kLengthOffset, static_cast<std::uint16_t>(length));
  out.insert(out.end(), packet.authenticator.begin(), packet.authenticator.end());
  for (const auto& a : packet.attributes) {
    out.push_back(static_cast<std::byte>(a.type));
    out.push_back(static_cast<std::byte>(2 + a.value.size()));
    out.insert(out.end(), a.value.begin(), a.value.end());
  }
  return out;
}

Attribute bytes_attribute(AttributeType type, ByteView value) {
  return {type, std::vector<std::byte>(value.begin(), value.end())};
}

Attribute string_attribute(AttributeType type, std::string_view text) {
  return bytes_attribute(type, as_bytes(text));
}

Attribute integer_attribute(AttributeType type, std::uint32_t value) {
  Attribute a{type, std::vector<std::byte>(4)};
  store_be32(a.value.data(), value);
  return a;
}

Attribute address_attribute(AttributeType type, const IpAddress& v4) {
  return integer_attribute(type, v4.v4_u32());
}

Attribute vendor_attribute(std::uint32_t vendor, std::uint8_t vendor_type, ByteView value) {
  Attribute a{AttributeType::kVendorSpecific, std::vector<std::byte>(6 + value.size())};
  store_be32(a.value.data(), vendor);
  a.value[4] = std::byte{vendor_type};
  a.value[5] = static_cast<std::byte>(2 + value.size());
  std::copy(value.begin(), value.end(), a.value.begin() + 6);
  return a;
}

Attribute empty_message_authenticator() {
  return {AttributeType::kMessageAuthenticator, std::vector<std::byte>(kAuthenticatorSize)};
}

std::optional<std::uint32_t> integer_value(const Attribute& a) {
  if (a.value.size() != 4) return std::nullopt;
  return load_be32(a.value.data());
}

std::optional<IpAddress> address_value(const Attribute& a) {
  const auto v = integer_value(a);
  if (!v) return std::nullopt;
  return IpAddress::v4_from_u32(*v);
}

std::string text_value(ByteView value) {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

Authenticator random_authenticator(Rng& rng) {
  Authenticator a{};
  rng.fill(a);
  return a;
}

namespace {

// The XOR stream of RFC 2865 5.2: b1 = MD5(S + RA), bi = MD5(S + c(i-1)), where c is the hidden
// text: `out` when hiding, `in` when revealing. Both are the same length, a multiple of 16.
void password_stream(ByteView in, MutableByteView out, std::string_view secret,
                     const Authenticator& request, bool hiding) {
  ByteView previous = request;
  for (std::size_t at = 0; at < in.size(); at += 16) {
    const auto b = crypto::Md5().update(as_bytes(secret)).update(previous).finish();
    for (std::size_t i = 0; i < 16; ++i) out[at + i] = in[at + i] ^ b[i];
    previous = hiding ? ByteView(out).subspan(at, 16) : in.subspan(at, 16);
  }
}

}  // namespace

std::optional<std::vector<std::byte>> hide_user_password(std::string_view password,
                                                         std::string_view secret,
                                                         const Authenticator& request) {
  if (password.size() > kMaxUserPassword) return std::nullopt;
  const std::size_t padded = std::max<std::size_t>(16, (password.size() + 15) / 16 * 16);
  std::vector<std::byte> plain(padded);
  std::copy(as_bytes(password).begin(), as_bytes(password).end(), plain.begin());
  std::vector<std::byte> out(padded);
  password_stream(plain, out, secret, request, true);
  crypto::secure_wipe(plain);
  return out;
}

std::optional<std::string> unhide_user_password(ByteView hidden, std::string_view secret,
                                                const Authenticator& request) {
  if (hidden.empty() || hidden.size() % 16 != 0 || hidden.size() > kMaxUserPassword)
    return std::nullopt;
  std::vector<std::byte> plain(hidden.size());
  password_stream(hidden, plain, secret, request, false);
  std::string out = text_value(plain);
  crypto::secure_wipe(plain);
  out.erase(std::find(out.begin(), out.end(), '\0'), out.end());
  return out;
}

Authenticator response_authenticator(ByteView encoded, const Authenticator& request,
                                     std::string_view secret) {
  if (encoded.size() < kHeaderSize) return {};
  return crypto::Md5()
      .update(encoded.first(kAuthenticatorOffset))
      .update(request)
      .update(encoded.subspan(kHeaderSize))
      .update(as_bytes(secret))
      .finish();
}

bool response_authenticator_valid(ByteView encoded, const Authenticator& request,
                                  std::string_view secret) {
  if (encoded.size() < kHeaderSize) return false;
  return crypto::constant_time_equal(response_authenticator(encoded, request, secret),
                                     authenticator_field(encoded));
}

bool sign_message_authenticator(std::vector<std::byte>& encoded, std::string_view secret,
                                const std::optional<Authenticator>& request) {
  const auto at = value_offset(encoded, AttributeType::kMessageAuthenticator);
  if (!at || std::to_integer<std::size_t>(encoded[*at - 1]) != 2 + kAuthenticatorSize) return false;
  const ByteView auth = request ? ByteView(*request) : authenticator_field(encoded);
  const Authenticator mac = message_authenticator(encoded, *at, auth, secret);
  std::copy(mac.begin(), mac.end(), encoded.begin() + static_cast<std::ptrdiff_t>(*at));
  return true;
}

MessageAuthenticatorCheck check_message_authenticator(ByteView encoded, std::string_view secret,
                                                      const std::optional<Authenticator>& request) {
  const auto at = value_offset(encoded, AttributeType::kMessageAuthenticator);
  if (!at) return MessageAuthenticatorCheck::kAbsent;
  // Its length must be 18 (RFC 3579 3.2); any other is as bad as a wrong value.
  if (std::to_integer<std::size_t>(encoded[*at - 1]) != 2 + kAuthenticatorSize)
    return MessageAuthenticatorCheck::kInvalid;
  const ByteView auth = request ? ByteView(*request) : authenticator_field(encoded);
  const Authenticator mac = message_authenticator(encoded, *at, auth, secret);
  return crypto::constant_time_equal(mac, encoded.subspan(*at, kAuthenticatorSize))
             ? MessageAuthenticatorCheck::kValid
             : MessageAuthenticatorCheck::kInvalid;
}

void sign_response(std::vector<std::byte>& encoded, const Authenticator& request,
                   std::string_view secret) {
  sign_message_authenticator(encoded, secret, request);
  const Authenticator ra = response_authenticator(encoded, request, secret);
  std::copy(ra.begin(), ra.end(), encoded.begin() + kAuthenticatorOffset);
}

void sign_accounting_request(std::vector<std::byte>& encoded, std::string_view secret) {
  const Authenticator ra = response_authenticator(encoded, Authenticator{}, secret);
  std::copy(ra.begin(), ra.end(), encoded.begin() + kAuthenticatorOffset);
}

bool accounting_request_valid(ByteView encoded, std::string_view secret) {
  return response_authenticator_valid(encoded, Authenticator{}, secret);
}

std::optional<std::string> ms_chap2_success_string(ByteView value, std::uint8_t ident) {
  constexpr std::size_t kStringSize = 2 + 40;
  if (value.size() < 1 + kStringSize || std::to_integer<std::uint8_t>(value[0]) != ident)
    return std::nullopt;
  const std::string text = text_value(value.subspan(1));
  if (text.compare(0, 2, "S=") != 0 ||
      !std::all_of(text.begin() + 2, text.begin() + kStringSize, is_hex_digit))
    return std::nullopt;
  // RFC 2759 5 lets " M=<message>" follow; the PPP side adds its own.
  if (text.size() != kStringSize && text.compare(kStringSize, 3, " M=") != 0) return std::nullopt;
  return text.substr(0, kStringSize);
}

}  // namespace tandem::auth::radius
