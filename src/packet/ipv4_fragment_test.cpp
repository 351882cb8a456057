// IPv4 fragmentation: sizes, offsets and MF of each fragment, the header fields kept and
// recomputed, the copied-flag rule for options, re-fragmenting a fragment, the fragments
// reassembling to the original data over many sizes and MTUs, and every refusal.
#include "packet/ipv4_fragment.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"
#include "packet/mtu_test_packets.hpp"

namespace tandem::packet {
namespace {

using testing::fragmentation_problem;
using testing::ipv4_packet;

// Record Route (not copied), Loose Source Route (copied), No Operation, Router Alert (copied):
// 19 bytes, one End of Option List to pad.
const std::vector<std::uint8_t> kMixedOptions = {0x07, 7, 4, 0, 0, 0,    0, 0x83, 7, 4,
                                                 10,   3, 0, 1, 1, 0x94, 4, 0,    0};

// `count` slots of `size` bytes, as the free slots of a packet batch would be.
struct Slots {
  Slots(std::size_t count, std::size_t size)
      : storage(count, std::vector<std::byte>(size)), lengths(count) {
    for (auto& s : storage) views.emplace_back(s);
  }
  std::size_t fragment(ByteView packet, std::size_t mtu) {
    made = fragment_ipv4(packet, mtu, views, lengths);
    return made;
  }
  std::vector<ByteView> fragments() const {
    std::vector<ByteView> out;
    for (std::size_t i = 0; i < made; ++i) out.emplace_back(storage[i].data(), lengths[i]);
    return out;
  }
  std::vector<std::vector<std::byte>> storage;
  std::vector<MutableByteView> views;
  std::vector<std::size_t> lengths;
  std::size_t made = 0;
};

std::uint16_t word_of(ByteView fragment) {
  return load_be16(fragment.data() + 6);
}

TEST(Ipv4Fragment, Splits1500BytesFor576IntoEightByteAlignedPieces) {
  const auto packet = ipv4_packet({.payload = 1480});
  Slots slots(8, 576);
  ASSERT_EQ(slots.fragment(packet, 576), 3u);
  const auto f = slots.fragments();
  // (576 - 20) rounded down to 8 is 552: 552 + 552 + 376 bytes of data.
  EXPECT_EQ(slots.lengths[0], 572u);
  EXPECT_EQ(slots.lengths[1], 572u);
  EXPECT_EQ(slots.lengths[2], 396u);
  EXPECT_EQ(word_of(f[0]), kIpv4MoreFragments | 0);
  EXPECT_EQ(word_of(f[1]), kIpv4MoreFragments | 69);
  EXPECT_EQ(word_of(f[2]), 138);
  for (const ByteView fragment : f) {
    EXPECT_EQ(load_be16(fragment.data() + 2), fragment.size());
    EXPECT_EQ(std::to_integer<unsigned>(fragment[0]), 0x45u);
    EXPECT_EQ(load_be16(fragment.data() + 4), 0x4d2f);         // ID
    EXPECT_EQ(std::to_integer<unsigned>(fragment[1]), 0x28u);  // TOS
    EXPECT_EQ(std::to_integer<unsigned>(fragment[8]), 61u);    // TTL
    EXPECT_EQ(std::to_integer<unsigned>(fragment[9]), 17u);
    EXPECT_TRUE(std::equal(fragment.begin() + 12, fragment.begin() + 20, packet.begin() + 12));
    EXPECT_EQ(internet_checksum(fragment.first(20)), 0);
  }
  EXPECT_EQ(fragmentation_problem(packet, 576, f), "");
}

TEST(Ipv4Fragment, FragmentsOfManySizesFitAndReassemble) {
  std::mt19937 random(7);
  const std::vector<std::vector<std::uint8_t>> options = {
      {}, kMixedOptions, std::vector<std::uint8_t>(40, 1), {0x83, 39, 4}};
  for (int round = 0; round < 3000; ++round) {
    const std::size_t payload = random() % 4000;
    const std::size_t mtu = 68 + random() % 1500;
    auto option_bytes = options[random() % options.size()];
    option_bytes.resize(option_bytes.size() == 3 ? 39 : option_bytes.size());
    const auto word =
        static_cast<std::uint16_t>(random() % 2 ? 0 : (random() % 512) | kIpv4MoreFragments);
    const auto packet =
        ipv4_packet({.flags_and_offset = word, .options = option_bytes, .payload = payload});
    // Enough slots even when every later fragment carries a 60-byte header.
    Slots slots(payload / std::max<std::size_t>(8, (mtu - 60) / 8 * 8) + 2, mtu);
    ASSERT_NE(slots.fragment(packet, mtu), 0u) << payload << " " << mtu;
    ASSERT_EQ(fragmentation_problem(packet, mtu, slots.fragments()), "")
        << payload << " " << mtu << " " << option_bytes.size();
  }
}

TEST(Ipv4Fragment, FirstFragmentKeepsAllOptionsLaterOnesOnlyCopiedOnes) {
  const auto packet = ipv4_packet({.options = kMixedOptions, .payload = 1000});
  Slots slots(8, 600);
  ASSERT_EQ(slots.fragment(packet, 600), 2u);
  const auto f = slots.fragments();
  ASSERT_EQ(std::to_integer<unsigned>(f[0][0]), 0x45u + 5);  // 40-byte header
  EXPECT_TRUE(std::equal(f[0].begin() + 20, f[0].begin() + 40, packet.begin() + 20));
  // Loose Source Route and Router Alert, 11 bytes, and one byte of End of Option List.
  ASSERT_EQ(std::to_integer<unsigned>(f[1][0]), 0x45u + 3);  // 32-byte header
  const std::vector<std::byte> later_options(f[1].begin() + 20, f[1].begin() + 32);
  const std::vector<std::byte> expected = {
      std::byte{0x83}, std::byte{7},    std::byte{4}, std::byte{10}, std::byte{3}, std::byte{0},
      std::byte{1},    std::byte{0x94}, std::byte{4}, std::byte{0},  std::byte{0}, std::byte{0}};
  EXPECT_EQ(later_options, expected);
  // (600 - 40) / 8 * 8 = 560 bytes in the first, the remaining 440 in the second.
  EXPECT_EQ(slots.lengths[0], 600u);
  EXPECT_EQ(slots.lengths[1], 32u + 440u);
  EXPECT_EQ(word_of(f[1]), 70);
  EXPECT_EQ(fragmentation_problem(packet, 600, f), "");
}

TEST(Ipv4Fragment, LaterFragmentsWithoutCopiedOptionsHaveTheBareHeader) {
  // Timestamp (type 0x44, not copied) with room for two stamps.
  const auto packet =
      ipv4_packet({.options = {0x44, 12, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0}, .payload = 1200});
  Slots slots(8, 576);
  ASSERT_EQ(slots.fragment(packet, 576), 3u);
  const auto f = slots.fragments();
  EXPECT_EQ(std::to_integer<unsigned>(f[0][0]), 0x48u);
  EXPECT_EQ(std::to_integer<unsigned>(f[1][0]), 0x45u);
  EXPECT_EQ(std::to_integer<unsigned>(f[2][0]), 0x45u);
  EXPECT_EQ(fragmentation_problem(packet, 576, f), "");
}

TEST(Ipv4Fragment, SixtyEightByteMtuCarriesEightBytesNextToTheLargestHeader) {
  const auto packet = ipv4_packet({.options = std::vector<std::uint8_t>(40, 1), .payload = 200});
  Slots slots(8, 68);
  ASSERT_EQ(slots.fragment(packet, 68), 5u);
  EXPECT_EQ(slots.lengths[0], 68u);  // 60 header + 8 data
  EXPECT_EQ(slots.lengths[1], 68u);  // 20 header + 48 data
  EXPECT_EQ(slots.lengths[4], 68u);  // 192 bytes after the first are four times 48
  EXPECT_EQ(fragmentation_problem(packet, 68, slots.fragments()), "");
}

TEST(Ipv4Fragment, RefragmentingAFragmentKeepsItsOffsetAndMoreFragments) {
  // A middle fragment (offset 185 blocks = 1480 bytes, MF set): every piece keeps MF.
  const auto middle = ipv4_packet({.flags_and_offset = kIpv4MoreFragments | 185, .payload = 1480});
  Slots slots(8, 576);
  ASSERT_EQ(slots.fragment(middle, 576), 3u);
  auto f = slots.fragments();
  EXPECT_EQ(word_of(f[0]), kIpv4MoreFragments | 185);
  EXPECT_EQ(word_of(f[1]), kIpv4MoreFragments | (185 + 69));
  EXPECT_EQ(word_of(f[2]), kIpv4MoreFragments | (185 + 138));
  EXPECT_EQ(fragmentation_problem(middle, 576, f), "");
  // The original's last fragment: the last piece has MF clear.
  const auto last = ipv4_packet({.flags_and_offset = 185, .payload = 1480});
  ASSERT_EQ(slots.fragment(last, 576), 3u);
  f = slots.fragments();
  EXPECT_EQ(word_of(f[1]), kIpv4MoreFragments | (185 + 69));
  EXPECT_EQ(word_of(f[2]), 185 + 138);
  EXPECT_EQ(fragmentation_problem(last, 576, f), "");
}

TEST(Ipv4Fragment, APacketThatFitsIsCopiedUnchangedWithoutTrailingBytes) {
  auto packet = ipv4_packet({.flags_and_offset = kIpv4DontFragment, .payload = 1380});
  const auto original = packet;
  packet.resize(1500, std::byte{0xee});
  Slots slots(1, 1400);
  ASSERT_EQ(slots.fragment(packet, 1400), 1u);
  EXPECT_EQ(slots.lengths[0], 1400u);
  EXPECT_TRUE(std::equal(original.begin(), original.end(), slots.storage[0].begin()));
}

TEST(Ipv4Fragment, FragmentsInPlaceWhenTheFirstSlotIsThePacket) {
  const auto packet = ipv4_packet({.options = kMixedOptions, .payload = 3000});
  Slots apart(8, 1280);
  ASSERT_EQ(apart.fragment(packet, 1280), 3u);

  std::vector<std::byte> buffer = packet;
  Slots rest(8, 1280);
  std::vector<MutableByteView> views = rest.views;
  views[0] = MutableByteView(buffer);
  std::vector<std::size_t> lengths(8);
  ASSERT_EQ(fragment_ipv4(buffer, 1280, views, lengths), 3u);
  EXPECT_EQ(lengths, apart.lengths);
  EXPECT_TRUE(std::equal(buffer.begin(), buffer.begin() + 1280, apart.storage[0].begin()));
  EXPECT_EQ(rest.storage[1], apart.storage[1]);
  EXPECT_EQ(rest.storage[2], apart.storage[2]);
}

TEST(Ipv4Fragment, RefusesDontFragmentIpv6AndWhatIsNotAPacket) {
  Slots slots(8, 1500);
  EXPECT_EQ(
      slots.fragment(ipv4_packet({.flags_and_offset = kIpv4DontFragment, .payload = 1480}), 576),
      0u);
  const auto v6 =
      testing::ipv6_packet(*IpAddress::parse("fd00::1"), *IpAddress::parse("fd00::2"), 17, 1460);
  EXPECT_EQ(slots.fragment(v6, 1280), 0u);
  auto truncated = ipv4_packet({.payload = 1480});
  truncated.resize(1000);
  EXPECT_EQ(slots.fragment(truncated, 576), 0u);
  EXPECT_EQ(slots.fragment({}, 576), 0u);
}

TEST(Ipv4Fragment, RefusesAnMtuBelow68) {
  Slots slots(64, 100);
  const auto packet = ipv4_packet({.payload = 200});
  EXPECT_EQ(slots.fragment(packet, 67), 0u);
  EXPECT_NE(slots.fragment(packet, 68), 0u);
}

TEST(Ipv4Fragment, RefusesMalformedOptions) {
  Slots slots(8, 576);
  // A length of 0, a length past the header, a type with no length byte.
  for (const std::vector<std::uint8_t>& options :
       {std::vector<std::uint8_t>{0x83, 0, 0, 0},
        std::vector<std::uint8_t>{0x83, 9, 0, 0, 0, 0, 0, 0},
        std::vector<std::uint8_t>{1, 1, 1, 0x83}}) {
    EXPECT_EQ(slots.fragment(ipv4_packet({.options = options, .payload = 1480}), 576), 0u);
  }
}

TEST(Ipv4Fragment, RefusesTooFewSlotsOrLengthsAndSlotsTooSmall) {
  const auto packet = ipv4_packet({.payload = 1480});
  Slots three(3, 576);
  EXPECT_EQ(three.fragment(packet, 576), 3u);
  Slots two(2, 576);
  EXPECT_EQ(two.fragment(packet, 576), 0u);
  std::vector<std::size_t> two_lengths(2);
  EXPECT_EQ(fragment_ipv4(packet, 576, three.views, two_lengths), 0u);
  Slots small(3, 571);
  EXPECT_EQ(small.fragment(packet, 576), 0u);
  EXPECT_EQ(fragment_ipv4(packet, 1500, {}, {}), 0u);
}

TEST(Ipv4Fragment, RefusesOffsetsPastTheThirteenBitField) {
  Slots slots(8, 576);
  // 8000 blocks + 2 * 552 bytes: the last piece starts at block 8138, which fits.
  EXPECT_EQ(slots.fragment(ipv4_packet({.flags_and_offset = 8000, .payload = 1480}), 576), 3u);
  // 8180 blocks + 552 bytes is block 8249, past 8191.
  EXPECT_EQ(slots.fragment(ipv4_packet({.flags_and_offset = 8180, .payload = 1480}), 576), 0u);
}

}  // namespace
}  // namespace tandem::packet
