// The parts of a DNS message (RFC 1035 section 4.1) a forwarder needs: the header, the one
// question, and whether an EDNS(0) OPT record (RFC 6891) came with it. A cheap check of the
// 12-byte header comes first; a message that passes it is parsed whole by ldns, so every record
// the forwarder relays is known to be well formed. Never throws: decoders return a drop reason.
//
// Names are kept in wire form (length-prefixed labels), lower-cased in ASCII only (RFC 4343):
// rules match them label by label, and a response's question is compared with its query's
// byte for byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.hpp"
#include "base/result.hpp"

namespace tandem::dns {

inline constexpr std::size_t kHeaderSize = 12;
// RFC 1035 section 2.3.4.
inline constexpr std::size_t kMaxLabelSize = 63;
inline constexpr std::size_t kMaxNameSize = 255;
// RFC 1035 section 4.2.1: without EDNS(0), a UDP message carries at most 512 bytes.
inline constexpr std::size_t kMaxUdpSizeWithoutEdns = 512;
inline constexpr std::uint16_t kTypeOpt = 41;

enum class Opcode : std::uint8_t { kQuery = 0 };

enum class Rcode : std::uint8_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNxDomain = 3,
  kNotImp = 4,
  kRefused = 5,
};

struct Header {
  std::uint16_t id = 0;
  bool qr = false;  // a response
  std::uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false;
  std::uint8_t rcode = 0;  // the header's 4 bits only; EDNS(0) extends it
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
};

struct Question {
  std::string name;  // wire form, lower case, ending in the root label
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
  friend bool operator==(const Question&, const Question&) = default;
};

struct Message {
  Header header;
  Question question;
  std::size_t question_end = 0;  // offset of the first byte after the question section
  bool has_opt = false;
  std::uint16_t udp_payload_size = 0;  // the OPT's, when has_opt
};

enum class ParseError : std::uint8_t {
  kTooShort,        // not even a header
  kNotOneQuestion,  // QDCOUNT other than 1: nothing a forwarder can route
  kBadQuestion,     // the question runs past the end, or its name is not plain labels
  kMalformed,       // ldns found a record that does not parse
};

// The header alone: fails only when there are fewer than 12 bytes.
Result<Header, ParseError> parse_header(ByteView message);

// The header, the single question and the OPT record. A question name must be plain labels: a
// compression pointer there could only point into the header (nothing precedes it).
Result<Message, ParseError> parse_message(ByteView message);

// The question's end, walking its name by hand (no ldns): for the truncation of a response.
std::optional<std::size_t> question_end(ByteView message);

// The ID, rewritten in place: no parse. False when `message` is shorter than two bytes.
bool set_id(MutableByteView message, std::uint16_t id);

// A reply to `query` carrying only `rcode`: the query's ID, opcode and RD, RA set; its question
// when `message` could be parsed (nullptr: a header alone); an OPT record when the query had one
// (RFC 6891 section 7).
std::vector<std::byte> make_error_reply(ByteView query, const Message* message, Rcode rcode);

// A header alone, for a query whose question could not be read (FORMERR) or whose opcode is not
// QUERY (NOTIMP).
std::vector<std::byte> make_header_reply(const Header& query, Rcode rcode);

// `response` cut to its header and question with TC set (RFC 1035 section 4.1.1, RFC 7766
// section 5): the client asks again over TCP.
std::vector<std::byte> truncate_to_question(ByteView response, const Message& message);

// True when `response` asks the question `query` asked: the same name ignoring ASCII case, the
// same type and class.
bool same_question(const Message& query, const Message& response);

// "corp.example" (a trailing dot allowed) in lower-case wire form; nullopt when a label is empty
// or too long, the whole name is too long, or it holds anything but letters, digits, '-' and
// '_'. The root ("" or ".") is a name of one zero byte.
std::optional<std::string> name_from_text(std::string_view text);
// The wire form back as text, for logs and tests: "a.corp.example." ("." for the root).
std::string name_to_text(std::string_view wire);

}  // namespace tandem::dns
