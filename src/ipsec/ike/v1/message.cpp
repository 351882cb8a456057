#include "ipsec/ike/v1/message.hpp"

#include "ipsec/ike/wire.hpp"

namespace tandem::ipsec::ike::v1 {
namespace {

constexpr std::uint8_t kFlagEncrypted = 0x01;
constexpr std::uint8_t kFlagCommit = 0x02;
constexpr std::uint16_t kAttributeBasic = 0x8000;

Err<DecodeError> bad(std::string what) {
  return Err(DecodeError{std::move(what)});
}

using wire::copy;
using wire::put;
using wire::put16;
using wire::put32;
using wire::put8;
using wire::set16;
using wire::u8;

// A generic header at `at` of `chain`: the next type, and the body it frames.
struct Framed {
  std::uint8_t next;
  ByteView body;
  std::size_t length;
};
Result<Framed, DecodeError> frame(ByteView chain, std::size_t at, const char* what) {
  if (chain.size() - at < 4) return bad(std::string(what) + " header truncated");
  const std::size_t len = load_be16(chain.data() + at + 2);
  if (len < 4 || chain.size() - at < len) return bad(std::string(what) + " length");
  return Framed{u8(chain, at), chain.subspan(at + 4, len - 4), len};
}

Result<std::vector<Attribute>, DecodeError> decode_attributes(ByteView b) {
  std::vector<Attribute> out;
  std::size_t off = 0;
  while (off < b.size()) {
    if (b.size() - off < 4) return bad("attribute truncated");
    const std::uint16_t type = load_be16(b.data() + off);
    Attribute a;
    a.type = type & 0x7fff;
    if (type & kAttributeBasic) {
      a.value = load_be16(b.data() + off + 2);
      off += 4;
    } else {
      const std::size_t len = load_be16(b.data() + off + 2);
      if (b.size() - off - 4 < len) return bad("attribute length");
      a.basic = false;
      a.long_value = copy(b.subspan(off + 4, len));
      for (std::size_t i = 0; i < len && i < 4; ++i)
        a.value = (a.value << 8) | u8(b, off + 4 + len - std::min<std::size_t>(len, 4) + i);
      off += 4 + len;
    }
    out.push_back(std::move(a));
  }
  return out;
}

Result<SaPayload, DecodeError> decode_sa(ByteView b) {
  if (b.size() < 8) return bad("SA payload truncated");
  SaPayload sa;
  sa.doi = load_be32(b.data());
  sa.situation = load_be32(b.data() + 4);
  if (sa.doi != 1) return bad("SA for DOI " + std::to_string(sa.doi) + ", not IPsec");
  std::size_t off = 8;
  std::uint8_t next = static_cast<std::uint8_t>(PayloadType::kProposal);
  while (next == static_cast<std::uint8_t>(PayloadType::kProposal)) {
    auto f = frame(b, off, "proposal");
    if (!f) return Err(f.error());
    const ByteView p = f->body;
    if (p.size() < 4) return bad("proposal truncated");
    Proposal pr;
    pr.number = u8(p, 0);
    pr.protocol = u8(p, 1);
    const std::size_t spi_size = u8(p, 2);
    const std::size_t count = u8(p, 3);
    if (p.size() < 4 + spi_size) return bad("proposal SPI size");
    pr.spi = copy(p.subspan(4, spi_size));
    std::size_t t_off = 4 + spi_size;
    for (std::size_t i = 0; i < count; ++i) {
      auto t = frame(p, t_off, "transform");
      if (!t) return Err(t.error());
      if (t->body.size() < 4) return bad("transform truncated");
      const bool last = i + 1 == count;
      if (t->next != (last ? 0 : static_cast<std::uint8_t>(PayloadType::kTransform)))
        return bad("transform chain does not match the count");
      auto attributes = decode_attributes(t->body.subspan(4));
      if (!attributes) return Err(attributes.error());
      pr.transforms.push_back({u8(t->body, 0), u8(t->body, 1), std::move(*attributes)});
      t_off += t->length;
    }
    if (t_off != p.size()) return bad("bytes after the last transform");
    sa.proposals.push_back(std::move(pr));
    off += f->length;
    next = f->next;
    if (next != 0 && next != static_cast<std::uint8_t>(PayloadType::kProposal))
      return bad("proposal chain holds another payload type");
  }
  if (off != b.size()) return bad("bytes after the last proposal");
  return sa;
}

Result<Payload, DecodeError> decode_body(PayloadType type, ByteView b) {
  switch (type) {
    case PayloadType::kSa: {
      auto sa = decode_sa(b);
      if (!sa) return Err(sa.error());
      return Payload(std::move(*sa));
    }
    case PayloadType::kKe:
      if (b.empty()) return bad("empty KE payload");
      return Payload(KePayload{copy(b)});
    case PayloadType::kId:
      if (b.size() < 4) return bad("ID payload truncated");
      return Payload(IdPayload{u8(b, 0), u8(b, 1), load_be16(b.data() + 2), copy(b.subspan(4))});
    case PayloadType::kHash:
      return Payload(HashPayload{copy(b)});
    case PayloadType::kNonce:
      if (b.size() < 8 || b.size() > 256) return bad("nonce must be 8 to 256 bytes");
      return Payload(NoncePayload{copy(b)});
    case PayloadType::kNotification: {
      if (b.size() < 8) return bad("Notification payload truncated");
      const std::size_t spi_size = u8(b, 5);
      if (b.size() < 8 + spi_size) return bad("Notification SPI size");
      return Payload(NotificationPayload{load_be32(b.data()), u8(b, 4),
                                         copy(b.subspan(8, spi_size)), load_be16(b.data() + 6),
                                         copy(b.subspan(8 + spi_size))});
    }
    case PayloadType::kDelete: {
      if (b.size() < 8) return bad("Delete payload truncated");
      DeletePayload d{load_be32(b.data()), u8(b, 4), u8(b, 5), {}};
      const std::size_t count = load_be16(b.data() + 6);
      if (b.size() != 8 + count * d.spi_size) return bad("Delete payload length");
      for (std::size_t i = 0; i < count; ++i)
        d.spis.push_back(copy(b.subspan(8 + i * d.spi_size, d.spi_size)));
      return Payload(std::move(d));
    }
    case PayloadType::kVendor:
      return Payload(VendorPayload{copy(b)});
    case PayloadType::kNatD:
      return Payload(NatDPayload{copy(b)});
    case PayloadType::kProposal:
    case PayloadType::kTransform:
      return bad("proposal or transform outside an SA payload");
    default:
      return Payload(OpaquePayload{static_cast<std::uint8_t>(type), copy(b)});
  }
}

void encode_attributes(const std::vector<Attribute>& attributes, std::vector<std::byte>& o) {
  for (const Attribute& a : attributes) {
    if (a.basic) {
      put16(o, static_cast<std::uint16_t>(kAttributeBasic | a.type));
      put16(o, static_cast<std::uint16_t>(a.value));
    } else {
      put16(o, a.type & 0x7fff);
      put16(o, static_cast<std::uint16_t>(a.long_value.size()));
      put(o, a.long_value);
    }
  }
}

void encode_body(const Payload& p, std::vector<std::byte>& o) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, SaPayload>) {
          put32(o, v.doi);
          put32(o, v.situation);
          for (std::size_t i = 0; i < v.proposals.size(); ++i) {
            const Proposal& pr = v.proposals[i];
            const std::size_t start = o.size();
            put8(o, i + 1 < v.proposals.size() ? 2 : 0);
            put8(o, 0);
            put16(o, 0);
            put8(o, pr.number);
            put8(o, pr.protocol);
            put8(o, static_cast<std::uint8_t>(pr.spi.size()));
            put8(o, static_cast<std::uint8_t>(pr.transforms.size()));
            put(o, pr.spi);
            for (std::size_t k = 0; k < pr.transforms.size(); ++k) {
              const Transform& t = pr.transforms[k];
              const std::size_t t_start = o.size();
              put8(o, k + 1 < pr.transforms.size() ? 3 : 0);
              put8(o, 0);
              put16(o, 0);
              put8(o, t.number);
              put8(o, t.id);
              put16(o, 0);
              encode_attributes(t.attributes, o);
              set16(o, t_start + 2, o.size() - t_start);
            }
            set16(o, start + 2, o.size() - start);
          }
        } else if constexpr (std::is_same_v<T, KePayload> || std::is_same_v<T, HashPayload> ||
                             std::is_same_v<T, NoncePayload>) {
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, IdPayload>) {
          put8(o, v.type);
          put8(o, v.protocol);
          put16(o, v.port);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, NotificationPayload>) {
          put32(o, v.doi);
          put8(o, v.protocol);
          put8(o, static_cast<std::uint8_t>(v.spi.size()));
          put16(o, v.type);
          put(o, v.spi);
          put(o, v.data);
        } else if constexpr (std::is_same_v<T, DeletePayload>) {
          put32(o, v.doi);
          put8(o, v.protocol);
          put8(o, v.spi_size);
          put16(o, static_cast<std::uint16_t>(v.spis.size()));
          for (const auto& s : v.spis) put(o, s);
        } else if constexpr (std::is_same_v<T, VendorPayload>) {
          put(o, v.id);
        } else if constexpr (std::is_same_v<T, NatDPayload>) {
          put(o, v.hash);
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
        if constexpr (std::is_same_v<T, IdPayload>) return PayloadType::kId;
        if constexpr (std::is_same_v<T, HashPayload>) return PayloadType::kHash;
        if constexpr (std::is_same_v<T, NoncePayload>) return PayloadType::kNonce;
        if constexpr (std::is_same_v<T, NotificationPayload>) return PayloadType::kNotification;
        if constexpr (std::is_same_v<T, DeletePayload>) return PayloadType::kDelete;
        if constexpr (std::is_same_v<T, VendorPayload>) return PayloadType::kVendor;
        if constexpr (std::is_same_v<T, NatDPayload>) return PayloadType::kNatD;
        if constexpr (std::is_same_v<T, OpaquePayload>) return static_cast<PayloadType>(v.type);
      },
      p);
}

