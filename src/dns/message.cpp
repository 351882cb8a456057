// DNS message view: header pre-check by hand, whole-message validation by ldns.
#include "dns/message.hpp"

#include <algorithm>
#include <memory>

#include "dns/ldns.hpp"

namespace tandem::dns {
namespace {

constexpr unsigned kFlagQr = 0x8000;
constexpr unsigned kFlagAa = 0x0400;
constexpr unsigned kFlagTc = 0x0200;
constexpr unsigned kFlagRd = 0x0100;
constexpr unsigned kFlagRa = 0x0080;
constexpr unsigned kOpcodeShift = 11;
constexpr unsigned kOpcodeMask = 0xf;
constexpr unsigned kRcodeMask = 0xf;
// An OPT record offering the payload size RFC 8900 and the DNS Flag Day 2020 settled on.
constexpr std::uint16_t kReplyUdpPayloadSize = 1232;

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

struct PktDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};

// Walks the question's name from offset 12: plain labels only. Appends the lower-cased wire name
// to `name` (when given) and returns the offset after the name.
std::optional<std::size_t> walk_question_name(ByteView m, std::string* name) {
  std::size_t at = kHeaderSize;
  std::size_t size = 0;
  while (true) {
    if (at >= m.size()) return std::nullopt;
    const auto length = std::to_integer<std::size_t>(m[at]);
    if (length > kMaxLabelSize) return std::nullopt;  // a pointer (0xc0) or an extended label
    size += 1 + length;
    if (size > kMaxNameSize || m.size() - at < 1 + length) return std::nullopt;
    if (name != nullptr) {
      name->push_back(static_cast<char>(length));
      for (std::size_t i = 0; i < length; ++i)
        name->push_back(lower(static_cast<char>(m[at + 1 + i])));
    }
    at += 1 + length;
    if (length == 0) return at;
  }
}

void store_header(std::byte* p, const Header& h) {
  store_be16(p, h.id);
  unsigned flags = (unsigned{h.opcode} & kOpcodeMask) << kOpcodeShift;
  if (h.qr) flags |= kFlagQr;
  if (h.aa) flags |= kFlagAa;
  if (h.tc) flags |= kFlagTc;
  if (h.rd) flags |= kFlagRd;
  if (h.ra) flags |= kFlagRa;
  flags |= h.rcode & kRcodeMask;
  store_be16(p + 2, static_cast<std::uint16_t>(flags));
  store_be16(p + 4, h.qdcount);
  store_be16(p + 6, h.ancount);
  store_be16(p + 8, h.nscount);
  store_be16(p + 10, h.arcount);
}

Header reply_header(const Header& query, Rcode rcode) {
  Header h;
  h.id = query.id;
  h.qr = true;
  h.opcode = query.opcode;
  h.rd = query.rd;
  h.ra = true;
  h.rcode = static_cast<std::uint8_t>(rcode);
  return h;
}

}  // namespace

Result<Header, ParseError> parse_header(ByteView m) {
  if (m.size() < kHeaderSize) return Err(ParseError::kTooShort);
  Header h;
  h.id = load_be16(m.data());
  const unsigned flags = load_be16(m.data() + 2);
  h.qr = (flags & kFlagQr) != 0;
  h.opcode = static_cast<std::uint8_t>((flags >> kOpcodeShift) & kOpcodeMask);
  h.aa = (flags & kFlagAa) != 0;
  h.tc = (flags & kFlagTc) != 0;
  h.rd = (flags & kFlagRd) != 0;
  h.ra = (flags & kFlagRa) != 0;
  h.rcode = static_cast<std::uint8_t>(flags & kRcodeMask);
  h.qdcount = load_be16(m.data() + 4);
  h.ancount = load_be16(m.data() + 6);
  h.nscount = load_be16(m.data() + 8);
  h.arcount = load_be16(m.data() + 10);
  return h;
}

Result<Message, ParseError> parse_message(ByteView m) {
  auto header = parse_header(m);
  if (!header) return Err(header.error());
  Message message;
  message.header = *header;
  if (message.header.qdcount != 1) return Err(ParseError::kNotOneQuestion);
  const auto name_end = walk_question_name(m, &message.question.name);
  if (!name_end || m.size() - *name_end < 4) return Err(ParseError::kBadQuestion);
  message.question.qtype = load_be16(m.data() + *name_end);
  message.question.qclass = load_be16(m.data() + *name_end + 2);
  message.question_end = *name_end + 4;

  ldns_pkt* raw = nullptr;
  if (ldns_wire2pkt(&raw, reinterpret_cast<const std::uint8_t*>(m.data()), m.size()) !=
      LDNS_STATUS_OK) {
    if (raw != nullptr) ldns_pkt_free(raw);
    return Err(ParseError::kMalformed);
  }
  const std::unique_ptr<ldns_pkt, PktDeleter> pkt(raw);
  message.has_opt = ldns_pkt_edns(pkt.get());
  if (message.has_opt) message.udp_payload_size = ldns_pkt_edns_udp_size(pkt.get());
  return message;
}

