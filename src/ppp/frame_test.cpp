// PPP framing, control packets and options (RFC 1661 sections 2, 5, 6).
#include "ppp/frame.hpp"

#include <gtest/gtest.h>

#include "base/test_bytes.hpp"

namespace tandem::ppp {
namespace {

using tandem::testing::bytes;

TEST(PppFrame, ParsesWithAndWithoutAddressControlAndCompressedProtocol) {
  auto full = bytes({0xff, 0x03, 0xc0, 0x21, 0x01});
  auto f = parse_frame(full);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->protocol, 0xc021);
  EXPECT_EQ(f->information.size(), 1u);
  auto bare = bytes({0x80, 0x21, 0x01, 0x02});
  ASSERT_TRUE(parse_frame(bare));
  EXPECT_EQ(parse_frame(bare)->protocol, 0x8021);
  auto compressed = bytes({0x21, 0x45});
  ASSERT_TRUE(parse_frame(compressed));
  EXPECT_EQ(parse_frame(compressed)->protocol, 0x0021);
}

TEST(PppFrame, RejectsEmptyAndEvenProtocolLowByte) {
  EXPECT_FALSE(parse_frame(bytes({0xff, 0x03})));
  EXPECT_FALSE(parse_frame(bytes({0xc0, 0x20})));
}

TEST(PppFrame, ControlPacketLengthTrimsPaddingAndRejectsOverrun) {
  auto p = parse_control_packet(bytes({1, 7, 0, 6, 0xaa, 0xbb, 0xcc, 0xdd}));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->code, 1);
  EXPECT_EQ(p->identifier, 7);
  EXPECT_EQ(p->data.size(), 2u);
  EXPECT_FALSE(parse_control_packet(bytes({1, 7, 0, 9, 0})));
  EXPECT_FALSE(parse_control_packet(bytes({1, 7, 0, 3})));
}

TEST(PppFrame, BuildsFramesThatParseBack) {
  auto data = bytes({1, 4, 0x05, 0xdc});
  auto frame = build_control_frame(Protocol::kLcp, 1, 9, data);
  EXPECT_EQ(frame, bytes({0xff, 0x03, 0xc0, 0x21, 1, 9, 0, 8, 1, 4, 0x05, 0xdc}));
  auto f = parse_frame(frame);
  auto c = parse_control_packet(f->information);
  auto o = parse_options(c->data);
  ASSERT_TRUE(o);
  ASSERT_EQ(o->size(), 1u);
  EXPECT_EQ((*o)[0].type, 1);
  EXPECT_EQ(load_be16((*o)[0].value.data()), 1500);
}

TEST(PppFrame, RejectsMalformedOptionLists) {
  EXPECT_FALSE(parse_options(bytes({1})));
  EXPECT_FALSE(parse_options(bytes({1, 1})));
  EXPECT_FALSE(parse_options(bytes({1, 5, 0})));
  EXPECT_TRUE(parse_options(bytes({})));
}

}  // namespace
}  // namespace tandem::ppp