Result<std::vector<Payload>, DecodeError> decode_payloads(PayloadType first, ByteView chain,
                                                          bool padded) {
  std::vector<Payload> out;
  std::uint8_t next = static_cast<std::uint8_t>(first);
  std::size_t off = 0;
  while (next != 0) {
    auto f = frame(chain, off, "payload");
    if (!f) return Err(f.error());
    auto p = decode_body(static_cast<PayloadType>(next), f->body);
    if (!p) return Err(p.error());
    out.push_back(std::move(*p));
    off += f->length;
    next = f->next;
  }
  if (off != chain.size() && !padded) return bad("bytes after the last payload");
  return out;
}

Result<Message, DecodeError> decode_message(ByteView m) {
  if (m.size() < kHeaderSize) return bad("shorter than an ISAKMP header");
  if (u8(m, 17) != 0x10) return bad("ISAKMP version is not 1.0");
  if (load_be32(m.data() + 24) != m.size()) return bad("length field does not match the datagram");
  Message msg;
  msg.header.initiator_cookie = load_be64(m.data());
  msg.header.responder_cookie = load_be64(m.data() + 8);
  msg.header.exchange = static_cast<ExchangeType>(u8(m, 18));
  msg.header.encrypted = (u8(m, 19) & kFlagEncrypted) != 0;
  msg.header.commit = (u8(m, 19) & kFlagCommit) != 0;
  msg.header.message_id = load_be32(m.data() + 20);
  msg.first = static_cast<PayloadType>(u8(m, 16));
  const ByteView body = m.subspan(kHeaderSize);
  if (msg.header.encrypted) {
    msg.encrypted = copy(body);
    return msg;
  }
  auto payloads = decode_payloads(msg.first, body);
  if (!payloads) return Err(payloads.error());
  msg.payloads = std::move(*payloads);
  return msg;
}

