// IPv4 fragmentation as RFC 791 section 3.2 describes it, with the copied-flag rule for options
// of section 3.1.
#include "packet/ipv4_fragment.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "packet/checksum.hpp"
#include "packet/ip_packet.hpp"

namespace tandem::packet {
namespace {

constexpr std::uint8_t kOptionEndOfList = 0;
constexpr std::uint8_t kOptionNoOperation = 1;
constexpr std::uint8_t kOptionCopied = 0x80;  // copy this option into every fragment
constexpr std::size_t kFragmentBlock = 8;     // fragment offsets count 8-byte blocks
// The bit before DF, reserved and zero by RFC 791; carried through as it came.
constexpr std::uint16_t kIpv4ReservedFlag = 0x8000;

std::uint8_t byte_at(ByteView p, std::size_t i) {
  return std::to_integer<std::uint8_t>(p[i]);
}

// Writes the options of `options` whose copied flag is set to `out`, padded with End of Option
// List to a multiple of 4 bytes, and returns their size; nullopt when an option runs past the
// header or has a length below 2. `out` needs options.size() bytes: the copied options are a
// subset, so they and their padding never need more.
std::optional<std::size_t> copy_copied_options(ByteView options, std::byte* out) {
  std::size_t size = 0;
  for (std::size_t i = 0; i < options.size();) {
    const std::uint8_t type = byte_at(options, i);
    if (type == kOptionEndOfList) break;
    if (type == kOptionNoOperation) {
      ++i;
      continue;
    }
    if (i + 1 >= options.size()) return std::nullopt;
    const std::size_t length = byte_at(options, i + 1);
    if (length < 2 || i + length > options.size()) return std::nullopt;
    if ((type & kOptionCopied) != 0) {
      std::memcpy(out + size, options.data() + i, length);
      size += length;
    }
    i += length;
  }
  while (size % 4 != 0) out[size++] = std::byte{kOptionEndOfList};
  return size;
}

// Writes one fragment, `header` then `data`, to `slot` (which holds both) with the total length,
// the flags and offset word and the header checksum set; returns its size. memmove because the
// first fragment may be made in place.
std::size_t write_fragment(MutableByteView slot, ByteView header, ByteView data,
                           std::uint16_t flags_and_offset) {
  std::byte* p = slot.data();
  std::memmove(p, header.data(), header.size());
  std::memmove(p + header.size(), data.data(), data.size());
  const std::size_t total = header.size() + data.size();
  store_be16(p + 2, static_cast<std::uint16_t>(total));
  store_be16(p + 6, flags_and_offset);
  store_be16(p + 10, 0);
  store_be16(p + 10, internet_checksum(ByteView(p, header.size())));
  return total;
}

}  // namespace

std::size_t fragment_ipv4(ByteView packet, std::size_t mtu,
                          std::span<const MutableByteView> out_slots,
                          std::span<std::size_t> out_lengths) {
  const auto ip = parse_ip_header(packet);
  const std::size_t slots = std::min(out_slots.size(), out_lengths.size());
  if (!ip || ip->family != IpAddress::Family::kV4 || slots == 0) return 0;
  const ByteView whole = packet.first(ip->total_length);
  if (whole.size() <= mtu) {
    if (out_slots[0].size() < whole.size()) return 0;
    std::memmove(out_slots[0].data(), whole.data(), whole.size());
    out_lengths[0] = whole.size();
    return 1;
  }
  const std::uint16_t flags_and_offset = load_be16(whole.data() + 6);
  if ((flags_and_offset & kIpv4DontFragment) != 0 || mtu < kIpv4MinimumMtu) return 0;

  const std::size_t header_size = (byte_at(whole, 0) & 0x0f) * std::size_t{4};
  std::array<std::byte, kIpv4HeaderMaxSize> later_header{};
  std::memcpy(later_header.data(), whole.data(), kIpv4HeaderMinSize);
  const auto copied =
      copy_copied_options(whole.subspan(kIpv4HeaderMinSize, header_size - kIpv4HeaderMinSize),
                          later_header.data() + kIpv4HeaderMinSize);
  if (!copied) return 0;
  const std::size_t later_header_size = kIpv4HeaderMinSize + *copied;
  later_header[0] = std::byte(0x40 | later_header_size / 4);

  // mtu >= 68 leaves at least 8 bytes of data next to the largest header (60 bytes).
  const ByteView data = whole.subspan(header_size);
  const std::size_t first_data = (mtu - header_size) / kFragmentBlock * kFragmentBlock;
  const std::size_t later_data = (mtu - later_header_size) / kFragmentBlock * kFragmentBlock;
  const std::size_t count = 1 + (data.size() - first_data + later_data - 1) / later_data;
  const std::size_t base = (flags_and_offset & kIpv4FragmentOffsetMask) * kFragmentBlock;
  const std::size_t last_offset = base + first_data + (count - 2) * later_data;
  if (count > slots || last_offset / kFragmentBlock > kIpv4FragmentOffsetMask) return 0;

  const bool original_more = (flags_and_offset & kIpv4MoreFragments) != 0;
  const auto kept_flags = static_cast<std::uint16_t>(flags_and_offset & kIpv4ReservedFlag);
  std::size_t done = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const ByteView header =
        i == 0 ? whole.first(header_size) : ByteView(later_header).first(later_header_size);
    const std::size_t size = std::min(i == 0 ? first_data : later_data, data.size() - done);
    if (out_slots[i].size() < header.size() + size) return 0;
    const bool more = done + size < data.size() || original_more;
    const auto word = static_cast<std::uint16_t>(kept_flags | (more ? kIpv4MoreFragments : 0) |
                                                 (base + done) / kFragmentBlock);
    out_lengths[i] = write_fragment(out_slots[i], header, data.subspan(done, size), word);
    done += size;
  }
  return count;
}

}  // namespace tandem::packet
