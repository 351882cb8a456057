#include "ipsec/ike/v2/message.hpp"

#include "ipsec/ike/wire.hpp"

namespace tandem::ipsec::ike::v2 {
namespace {

constexpr std::uint16_t kKeyLengthAttribute = 14;
constexpr std::uint16_t kAttributeFormatTv = 0x8000;
constexpr std::uint8_t kTsIpv4Range = 7;
constexpr std::uint8_t kTsIpv6Range = 8;
constexpr std::uint8_t kFlagInitiator = 0x08;
constexpr std::uint8_t kFlagResponse = 0x20;
constexpr std::uint8_t kCriticalBit = 0x80;

Err<DecodeError> bad(std::string what) {
  return Err(DecodeError{std::move(what), std::nullopt});
}

using wire::copy;
using wire::put;
using wire::put16;
using wire::put32;
using wire::put64;
using wire::put8;
using wire::set16;
using wire::u8;

Result<std::vector<Transform>, DecodeError> decode_transforms(ByteView b, std::size_t count) {
  std::vector<Transform> out;
  std::size_t off = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (b.size() - off < 8) return bad("transform truncated");
    const std::uint8_t last = u8(b, off);
    const std::size_t len = load_be16(b.data() + off + 2);
    if (len < 8 || off + len > b.size()) return bad("transform length");
    if ((last == 0) != (i + 1 == count) || (last != 0 && last != 3))
      return bad("transform 'last' field does not match the count");
    Transform t;
    t.type = static_cast<TransformType>(u8(b, off + 4));
    t.id = load_be16(b.data() + off + 6);
    std::size_t a = off + 8;
    while (a < off + len) {
      if (off + len - a < 4) return bad("transform attribute truncated");
      const std::uint16_t type = load_be16(b.data() + a);
      if (type & kAttributeFormatTv) {
        if ((type & 0x7fff) == kKeyLengthAttribute) t.key_length = load_be16(b.data() + a + 2);
        a += 4;
      } else {
        const std::size_t alen = load_be16(b.data() + a + 2);
        if (off + len - a - 4 < alen) return bad("transform attribute length");
        a += 4 + alen;  // no TLV attribute is defined for IKEv2 transforms: skipped
      }
    }
    out.push_back(t);
    off += len;
  }
  if (off != b.size()) return bad("bytes after the last transform");
  return out;
}

Result<SaPayload, DecodeError> decode_sa(ByteView b) {
  SaPayload sa;
  std::size_t off = 0;
  while (off < b.size()) {
    if (b.size() - off < 8) return bad("proposal truncated");
    const std::uint8_t last = u8(b, off);
    const std::size_t len = load_be16(b.data() + off + 2);
    if (len < 8 || off + len > b.size()) return bad("proposal length");
    Proposal p;
    p.number = u8(b, off + 4);
    p.protocol = static_cast<ProtocolId>(u8(b, off + 5));
    const std::size_t spi_size = u8(b, off + 6);
    const std::size_t count = u8(b, off + 7);
    if (8 + spi_size > len) return bad("proposal SPI size");
    p.spi = copy(b.subspan(off + 8, spi_size));
    auto t = decode_transforms(b.subspan(off + 8 + spi_size, len - 8 - spi_size), count);
    if (!t) return Err(t.error());
    p.transforms = std::move(*t);
    sa.proposals.push_back(std::move(p));
    off += len;
    if (last == 0) break;
    if (last != 2) return bad("proposal 'last' field must be 0 or 2");
  }
  if (off != b.size()) return bad("bytes after the last proposal");
  if (sa.proposals.empty()) return bad("SA payload without proposals");
  return sa;
}

Result<TsPayload, DecodeError> decode_ts(ByteView b, bool initiator) {
  if (b.size() < 4) return bad("TS payload truncated");
  TsPayload ts;
  ts.initiator = initiator;
  const std::size_t count = u8(b, 0);
  std::size_t off = 4;
  for (std::size_t i = 0; i < count; ++i) {
    if (b.size() - off < 8) return bad("traffic selector truncated");
    const std::uint8_t type = u8(b, off);
    const std::size_t len = load_be16(b.data() + off + 2);
    const std::size_t addr = type == kTsIpv4Range ? 4 : type == kTsIpv6Range ? 16 : 0;
    if (addr == 0) return bad("traffic selector type " + std::to_string(type));
    if (len != 8 + 2 * addr || off + len > b.size()) return bad("traffic selector length");
    TrafficSelector s;
    s.ip_protocol = u8(b, off + 1);
    s.start_port = load_be16(b.data() + off + 4);
    s.end_port = load_be16(b.data() + off + 6);
    auto address = [&](std::size_t at) {
      if (addr == 4) {
        std::array<std::uint8_t, 4> a{};
        for (std::size_t k = 0; k < 4; ++k) a[k] = u8(b, at + k);
        return IpAddress::v4(a);
      }
      std::array<std::uint8_t, 16> a{};
      for (std::size_t k = 0; k < 16; ++k) a[k] = u8(b, at + k);
      return IpAddress::v6(a);
    };
    s.start = address(off + 8);
    s.end = address(off + 8 + addr);
    ts.selectors.push_back(s);
    off += len;
  }
  if (off != b.size()) return bad("bytes after the last traffic selector");
  return ts;
}

Result<ConfigPayload, DecodeError> decode_cp(ByteView b) {
  if (b.size() < 4) return bad("CP payload truncated");
  ConfigPayload cp;
  cp.type = u8(b, 0);
  std::size_t off = 4;
  while (off < b.size()) {
    if (b.size() - off < 4) return bad("configuration attribute truncated");
    const std::uint16_t type = load_be16(b.data() + off) & 0x7fff;
    const std::size_t len = load_be16(b.data() + off + 2);
    if (b.size() - off - 4 < len) return bad("configuration attribute length");
    cp.attributes.push_back({type, copy(b.subspan(off + 4, len))});
    off += 4 + len;
  }
  return cp;
}

Result<Payload, DecodeError> decode_body(PayloadType type, bool critical, ByteView b) {
  switch (type) {
    case PayloadType::kSa: {
      auto sa = decode_sa(b);
      if (!sa) return Err(sa.error());
      return Payload(std::move(*sa));
    }
    case PayloadType::kKe:
      if (b.size() < 4) return bad("KE payload truncated");
      return Payload(KePayload{load_be16(b.data()), copy(b.subspan(4))});
    case PayloadType::kIdi:
    case PayloadType::kIdr:
      if (b.size() < 4) return bad("ID payload truncated");
      return Payload(IdPayload{type == PayloadType::kIdi, u8(b, 0), copy(b.subspan(4))});
    case PayloadType::kAuth:
      if (b.size() < 4) return bad("AUTH payload truncated");
      return Payload(AuthPayload{u8(b, 0), copy(b.subspan(4))});
    case PayloadType::kNonce:
      if (b.size() < 16 || b.size() > 256) return bad("nonce must be 16 to 256 bytes");
      return Payload(NoncePayload{copy(b)});
    case PayloadType::kNotify: {
      if (b.size() < 4) return bad("Notify payload truncated");
      const std::size_t spi_size = u8(b, 1);
      if (b.size() < 4 + spi_size) return bad("Notify SPI size");
      return Payload(NotifyPayload{static_cast<ProtocolId>(u8(b, 0)), copy(b.subspan(4, spi_size)),
                                   load_be16(b.data() + 2), copy(b.subspan(4 + spi_size))});
    }
    case PayloadType::kDelete: {
      if (b.size() < 4) return bad("Delete payload truncated");
      DeletePayload d{static_cast<ProtocolId>(u8(b, 0)), u8(b, 1), {}};
      const std::size_t count = load_be16(b.data() + 2);
      if (b.size() != 4 + count * d.spi_size) return bad("Delete payload length");
      for (std::size_t i = 0; i < count; ++i)
        d.spis.push_back(copy(b.subspan(4 + i * d.spi_size, d.spi_size)));
      return Payload(std::move(d));
    }
    case PayloadType::kVendor:
      return Payload(VendorPayload{copy(b)});
    case PayloadType::kTsi:
    case PayloadType::kTsr: {
      auto ts = decode_ts(b, type == PayloadType::kTsi);
      if (!ts) return Err(ts.error());
      return Payload(std::move(*ts));
    }
    case PayloadType::kConfig: {
      auto cp = decode_cp(b);
      if (!cp) return Err(cp.error());
      return Payload(std::move(*cp));
    }
    case PayloadType::kCert:
    case PayloadType::kCertReq:
    case PayloadType::kEap:
      return Payload(OpaquePayload{static_cast<std::uint8_t>(type), critical, copy(b)});
    default:
      if (critical)
        return Err(DecodeError{
            "unsupported critical payload " + std::to_string(static_cast<unsigned>(type)),
            static_cast<std::uint8_t>(type)});
      return Payload(OpaquePayload{static_cast<std::uint8_t>(type), false, copy(b)});
  }
}

// The body of one payload (everything after its 4-byte generic header).
void encode_body(const Payload& p, std::vector<std::byte>& o) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          for (std::size_t i = 0; i < v.proposals.size(); ++i) {
            const Proposal& pr = v.proposals[i];
            const std::size_t start = o.size();
            put8(o, i + 1 == v.proposals.size() ? 0 : 2);
            put8(o, 0);
            put16(o, 0);
            put8(o, pr.number);
            put8(o, static_cast<std::uint8_t>(pr.protocol));
            put8(o, static_cast<std::uint8_t>(pr.spi.size()));
            put8(o, static_cast<std::uint8_t>(pr.transforms.size()));
            put(o, pr.spi);
            for (std::size_t k = 0; k < pr.transforms.size(); ++k) {
              const Transform& t = pr.transforms[k];
              put8(o, k + 1 == pr.transforms.size() ? 0 : 3);
              put8(o, 0);
              put16(o, t.key_length ? 12 : 8);
              put8(o, static_cast<std::uint8_t>(t.type));
              put8(o, 0);
              put16(o, t.id);
              if (t.key_length) {
                put16(o, kAttributeFormatTv | kKeyLengthAttribute);
                put16(o, *t.key_length);
              }
            }
            set16(o, start + 2, o.size() - start);
          }
        } else if constexpr (std::is_same_v<T, KePayload>) {
          put16(o, v.group);
          put16(o, 0);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          put8(o, v.type);
          put8(o, 0);
          put16(o, 0);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, AuthPayload>) {
          put8(o, v.method);
          put8(o, 0);
          put16(o, 0);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, NoncePayload>) {
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, NotifyPayload>) {
          put8(o, static_cast<std::uint8_t>(v.protocol));
          put8(o, static_cast<std::uint8_t>(v.spi.size()));
          put16(o, v.type);
          put(o, v.spi);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          put8(o, static_cast<std::uint8_t>(v.protocol));
          put8(o, v.spi_size);
          put16(o, static_cast<std::uint16_t>(v.spis.size()));
          for (const auto& s : v.spis) put(o, s);
        } else if constexpr (std::is_same_v<T, VendorPayload>) {
          put(o, v.id);
        } else if constexpr (std::is_same_v<T, TsPayload>) {
          put8(o, static_cast<std::uint8_t>(v.selectors.size()));
          put8(o, 0);
          put16(o, 0);
          for (const auto& s : v.selectors) {
            const bool v4 = s.start.is_v4();
            put8(o, v4 ? kTsIpv4Range : kTsIpv6Range);
            put8(o, s.ip_protocol);
            put16(o, v4 ? 16 : 40);
            put16(o, s.start_port);
            put16(o, s.end_port);
            put(o, ByteView(reinterpret_cast<const std::byte*>(s.start.data()), s.start.size()));
            put(o, ByteView(reinterpret_cast<const std::byte*>(s.end.data()), s.end.size()));
          }
        } else if constexpr (std::is_same_v<T, ConfigPayload>) {
          put8(o, v.type);
          put8(o, 0);
          put16(o, 0);
          for (const auto& a : v.attributes) {
            put16(o, a.type & 0x7fff);
            put16(o, static_cast<std::uint16_t>(a.value.size()));
            put(o, a.value);
          }
        } else if constexpr (std::is_same_v<T, EncryptedPayload>) {
          put(o, v.data);
        } else {
          put(o, v.body);
        }
      },
      p);
}

}  // namespace

