#include "dns/message.hpp"

#include <gtest/gtest.h>

#include "base/test_bytes.hpp"
#include "dns/test_messages.hpp"

namespace tandem::dns {
namespace {

using tandem::testing::bytes;
using testing::AnswerShape;
using testing::make_answer;
using testing::make_query;

TEST(DnsMessage, ParsesHeaderQuestionAndOpt) {
  const auto query = make_query("www.Corp.Example.", 0x1234, LDNS_RR_TYPE_AAAA, 1232);
  const auto m = parse_message(query);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->header.id, 0x1234);
  EXPECT_FALSE(m->header.qr);
  EXPECT_TRUE(m->header.rd);
  EXPECT_FALSE(m->header.tc);
  EXPECT_EQ(m->header.opcode, 0);
  EXPECT_EQ(m->question.name, std::string("\3www\4corp\7example\0", 18));
  EXPECT_EQ(m->question.qtype, LDNS_RR_TYPE_AAAA);
  EXPECT_EQ(m->question.qclass, LDNS_RR_CLASS_IN);
  EXPECT_EQ(m->question_end, 12u + 18u + 4u);
  EXPECT_TRUE(m->has_opt);
  EXPECT_EQ(m->udp_payload_size, 1232);
}

TEST(DnsMessage, QueryWithoutOptHasNone) {
  const auto m = parse_message(make_query("a.example.", 7));
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->has_opt);
}

TEST(DnsMessage, ReadsResponseFlags) {
  const auto answer = make_answer(make_query("a.example.", 7), AnswerShape::of(2).truncated());
  const auto m = parse_message(answer);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->header.qr);
  EXPECT_TRUE(m->header.tc);
  EXPECT_EQ(m->header.ancount, 2);
}

TEST(DnsMessage, RejectsShorterThanHeader) {
  const auto m = parse_message(bytes({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), ParseError::kTooShort);
}

TEST(DnsMessage, RejectsOtherThanOneQuestion) {
  const auto none = parse_message(bytes({0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error(), ParseError::kNotOneQuestion);
  const auto two = parse_message(bytes({0x12, 0x34, 0x01, 0x00, 0, 2, 0, 0, 0,   0, 0, 0,  //
                                        1,    'a',  0,    0,    1, 0, 1, 1, 'b', 0, 0, 1, 0, 1}));
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.error(), ParseError::kNotOneQuestion);
}

TEST(DnsMessage, RejectsCompressionPointerInQuestion) {
  const auto m = parse_message(
      bytes({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0, 1, 0, 1}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), ParseError::kBadQuestion);
}

TEST(DnsMessage, RejectsQuestionCutShort) {
  const auto m =
      parse_message(bytes({0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), ParseError::kBadQuestion);
}

TEST(DnsMessage, RejectsRecordCutShort) {
  auto answer = make_answer(make_query("a.example.", 7), AnswerShape::of(1));
  answer.resize(answer.size() - 2);
  const auto m = parse_message(answer);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error(), ParseError::kMalformed);
}

TEST(DnsMessage, SetIdRewritesOnlyTheId) {
  auto query = make_query("a.example.", 0x1111);
  const auto before = query;
  ASSERT_TRUE(set_id(query, 0xbeef));
  EXPECT_EQ(testing::id_of(query), 0xbeef);
  EXPECT_TRUE(std::equal(query.begin() + 2, query.end(), before.begin() + 2));
  std::vector<std::byte> one(1);
  EXPECT_FALSE(set_id(one, 1));
}

TEST(DnsMessage, ErrorReplyKeepsIdAndQuestion) {
  const auto query = make_query("Host.Corp.Example.", 0x4242, LDNS_RR_TYPE_MX);
  const auto parsed = parse_message(query);
  ASSERT_TRUE(parsed.ok());
  const auto reply = make_error_reply(query, &*parsed, Rcode::kServFail);
  const auto r = parse_message(reply);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.id, 0x4242);
  EXPECT_TRUE(r->header.qr);
  EXPECT_TRUE(r->header.rd);
  EXPECT_EQ(r->header.rcode, static_cast<std::uint8_t>(Rcode::kServFail));
  EXPECT_EQ(r->header.ancount, 0);
  EXPECT_TRUE(same_question(*parsed, *r));
  EXPECT_FALSE(r->has_opt);
  EXPECT_EQ(testing::rcode_of(reply), LDNS_RCODE_SERVFAIL);
}

TEST(DnsMessage, ErrorReplyCarriesOptWhenQueryHadOne) {
  const auto query = make_query("a.example.", 9, LDNS_RR_TYPE_A, 4096);
  const auto parsed = parse_message(query);
  ASSERT_TRUE(parsed.ok());
  const auto r = parse_message(make_error_reply(query, &*parsed, Rcode::kRefused));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has_opt);
  EXPECT_EQ(r->header.rcode, static_cast<std::uint8_t>(Rcode::kRefused));
}

