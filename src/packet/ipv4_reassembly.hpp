// IPv4 reassembly (RFC 791 section 3.2, RFC 815): the fragments of one datagram put back
// together. For the datagrams a nested stack takes for its own protocol: a peer whose tunnel MTU
// is larger than the path inside which it is carried (a wireguard-go at its default 1420 inside
// an L2TP session of 1400) has its kernel send them in fragments.
//
// Bounded: at most `max_datagrams` partial datagrams at once (the oldest goes to make room), each
// at most 65535 bytes, each given up `timeout` after its first fragment. Overlapping fragments
// are accepted, the later one's bytes winning: what comes out is authenticated by the protocol
// it is for (WireGuard's AEAD, ESP's ICV), so a forged or overlapping fragment yields a datagram
// that protocol drops. Pure: no I/O, no clock of its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/time.hpp"

namespace tandem::packet {

// Whether `packet` is an IPv4 fragment (MF set or a non-zero offset).
bool is_ipv4_fragment(ByteView packet);

class Ipv4Reassembler {
 public:
  struct Stats {
    std::uint64_t fragments = 0;
    std::uint64_t reassembled = 0;
    std::uint64_t timed_out = 0;  // given up after the timeout, or evicted to make room
    std::uint64_t invalid = 0;    // not a whole IPv4 fragment, or beyond 65535 bytes
  };

  explicit Ipv4Reassembler(std::size_t max_datagrams = 16,
                           Duration timeout = std::chrono::seconds(3));

  // Takes one fragment (a whole IPv4 packet with MF or an offset). When it completes its
  // datagram, returns the whole datagram: the first fragment's header (options included) with
  // MF, offset, total length and checksum rewritten, then the data. The view is valid until the
  // next call.
  std::optional<ByteView> add(ByteView fragment, TimePoint now);
  const Stats& stats() const { return stats_; }
  std::size_t pending() const { return partial_.size(); }

 private:
  struct Partial {
    std::uint32_t source = 0, destination = 0;
    std::uint16_t id = 0;
    std::uint8_t protocol = 0;
    TimePoint started;
    std::vector<std::byte> header;     // the first fragment's, once it came
    std::vector<std::byte> data;       // grows to the furthest byte seen
    std::optional<std::size_t> total;  // data length, known from the last fragment
    std::vector<std::pair<std::size_t, std::size_t>> have;  // received [begin, end), merged
  };
  void expire(TimePoint now);
  static void mark(Partial& p, std::size_t begin, std::size_t end);
  static bool complete(const Partial& p);

  std::size_t max_datagrams_;
  Duration timeout_;
  std::vector<Partial> partial_;
  std::vector<std::byte> out_;
  Stats stats_;
};

}  // namespace tandem::packet