std::optional<std::size_t> question_end(ByteView m) {
  if (m.size() < kHeaderSize || load_be16(m.data() + 4) != 1) return std::nullopt;
  const auto name_end = walk_question_name(m, nullptr);
  if (!name_end || m.size() - *name_end < 4) return std::nullopt;
  return *name_end + 4;
}

bool set_id(MutableByteView message, std::uint16_t id) {
  if (message.size() < 2) return false;
  store_be16(message.data(), id);
  return true;
}

std::vector<std::byte> make_header_reply(const Header& query, Rcode rcode) {
  std::vector<std::byte> out(kHeaderSize);
  store_header(out.data(), reply_header(query, rcode));
  return out;
}

std::vector<std::byte> make_error_reply(ByteView query, const Message* message, Rcode rcode) {
  if (message == nullptr || message->question_end > query.size()) {
    auto header = parse_header(query);
    return header ? make_header_reply(*header, rcode) : std::vector<std::byte>{};
  }
  Header h = reply_header(message->header, rcode);
  h.qdcount = 1;
  h.arcount = message->has_opt ? 1 : 0;
  const std::size_t question_size = message->question_end - kHeaderSize;
  std::vector<std::byte> out(kHeaderSize + question_size + (message->has_opt ? 11 : 0));
  store_header(out.data(), h);
  std::copy_n(query.data() + kHeaderSize, question_size, out.data() + kHeaderSize);
  if (message->has_opt) {
    // Root owner, TYPE OPT, CLASS the payload size, TTL 0 (extended RCODE, version 0, no DO),
    // no options.
    std::byte* opt = out.data() + kHeaderSize + question_size;
    opt[0] = std::byte{0};
    store_be16(opt + 1, kTypeOpt);
    store_be16(opt + 3, kReplyUdpPayloadSize);
    store_be32(opt + 5, 0);
    store_be16(opt + 9, 0);
  }
  return out;
}

std::vector<std::byte> truncate_to_question(ByteView response, const Message& message) {
  if (message.question_end > response.size() || message.question_end < kHeaderSize) return {};
  std::vector<std::byte> out(response.begin(),
                             response.begin() + static_cast<std::ptrdiff_t>(message.question_end));
  Header h = message.header;
  h.tc = true;
  h.qdcount = 1;
  h.ancount = h.nscount = h.arcount = 0;
  store_header(out.data(), h);
  return out;
}

bool same_question(const Message& query, const Message& response) {
  return query.question == response.question;
}

std::optional<std::string> name_from_text(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  std::string wire;
  while (!text.empty()) {
    const std::size_t dot = text.find('.');
    const std::string_view label = text.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelSize) return std::nullopt;
    wire.push_back(static_cast<char>(label.size()));
    for (const char c : label) {
      const char l = lower(c);
      const bool plain = (l >= 'a' && l <= 'z') || (l >= '0' && l <= '9') || l == '-' || l == '_';
      if (!plain) return std::nullopt;
      wire.push_back(l);
    }
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
    if (text.empty()) return std::nullopt;  // "a..": an empty label before the final dot
  }
  wire.push_back('\0');
  if (wire.size() > kMaxNameSize) return std::nullopt;
  return wire;
}

std::string name_to_text(std::string_view wire) {
  std::string text;
  std::size_t at = 0;
  while (at < wire.size()) {
    const auto length = static_cast<unsigned char>(wire[at]);
    if (length == 0 || at + 1 + length > wire.size()) break;
    for (std::size_t i = 0; i < length; ++i) {
      const auto c = static_cast<unsigned char>(wire[at + 1 + i]);
      if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
        text.push_back(static_cast<char>(c));
      } else {
        constexpr char kDigits[] = "0123456789";
        text += '\\';
        text += kDigits[c / 100];
        text += kDigits[(c / 10) % 10];
        text += kDigits[c % 10];
      }
    }
    text.push_back('.');
    at += 1 + length;
  }
  return text.empty() ? "." : text;
}

}  // namespace tandem::dns