PayloadType payload_type(const Payload& p) {
  return std::visit(
      [](const auto& v) -> PayloadType {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, SaPayload>) return PayloadType::kSa;
        if constexpr (std::is_same_v<T, KePayload>) return PayloadType::kKe;
        if constexpr (std::is_same_v<T, IdPayload>)
          return v.initiator ? PayloadType::kIdi : PayloadType::kIdr;
        if constexpr (std::is_same_v<T, AuthPayload>) return PayloadType::kAuth;
        if constexpr (std::is_same_v<T, NoncePayload>) return PayloadType::kNonce;
        if constexpr (std::is_same_v<T, NotifyPayload>) return PayloadType::kNotify;
        if constexpr (std::is_same_v<T, DeletePayload>) return PayloadType::kDelete;
        if constexpr (std::is_same_v<T, VendorPayload>) return PayloadType::kVendor;
        if constexpr (std::is_same_v<T, TsPayload>)
          return v.initiator ? PayloadType::kTsi : PayloadType::kTsr;
        if constexpr (std::is_same_v<T, ConfigPayload>) return PayloadType::kConfig;
        if constexpr (std::is_same_v<T, EncryptedPayload>) return PayloadType::kEncrypted;
        if constexpr (std::is_same_v<T, OpaquePayload>) return static_cast<PayloadType>(v.type);
      },
      p);
}

