#include "packet/ipv4_reassembly.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <vector>

#include "packet/checksum.hpp"
#include "packet/ipv4_fragment.hpp"
#include "packet/udp_datagram.hpp"

namespace tandem::packet {
namespace {

using std::chrono::seconds;

// A UDP datagram of `payload` bytes (a counting pattern) from 10.0.0.1 to 10.0.0.2, without DF,
// with identification `id`.
std::vector<std::byte> datagram(std::size_t payload, std::uint16_t id = 7) {
  std::vector<std::byte> out(udp_headers_size(IpAddress::Family::kV4) + payload);
  for (std::size_t i = 0; i < payload; ++i) out[28 + i] = std::byte(i * 7 + 3);
  const Endpoint from{*IpAddress::parse("10.0.0.1"), 51820};
  const Endpoint to{*IpAddress::parse("10.0.0.2"), 51820};
  EXPECT_EQ(write_udp_headers(out, from, to, payload), out.size());
  store_be16(out.data() + 4, id);
  store_be16(out.data() + 6, 0);  // no DF: it may be fragmented
  store_be16(out.data() + 10, 0);
  store_be16(out.data() + 10, internet_checksum(ByteView(out.data(), 20)));
  return out;
}

std::vector<std::vector<std::byte>> fragments(const std::vector<std::byte>& packet,
                                              std::size_t mtu) {
  std::vector<std::vector<std::byte>> storage(8, std::vector<std::byte>(2048));
  std::vector<MutableByteView> slots;
  for (auto& s : storage) slots.emplace_back(s);
  std::array<std::size_t, 8> lengths{};
  const std::size_t n = fragment_ipv4(packet, mtu, slots, lengths);
  EXPECT_GT(n, 1u);
  storage.resize(n);
  for (std::size_t i = 0; i < n; ++i) storage[i].resize(lengths[i]);
  return storage;
}

const TimePoint kStart{};

TEST(Ipv4Reassembly, PutsFragmentsBackInAnyOrder) {
  const auto whole = datagram(1372);
  auto pieces = fragments(whole, 1000);
  ASSERT_EQ(pieces.size(), 2u);
  for (bool reversed : {false, true}) {
    Ipv4Reassembler r;
    if (reversed) std::reverse(pieces.begin(), pieces.end());
    EXPECT_TRUE(is_ipv4_fragment(pieces[0]));
    EXPECT_FALSE(r.add(pieces[0], kStart));
    const auto out = r.add(pieces[1], kStart);
    ASSERT_TRUE(out);
    ASSERT_TRUE(std::equal(out->begin(), out->end(), whole.begin(), whole.end()));
    const auto d = parse_udp_datagram(*out);
    ASSERT_TRUE(d);
    EXPECT_TRUE(udp_checksum_holds(*d));
    EXPECT_EQ(r.pending(), 0u);
  }
}

TEST(Ipv4Reassembly, ManySmallPiecesWithADuplicate) {
  const auto whole = datagram(3000);
  auto pieces = fragments(whole, 576);
  ASSERT_GE(pieces.size(), 5u);
  Ipv4Reassembler r;
  std::optional<ByteView> out;
  EXPECT_FALSE(r.add(pieces[2], kStart));
  EXPECT_FALSE(r.add(pieces[2], kStart));  // the same again
  for (std::size_t i = 0; i < pieces.size(); ++i)
    if (i != 2) out = r.add(pieces[i], kStart);
  ASSERT_TRUE(out);
  EXPECT_TRUE(std::equal(out->begin(), out->end(), whole.begin(), whole.end()));
  EXPECT_EQ(r.stats().reassembled, 1u);
}

TEST(Ipv4Reassembly, InterleavedDatagramsAreKeptApart) {
  const auto a = datagram(1500, 1);
  const auto b = datagram(1500, 2);
  const auto pa = fragments(a, 1000);
  const auto pb = fragments(b, 1000);
  Ipv4Reassembler r;
  EXPECT_FALSE(r.add(pa[0], kStart));
  EXPECT_FALSE(r.add(pb[1], kStart));
  const auto first = r.add(pa[1], kStart);
  ASSERT_TRUE(first);
  EXPECT_TRUE(std::equal(first->begin(), first->end(), a.begin(), a.end()));
  const auto second = r.add(pb[0], kStart);
  ASSERT_TRUE(second);
  EXPECT_TRUE(std::equal(second->begin(), second->end(), b.begin(), b.end()));
}

TEST(Ipv4Reassembly, GivesUpAfterTheTimeoutAndWhenFull) {
  const auto pieces = fragments(datagram(1500), 1000);
  Ipv4Reassembler r(2, seconds(3));
  EXPECT_FALSE(r.add(pieces[0], kStart));
  // The rest comes too late: it starts a datagram of its own, which never completes.
  EXPECT_FALSE(r.add(pieces[1], kStart + seconds(4)));
  EXPECT_EQ(r.stats().timed_out, 1u);
  EXPECT_EQ(r.pending(), 1u);
  // Two more datagrams in progress: the oldest makes room.
  EXPECT_FALSE(r.add(fragments(datagram(1500, 8), 1000)[0], kStart + seconds(5)));
  EXPECT_FALSE(r.add(fragments(datagram(1500, 9), 1000)[0], kStart + seconds(5)));
  EXPECT_EQ(r.pending(), 2u);
  EXPECT_EQ(r.stats().timed_out, 2u);
}

TEST(Ipv4Reassembly, RefusesWholePacketsOddPiecesAndTwoEnds) {
  Ipv4Reassembler r;
  const auto whole = datagram(100);
  EXPECT_FALSE(is_ipv4_fragment(whole));
  EXPECT_FALSE(r.add(whole, kStart));
  auto pieces = fragments(datagram(1500), 1000);
  auto odd = pieces[0];  // MF set, but 7 bytes short of a multiple of 8
  odd.resize(odd.size() - 7);
  store_be16(odd.data() + 2, static_cast<std::uint16_t>(odd.size()));
  EXPECT_FALSE(r.add(odd, kStart));
  EXPECT_EQ(r.stats().invalid, 2u);
  // A last fragment, then another last fragment that ends elsewhere: the datagram is dropped.
  auto shorter = pieces[1];
  shorter.resize(shorter.size() - 8);
  store_be16(shorter.data() + 2, static_cast<std::uint16_t>(shorter.size()));
  EXPECT_FALSE(r.add(pieces[1], kStart));
  EXPECT_FALSE(r.add(shorter, kStart));
  EXPECT_EQ(r.pending(), 0u);
  EXPECT_FALSE(r.add(pieces[0], kStart));  // no longer completes anything
}

}  // namespace
}  // namespace tandem::packet