TEST(DnsMessage, HeaderReplyHasNoQuestion) {
  const auto header = parse_header(make_query("a.example.", 0x0102));
  ASSERT_TRUE(header.ok());
  const auto reply = make_header_reply(*header, Rcode::kFormErr);
  ASSERT_EQ(reply.size(), kHeaderSize);
  const auto h = parse_header(reply);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->id, 0x0102);
  EXPECT_TRUE(h->qr);
  EXPECT_EQ(h->qdcount, 0);
  EXPECT_EQ(h->rcode, static_cast<std::uint8_t>(Rcode::kFormErr));
}

TEST(DnsMessage, TruncateToQuestionKeepsHeaderAndQuestionWithTc) {
  const auto query = make_query("a.example.", 5);
  const auto answer = make_answer(query, AnswerShape::of(40));
  const auto parsed = parse_message(answer);
  ASSERT_TRUE(parsed.ok());
  const auto cut = truncate_to_question(answer, *parsed);
  EXPECT_EQ(cut.size(), parsed->question_end);
  const auto r = parse_message(cut);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->header.tc);
  EXPECT_TRUE(r->header.qr);
  EXPECT_EQ(r->header.ancount, 0);
  EXPECT_EQ(r->header.arcount, 0);
  EXPECT_EQ(r->header.id, 5);
  EXPECT_EQ(question_end(answer), parsed->question_end);
}

TEST(DnsMessage, SameQuestionIgnoresCaseButNotTypeOrName) {
  const auto a = parse_message(make_query("WWW.example.", 1));
  const auto b = parse_message(make_query("www.EXAMPLE.", 2));
  const auto c = parse_message(make_query("www.example.", 3, LDNS_RR_TYPE_AAAA));
  const auto d = parse_message(make_query("ww.example.", 4));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
  EXPECT_TRUE(same_question(*a, *b));
  EXPECT_FALSE(same_question(*a, *c));
  EXPECT_FALSE(same_question(*a, *d));
}

TEST(DnsMessage, NameFromTextMakesLowerCaseWireForm) {
  EXPECT_EQ(name_from_text("Corp.Example"), std::string("\4corp\7example\0", 14));
  EXPECT_EQ(name_from_text("corp.example."), std::string("\4corp\7example\0", 14));
  EXPECT_EQ(name_from_text("10.in-addr.arpa"), std::string("\00210\7in-addr\4arpa\0", 17));
  EXPECT_EQ(name_from_text("."), std::string("\0", 1));
  EXPECT_EQ(name_from_text(""), std::string("\0", 1));
}

TEST(DnsMessage, NameFromTextRejectsWhatIsNoName) {
  EXPECT_FALSE(name_from_text("a..b"));
  EXPECT_FALSE(name_from_text(".a"));
  EXPECT_FALSE(name_from_text("a.."));
  EXPECT_FALSE(name_from_text("a b"));
  EXPECT_FALSE(name_from_text(std::string(64, 'a')));
  std::string long_name;
  for (int i = 0; i < 50; ++i) long_name += "abcd.";
  EXPECT_FALSE(name_from_text(long_name + "abcdefgh"));
}

TEST(DnsMessage, NameToTextEscapesOddBytes) {
  EXPECT_EQ(name_to_text(std::string("\4corp\7example\0", 14)), "corp.example.");
  EXPECT_EQ(name_to_text(std::string("\0", 1)), ".");
  EXPECT_EQ(name_to_text(std::string("\3a.b\0", 5)), "a\\046b.");
}

}  // namespace
}  // namespace tandem::dns