Result<Header, DecodeError> decode_header(ByteView m) {
  if (m.size() < kHeaderSize) return bad("shorter than an IKE header");
  const std::uint8_t version = u8(m, 17);
  if ((version >> 4) != 2) return bad("IKE major version " + std::to_string(version >> 4));
  if (load_be32(m.data() + 24) != m.size()) return bad("length field does not match the datagram");
  Header h;
  h.initiator_spi = load_be64(m.data());
  h.responder_spi = load_be64(m.data() + 8);
  h.exchange = static_cast<ExchangeType>(u8(m, 18));
  h.initiator = (u8(m, 19) & kFlagInitiator) != 0;
  h.response = (u8(m, 19) & kFlagResponse) != 0;
  h.message_id = load_be32(m.data() + 20);
  return h;
}

Result<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain) {
  std::vector<Payload> out;
  PayloadType next = first;
  std::size_t off = 0;
  while (next != PayloadType::kNone) {
    if (chain.size() - off < 4) return bad("payload header truncated");
    const auto following = static_cast<PayloadType>(u8(chain, off));
    const bool critical = (u8(chain, off + 1) & kCriticalBit) != 0;
    const std::size_t len = load_be16(chain.data() + off + 2);
    if (len < 4 || chain.size() - off < len) return bad("payload length");
    const ByteView body = chain.subspan(off + 4, len - 4);
    off += len;
    if (next == PayloadType::kEncrypted) {
      // SK comes last; its Next Payload names the first payload inside it.
      out.emplace_back(EncryptedPayload{following, copy(body)});
      break;
    }
    auto p = decode_body(next, critical, body);
    if (!p) return Err(p.error());
    out.push_back(std::move(*p));
    next = following;
  }
  if (off != chain.size()) return bad("bytes after the last payload");
  return out;
}

