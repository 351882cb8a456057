// RFC 2661 section 3.1 header parsing and writing.
#include "l2tp/header.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "base/test_bytes.hpp"
#include "l2tp/protocol.hpp"

namespace tandem::l2tp {
namespace {

using tandem::testing::bytes;

TEST(L2tpHeader, ParsesControlHeaderWrittenByUs) {
  std::vector<std::byte> d(kControlHeaderSize + 3, std::byte{0x5a});
  write_control_header(d.data(), d.size(), 0x1234, 0x5678, 7, 9);
  auto h = parse_header(d);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->is_control);
  EXPECT_EQ(h->tunnel_id, 0x1234);
  EXPECT_EQ(h->session_id, 0x5678);
  EXPECT_EQ(h->ns, 7);
  EXPECT_EQ(h->nr, 9);
  EXPECT_EQ(h->payload.size(), 3u);
  // T, L, S set and version 2: 0xc802.
  EXPECT_EQ(d[0], std::byte{0xc8});
  EXPECT_EQ(d[1], std::byte{0x02});
}

TEST(L2tpHeader, ParsesMinimalDataHeader) {
  std::vector<std::byte> d(kMinimalDataHeaderSize + 4, std::byte{0xff});
  write_data_header(d.data(), 1, 2);
  auto h = parse_header(d);
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(h->is_control);
  EXPECT_EQ(h->tunnel_id, 1);
  EXPECT_EQ(h->session_id, 2);
  EXPECT_EQ(h->payload.size(), 4u);
}

TEST(L2tpHeader, ParsesDataHeaderWithLengthSequenceAndOffsetPadding) {
  // L, S, O set; length 16 of a 20-byte datagram; offset size 2 skips two pad bytes.
  auto d = bytes({0x4a, 0x02, 0x00, 0x12, 0x00, 0x05, 0x00, 0x06, 0x00, 0x01,
                  0x00, 0x02, 0x00, 0x02, 0xee, 0xee, 0xff, 0x03, 0xde, 0xad});
  auto h = parse_header(d);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->has_sequence);
  EXPECT_EQ(h->tunnel_id, 5);
  EXPECT_EQ(h->session_id, 6);
  EXPECT_EQ(h->ns, 1);
  ASSERT_EQ(h->payload.size(), 2u);  // trimmed to Length: the trailing bytes are not PPP
  EXPECT_EQ(h->payload[0], std::byte{0xff});
}

TEST(L2tpHeader, RejectsVersion3) {
  auto d = bytes({0xc8, 0x03, 0x00, 0x0c, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(parse_header(d).error(), HeaderError::kWrongVersion);
}

TEST(L2tpHeader, RejectsControlMessageWithoutLengthOrSequence) {
  EXPECT_EQ(parse_header(bytes({0x88, 0x02, 0, 1, 0, 0, 0, 0, 0, 0})).error(),
            HeaderError::kBadControlFlags);
  EXPECT_EQ(parse_header(bytes({0xc0, 0x02, 0, 8, 0, 1, 0, 0})).error(),
            HeaderError::kBadControlFlags);
}

TEST(L2tpHeader, RejectsLengthBeyondDatagramOrShorterThanHeader) {
  EXPECT_EQ(parse_header(bytes({0xc8, 0x02, 0x00, 0x20, 0, 1, 0, 0, 0, 0, 0, 0})).error(),
            HeaderError::kBadLength);
  EXPECT_EQ(parse_header(bytes({0xc8, 0x02, 0x00, 0x04, 0, 1, 0, 0, 0, 0, 0, 0})).error(),
            HeaderError::kBadLength);
}

TEST(L2tpHeader, RejectsOffsetBeyondDatagramAndTruncation) {
  EXPECT_EQ(parse_header(bytes({0x02, 0x02, 0, 1, 0, 2, 0x00, 0x40})).error(),
            HeaderError::kBadOffset);
  EXPECT_EQ(parse_header(bytes({0xc8, 0x02, 0x00})).error(), HeaderError::kTooShort);
  EXPECT_EQ(parse_header(bytes({0xc8, 0x02, 0x00, 0x0a, 0, 1, 0, 0, 0, 0})).error(),
            HeaderError::kTooShort);
}

}  // namespace
}  // namespace tandem::l2tp
