#include "packet/ipv4_reassembly.hpp"

#include <algorithm>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

constexpr std::size_t kMaxDatagram = 0xffff;

}  // namespace

bool is_ipv4_fragment(ByteView packet) {
  if (packet.size() < kIpv4HeaderMinSize || (std::to_integer<unsigned>(packet[0]) >> 4) != 4)
    return false;
  const std::uint16_t word = load_be16(packet.data() + 6);
  return (word & (kIpv4MoreFragments | kIpv4FragmentOffsetMask)) != 0;
}

Ipv4Reassembler::Ipv4Reassembler(std::size_t max_datagrams, Duration timeout)
    : max_datagrams_(std::max<std::size_t>(1, max_datagrams)), timeout_(timeout) {}

void Ipv4Reassembler::expire(TimePoint now) {
  const auto before = partial_.size();
  std::erase_if(partial_, [&](const Partial& p) { return now - p.started >= timeout_; });
  stats_.timed_out += before - partial_.size();
}

void Ipv4Reassembler::mark(Partial& p, std::size_t begin, std::size_t end) {
  p.have.emplace_back(begin, end);
  std::sort(p.have.begin(), p.have.end());
  std::vector<std::pair<std::size_t, std::size_t>> merged;
  for (const auto& r : p.have) {
    if (!merged.empty() && r.first <= merged.back().second)
      merged.back().second = std::max(merged.back().second, r.second);
    else
      merged.push_back(r);
  }
  p.have = std::move(merged);
}

bool Ipv4Reassembler::complete(const Partial& p) {
  return p.total && !p.header.empty() && p.have.size() == 1 && p.have[0].first == 0 &&
         p.have[0].second >= *p.total;
}

std::optional<ByteView> Ipv4Reassembler::add(ByteView fragment, TimePoint now) {
  expire(now);
  const auto header = parse_ip_header(fragment);
  if (!header || header->family != IpAddress::Family::kV4 || !is_ipv4_fragment(fragment)) {
    ++stats_.invalid;
    return std::nullopt;
  }
  ++stats_.fragments;
  const std::size_t header_size = (std::to_integer<std::size_t>(fragment[0]) & 0x0f) * 4;
  const ByteView data = fragment.subspan(header_size, header->total_length - header_size);
  const std::uint16_t word = load_be16(fragment.data() + 6);
  const std::size_t offset = static_cast<std::size_t>(word & kIpv4FragmentOffsetMask) * 8;
  const bool more = (word & kIpv4MoreFragments) != 0;
  // Every fragment but the last carries a multiple of 8 bytes (RFC 791 section 3.2).
  if ((more && data.size() % 8 != 0) || offset + data.size() + header_size > kMaxDatagram) {
    ++stats_.invalid;
    return std::nullopt;
  }
  const std::uint32_t source = load_be32(fragment.data() + 12);
  const std::uint32_t destination = load_be32(fragment.data() + 16);
  const std::uint16_t id = load_be16(fragment.data() + 4);
  const auto protocol = std::to_integer<std::uint8_t>(fragment[9]);
  auto it = std::find_if(partial_.begin(), partial_.end(), [&](const Partial& p) {
    return p.source == source && p.destination == destination && p.id == id &&
           p.protocol == protocol;
  });
  if (it == partial_.end()) {
    if (partial_.size() == max_datagrams_) {
      // The oldest is the likeliest to have lost a fragment for good.
      partial_.erase(std::min_element(
          partial_.begin(), partial_.end(),
          [](const Partial& a, const Partial& b) { return a.started < b.started; }));
      ++stats_.timed_out;
    }
    partial_.push_back(Partial{source, destination, id, protocol, now, {}, {}, {}, {}});
    it = partial_.end() - 1;
  }
  Partial& p = *it;
  if (!more) {
    // Two different ends mean a broken or forged datagram: start over from this fragment's view.
    if (p.total && *p.total != offset + data.size()) {
      partial_.erase(it);
      ++stats_.invalid;
      return std::nullopt;
    }
    p.total = offset + data.size();
  }
  if (offset == 0)
    p.header.assign(fragment.begin(), fragment.begin() + static_cast<std::ptrdiff_t>(header_size));
  if (p.data.size() < offset + data.size()) p.data.resize(offset + data.size());
  std::copy(data.begin(), data.end(), p.data.begin() + static_cast<std::ptrdiff_t>(offset));
  mark(p, offset, offset + data.size());
  if (!complete(p)) return std::nullopt;

  const std::size_t size = p.header.size() + *p.total;
  out_.assign(p.header.begin(), p.header.end());
  out_.insert(out_.end(), p.data.begin(), p.data.begin() + static_cast<std::ptrdiff_t>(*p.total));
  store_be16(out_.data() + 2, static_cast<std::uint16_t>(size));
  store_be16(out_.data() + 6,
             static_cast<std::uint16_t>(load_be16(out_.data() + 6) &
                                        ~(kIpv4MoreFragments | kIpv4FragmentOffsetMask)));
  store_be16(out_.data() + 10, 0);
  store_be16(out_.data() + 10, internet_checksum(ByteView(out_.data(), p.header.size())));
  partial_.erase(it);
  ++stats_.reassembled;
  return ByteView(out_);
}

}  // namespace tandem::packet
