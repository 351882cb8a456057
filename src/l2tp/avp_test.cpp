// AVP walking, hiding (RFC 2661 4.3) and control message encoding/decoding.
#include "l2tp/avp.hpp"

#include <gtest/gtest.h>

#include "base/seeded_rng.hpp"
#include "base/test_bytes.hpp"
#include "crypto/legacy_digest.hpp"
#include "l2tp/control_message.hpp"

namespace tandem::l2tp {
namespace {

using tandem::testing::bytes;

TEST(L2tpAvp, WalksAvpsAndStopsCleanlyAtTheEnd) {
  // Message Type SCCRQ (M set), then a vendor AVP without M.
  auto body = bytes({0x80, 0x08, 0, 0, 0, 0, 0, 1, 0x00, 0x07, 0x01, 0x37, 0x00, 0x05, 0x42});
  AvpReader r(body);
  auto a = r.next();
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_TRUE((*a)->mandatory);
  EXPECT_EQ((*a)->type, 0);
  auto b = r.next();
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_FALSE((*b)->mandatory);
  EXPECT_EQ((*b)->vendor_id, 0x0137);
  EXPECT_EQ((*b)->value.size(), 1u);
  auto end = r.next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST(L2tpAvp, RejectsTruncatedShortAndReservedBitAvps) {
  auto truncated = bytes({0x80, 0x10, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(AvpReader(truncated).next().error(), AvpError::kTruncated);
  auto short_len = bytes({0x80, 0x04, 0, 0, 0, 0});
  EXPECT_EQ(AvpReader(short_len).next().error(), AvpError::kBadLength);
  auto reserved = bytes({0x84, 0x08, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(AvpReader(reserved).next().error(), AvpError::kReservedBits);
}

TEST(L2tpAvp, HiddenAvpFollowsTheRfcConstruction) {
  // Conceal a 2-byte Assigned Session ID and check the first 16 bytes against the 4.3 formula
  // computed here step by step: MD5(type ‖ secret ‖ RV) xor (original length ‖ value ‖ pad).
  SeededRng rng(5);
  const std::vector<AvpType> hide = {AvpType::kAssignedSessionId};
  std::vector<std::byte> out;
  AvpWriter w(out, "secret", hide, rng);
  w.add_u16(AvpType::kAssignedSessionId, 0xbeef);
  AvpReader r(out);
  auto rv = r.next();
  ASSERT_TRUE(rv.ok() && rv->has_value());
  ASSERT_EQ((*rv)->type, static_cast<std::uint16_t>(AvpType::kRandomVector));
  auto hidden = r.next();
  ASSERT_TRUE(hidden.ok() && hidden->has_value());
  EXPECT_TRUE((*hidden)->hidden);
  const ByteView c = (*hidden)->value;
  ASSERT_GE(c.size(), 4u);

  std::vector<std::byte> input = bytes({0x00, 0x0e});
  for (char ch : std::string("secret")) input.push_back(static_cast<std::byte>(ch));
  input.insert(input.end(), (*rv)->value.begin(), (*rv)->value.end());
  const auto key = crypto::md5(input);
  EXPECT_EQ(c[0] ^ key[0], std::byte{0x00});
  EXPECT_EQ(c[1] ^ key[1], std::byte{0x02});
  EXPECT_EQ(c[2] ^ key[2], std::byte{0xbe});
  EXPECT_EQ(c[3] ^ key[3], std::byte{0xef});

  std::vector<std::byte> scratch;
  auto shown = unhide_avp_value(0x0e, c, "secret", (*rv)->value, scratch);
  ASSERT_TRUE(shown.ok());
  EXPECT_EQ(std::vector<std::byte>(shown->begin(), shown->end()), bytes({0xbe, 0xef}));
}

TEST(L2tpAvp, LongHiddenValuesChainAcrossBlocksAndWrongSecretGarbles) {
  SeededRng rng(9);
  const std::vector<AvpType> hide = {AvpType::kCallingNumber};
  const std::string number(70, '7');  // five MD5 blocks
  ControlMessage m;
  m.type = MessageType::kIcrq;
  m.assigned_session_id = 3;
  m.call_serial_number = 4;
  m.calling_number = number;
  std::vector<std::byte> body;
  encode_control_message(m, {"tunnel-secret", hide, &rng}, body);
  auto ok = decode_control_message(body, "tunnel-secret");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->calling_number, number);
  auto wrong = decode_control_message(body, "other-secret");
  EXPECT_TRUE(!wrong.ok() || wrong->calling_number != number);
}

TEST(L2tpControlMessage, RoundTripsEveryFieldWeSend) {
  ControlMessage m;
  m.type = MessageType::kSccrp;
  m.result_code = ResultCodeValue{2, 6, "vendor trouble"};
  m.protocol_version = 0x0100;
  m.framing_capabilities = 3;
  m.bearer_capabilities = 0;
  m.firmware_revision = 0x0102;
  m.host_name = "gateway.example";
  m.vendor_name = "Tandem";
  m.assigned_tunnel_id = 77;
  m.receive_window_size = 16;
  m.challenge = bytes({1, 2, 3, 4, 5});
  m.challenge_response.emplace();
  m.challenge_response->fill(std::byte{0x42});
  m.tie_breaker.emplace();
  m.tie_breaker->fill(std::byte{9});
  m.assigned_session_id = 5;
  m.call_serial_number = 6;
  m.bearer_type = 1;
  m.framing_type = 1;
  m.tx_connect_speed = 100000;
  m.rx_connect_speed = 200000;
  m.called_number = "123";
  m.calling_number = "456";
  m.sequencing_required = true;
  std::vector<std::byte> body;
  encode_control_message(m, {}, body);
  auto d = decode_control_message(body, "");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->type, m.type);
  EXPECT_EQ(d->result_code->result, 2);
  EXPECT_EQ(d->result_code->error, 6);
  EXPECT_EQ(d->result_code->message, "vendor trouble");
  EXPECT_EQ(d->protocol_version, m.protocol_version);
  EXPECT_EQ(d->framing_capabilities, m.framing_capabilities);
  EXPECT_EQ(d->bearer_capabilities, m.bearer_capabilities);
  EXPECT_EQ(d->firmware_revision, m.firmware_revision);
  EXPECT_EQ(d->host_name, m.host_name);
  EXPECT_EQ(d->vendor_name, m.vendor_name);
  EXPECT_EQ(d->assigned_tunnel_id, m.assigned_tunnel_id);
  EXPECT_EQ(d->receive_window_size, m.receive_window_size);
  EXPECT_EQ(d->challenge, m.challenge);
  EXPECT_EQ(d->challenge_response, m.challenge_response);
  EXPECT_EQ(d->tie_breaker, m.tie_breaker);
  EXPECT_EQ(d->assigned_session_id, m.assigned_session_id);
  EXPECT_EQ(d->call_serial_number, m.call_serial_number);
  EXPECT_EQ(d->bearer_type, m.bearer_type);
  EXPECT_EQ(d->framing_type, m.framing_type);
  EXPECT_EQ(d->tx_connect_speed, m.tx_connect_speed);
  EXPECT_EQ(d->rx_connect_speed, m.rx_connect_speed);
  EXPECT_EQ(d->called_number, m.called_number);
  EXPECT_EQ(d->calling_number, m.calling_number);
  EXPECT_TRUE(d->sequencing_required);
}

TEST(L2tpControlMessage, UnknownMandatoryAvpIsFatalAndUnknownOptionalIsIgnored) {
  auto mandatory = bytes({0x80, 0x08, 0, 0, 0, 0, 0, 6, 0x80, 0x07, 0, 0, 0x01, 0x00, 0x01});
  auto f = decode_control_message(mandatory, "");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().error, MessageError::kUnknownMandatoryAvp);
  EXPECT_EQ(f.error().type, MessageType::kHello);
  auto optional = bytes({0x80, 0x08, 0, 0, 0, 0, 0, 6, 0x00, 0x07, 0, 0, 0x01, 0x00, 0x01});
  EXPECT_TRUE(decode_control_message(optional, "").ok());
}

TEST(L2tpControlMessage, MessageTypeMustComeFirstAndBeKnown) {
  auto host_first = bytes({0x80, 0x07, 0, 0, 0, 7, 0x41, 0x80, 0x08, 0, 0, 0, 0, 0, 1});
  EXPECT_EQ(decode_control_message(host_first, "").error().error,
            MessageError::kFirstAvpNotMessageType);
  auto unknown_m = bytes({0x80, 0x08, 0, 0, 0, 0, 0, 99});
  auto u = decode_control_message(unknown_m, "");
  EXPECT_EQ(u.error().error, MessageError::kUnknownMessageType);
  EXPECT_TRUE(u.error().mandatory);
  auto unknown_optional = bytes({0x00, 0x08, 0, 0, 0, 0, 0, 99});
  EXPECT_FALSE(decode_control_message(unknown_optional, "").error().mandatory);
}

TEST(L2tpControlMessage, WrongSizedKnownAvpIsRejected) {
  // Assigned Tunnel ID with three bytes.
  auto bad = bytes({0x80, 0x08, 0, 0, 0, 0, 0, 1, 0x80, 0x09, 0, 0, 0, 9, 1, 2, 3});
  EXPECT_EQ(decode_control_message(bad, "").error().error, MessageError::kBadAvpValue);
}

}  // namespace
}  // namespace tandem::l2tp
