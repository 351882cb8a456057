// The reliable control channel alone (RFC 2661 5.8): ordering, windows, acknowledgements.
#include "l2tp/control_channel.hpp"

#include <gtest/gtest.h>

namespace tandem::l2tp {
namespace {

using namespace std::chrono_literals;
using Out = std::vector<std::vector<std::byte>>;

std::vector<std::byte> body(std::uint8_t tag) {
  return {std::byte{0x80}, std::byte{tag}};
}

Header header_of(const std::vector<std::byte>& d) {
  auto h = parse_header(d);
  EXPECT_TRUE(h.ok());
  return *h;
}

const TimePoint t0{std::chrono::seconds(100)};

TEST(L2tpControlChannel, SequenceComparisonWrapsAround) {
  EXPECT_TRUE(sequence_before(1, 2));
  EXPECT_TRUE(sequence_before(65535, 0));
  EXPECT_FALSE(sequence_before(0, 65535));
  EXPECT_FALSE(sequence_before(5, 5));
}

TEST(L2tpControlChannel, SendsNoMoreThanThePeerWindowUntilAcknowledged) {
  ControlChannel c({});
  c.set_peer_receive_window(4);
  Out out;
  for (int i = 0; i < 10; ++i) c.send(0, body(static_cast<std::uint8_t>(i)), t0, out);
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(header_of(out[3]).ns, 3);
  // A ZLB acknowledging Ns 0 and 1 opens two slots.
  std::vector<std::byte> zlb(kControlHeaderSize);
  write_control_header(zlb.data(), zlb.size(), 1, 0, 0, 2);
  std::vector<DeliveredMessage> delivered;
  out.clear();
  c.on_receive(header_of(zlb), t0, delivered, out);
  EXPECT_TRUE(delivered.empty());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(header_of(out[0]).ns, 4);
  EXPECT_EQ(header_of(out[1]).ns, 5);
}

TEST(L2tpControlChannel, DeliversInOrderAcrossAGapAndAcknowledgesOnce) {
  ControlChannel c({});
  Out out;
  std::vector<DeliveredMessage> delivered;
  std::vector<std::vector<std::byte>> msgs;
  for (std::uint16_t ns = 0; ns < 3; ++ns) {
    std::vector<std::byte> d(kControlHeaderSize + 2);
    write_control_header(d.data(), d.size(), 1, 0, ns, 0);
    d[kControlHeaderSize + 1] = static_cast<std::byte>(ns);
    msgs.push_back(d);
  }
  c.on_receive(header_of(msgs[2]), t0, delivered, out);
  c.on_receive(header_of(msgs[1]), t0, delivered, out);
  EXPECT_TRUE(delivered.empty());
  c.flush_ack(out);
  EXPECT_TRUE(out.empty());  // nothing in order yet: no acknowledgement
  c.on_receive(header_of(msgs[0]), t0, delivered, out);
  ASSERT_EQ(delivered.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(delivered[i].body[1], static_cast<std::byte>(i));
  c.flush_ack(out);
  ASSERT_EQ(out.size(), 1u);
  const auto ack = header_of(out[0]);
  EXPECT_TRUE(ack.payload.empty());
  EXPECT_EQ(ack.nr, 3);
  EXPECT_EQ(c.stats().reordered, 2u);
}

TEST(L2tpControlChannel, DuplicateIsReacknowledgedButNotDelivered) {
  ControlChannel c({});
  Out out;
  std::vector<DeliveredMessage> delivered;
  std::vector<std::byte> d(kControlHeaderSize + 2);
  write_control_header(d.data(), d.size(), 1, 0, 0, 0);
  c.on_receive(header_of(d), t0, delivered, out);
  c.flush_ack(out);
  c.on_receive(header_of(d), t0, delivered, out);
  c.flush_ack(out);
  EXPECT_EQ(delivered.size(), 1u);
  EXPECT_EQ(out.size(), 2u);
  EXPECT_EQ(c.stats().duplicates, 1u);
}

TEST(L2tpControlChannel, DropsMessagesBeyondOurReceiveWindow) {
  ControlChannelConfig config;
  config.receive_window = 4;
  ControlChannel c(config);
  Out out;
  std::vector<DeliveredMessage> delivered;
  std::vector<std::byte> d(kControlHeaderSize + 2);
  write_control_header(d.data(), d.size(), 1, 0, 4, 0);
  c.on_receive(header_of(d), t0, delivered, out);
  EXPECT_EQ(c.stats().outside_window, 1u);
  EXPECT_EQ(c.stats().reordered, 0u);
}

TEST(L2tpControlChannel, RetransmitsWithUpdatedNrAndFailsAfterTheLimit) {
  ControlChannelConfig config;
  config.max_retransmissions = 3;
  ControlChannel c(config);
  Out out;
  c.send(0, body(1), t0, out);
  // Something arrives meanwhile: the retransmission carries the new Nr.
  std::vector<std::byte> d(kControlHeaderSize + 2);
  write_control_header(d.data(), d.size(), 1, 0, 0, 0);
  std::vector<DeliveredMessage> delivered;
  c.on_receive(header_of(d), t0, delivered, out);
  out.clear();
  EXPECT_EQ(c.next_deadline(), t0 + 1s);
  EXPECT_TRUE(c.on_timer(t0 + 1s, out));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(header_of(out[0]).ns, 0);
  EXPECT_EQ(header_of(out[0]).nr, 1);
  EXPECT_EQ(c.next_deadline(), t0 + 3s);
  EXPECT_TRUE(c.on_timer(t0 + 3s, out));
  EXPECT_EQ(c.next_deadline(), t0 + 7s);
  EXPECT_TRUE(c.on_timer(t0 + 7s, out));
  EXPECT_FALSE(c.on_timer(t0 + 15s, out));
  EXPECT_EQ(c.stats().retransmitted, 3u);
}

TEST(L2tpControlChannel, IgnoresAcknowledgementOfUnsentMessages) {
  ControlChannel c({});
  Out out;
  c.send(0, body(1), t0, out);
  std::vector<std::byte> zlb(kControlHeaderSize);
  write_control_header(zlb.data(), zlb.size(), 1, 0, 0, 5);
  std::vector<DeliveredMessage> delivered;
  c.on_receive(header_of(zlb), t0, delivered, out);
  EXPECT_EQ(c.stats().bad_ack, 1u);
  EXPECT_FALSE(c.idle());
}

TEST(L2tpControlChannel, ZlbCarriesNextNsWithoutConsumingIt) {
  ControlChannel c({});
  Out out;
  c.send(0, body(1), t0, out);
  std::vector<std::byte> d(kControlHeaderSize + 2);
  write_control_header(d.data(), d.size(), 1, 0, 0, 1);
  std::vector<DeliveredMessage> delivered;
  out.clear();
  c.on_receive(header_of(d), t0, delivered, out);
  c.flush_ack(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(header_of(out[0]).ns, 1);
  c.send(0, body(2), t0, out);
  EXPECT_EQ(header_of(out[1]).ns, 1);
}

}  // namespace
}  // namespace tandem::l2tp