std::vector<std::byte> encode_payloads(const std::vector<Payload>& payloads, PayloadType& first) {
  std::vector<std::byte> o;
  first = payloads.empty() ? PayloadType::kNone : payload_type(payloads.front());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    const std::size_t start = o.size();
    put8(o, i + 1 < payloads.size() ? static_cast<std::uint8_t>(payload_type(payloads[i + 1])) : 0);
    put8(o, 0);
    put16(o, 0);
    encode_body(payloads[i], o);
    set16(o, start + 2, o.size() - start);
  }
  return o;
}

std::vector<std::byte> encode_message(const Message& m) {
  PayloadType first = m.first;
  std::vector<std::byte> body =
      m.header.encrypted ? m.encrypted : encode_payloads(m.payloads, first);
  std::vector<std::byte> o;
  o.reserve(kHeaderSize + body.size());
  put32(o, static_cast<std::uint32_t>(m.header.initiator_cookie >> 32));
  put32(o, static_cast<std::uint32_t>(m.header.initiator_cookie));
  put32(o, static_cast<std::uint32_t>(m.header.responder_cookie >> 32));
  put32(o, static_cast<std::uint32_t>(m.header.responder_cookie));
  put8(o, static_cast<std::uint8_t>(first));
  put8(o, 0x10);
  put8(o, static_cast<std::uint8_t>(m.header.exchange));
  put8(o, static_cast<std::uint8_t>((m.header.encrypted ? kFlagEncrypted : 0) |
                                    (m.header.commit ? kFlagCommit : 0)));
  put32(o, m.header.message_id);
  put32(o, static_cast<std::uint32_t>(kHeaderSize + body.size()));
  put(o, body);
  return o;
}

}  // namespace tandem::ipsec::ike::v1