Result<Message, DecodeError> decode_message(ByteView m) {
  auto h = decode_header(m);
  if (!h) return Err(h.error());
  auto payloads = decode_payloads(static_cast<PayloadType>(u8(m, 16)), m.subspan(kHeaderSize));
  if (!payloads) return Err(payloads.error());
  return Message{*h, std::move(*payloads)};
}

std::vector<std::byte> encode_payloads(const std::vector<Payload>& payloads, PayloadType& first) {
  std::vector<std::byte> o;
  first = payloads.empty() ? PayloadType::kNone : payload_type(payloads.front());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const Payload& p = payloads[i];
    PayloadType following =
        i + 1 < payloads.size() ? payload_type(payloads[i + 1]) : PayloadType::kNone;
    if (const auto* sk = std::get_if<EncryptedPayload>(&p)) following = sk->first_inner;
    const std::size_t start = o.size();
    put8(o, static_cast<std::uint8_t>(following));
    const auto* opaque = std::get_if<OpaquePayload>(&p);
    put8(o, opaque && opaque->critical ? kCriticalBit : 0);
    put16(o, 0);
    encode_body(p, o);
    set16(o, start + 2, o.size() - start);
  }
  return o;
}

std::vector<std::byte> encode_message(const Message& m) {
  PayloadType first = PayloadType::kNone;
  const auto body = encode_payloads(m.payloads, first);
  std::vector<std::byte> o;
  o.reserve(kHeaderSize + body.size());
  put64(o, m.header.initiator_spi);
  put64(o, m.header.responder_spi);
  put8(o, static_cast<std::uint8_t>(first));
  put8(o, 0x20);  // version 2.0
  put8(o, static_cast<std::uint8_t>(m.header.exchange));
  put8(o, static_cast<std::uint8_t>((m.header.initiator ? kFlagInitiator : 0) |
                                    (m.header.response ? kFlagResponse : 0)));
  put32(o, m.header.message_id);
  put32(o, static_cast<std::uint32_t>(kHeaderSize + body.size()));
  put(o, body);
  return o;
}

}  // namespace tandem::ipsec::ike::v2
