// A minimal pcap writer for capture tools: classic pcap, LINKTYPE_RAW, IPv4 packets built around
// the payloads an engine produced, so tshark can decode them as if they had crossed a wire.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"

namespace tandem::tools {

class PcapWriter {
 public:
  explicit PcapWriter(const char* path) : f_(std::fopen(path, "wb")) {
    if (f_ == nullptr) return;
    // Classic pcap header, LINKTYPE_RAW (101): each record starts with an IP header.
    const std::uint32_t header[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 101};
    std::fwrite(header, 1, sizeof header, f_);
  }
  ~PcapWriter() {
    if (f_ != nullptr) std::fclose(f_);
  }
  bool ok() const { return f_ != nullptr; }

  void udp(const Endpoint& from, const Endpoint& to, ByteView payload, std::uint32_t usec) {
    std::vector<std::byte> p(28 + payload.size());
    write_ip_header(p, 17, from.address, to.address);
    store_be16(p.data() + 20, from.port);
    store_be16(p.data() + 22, to.port);
    store_be16(p.data() + 24, static_cast<std::uint16_t>(8 + payload.size()));
    std::copy(payload.begin(), payload.end(), p.begin() + 28);  // UDP checksum 0: none (IPv4)
    record(p, usec);
  }

  // An IPv4 packet of protocol `protocol` (50: ESP) around `payload`.
  void ip(std::uint8_t protocol, const IpAddress& from, const IpAddress& to, ByteView payload,
          std::uint32_t usec) {
    std::vector<std::byte> p(20 + payload.size());
    write_ip_header(p, protocol, from, to);
    std::copy(payload.begin(), payload.end(), p.begin() + 20);
    record(p, usec);
  }

  static std::uint16_t checksum(ByteView b) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < b.size(); i += 2) sum += load_be16(b.data() + i);
    if (b.size() % 2 != 0) sum += std::to_integer<std::uint32_t>(b.back()) << 8;
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
  }

 private:
  static void write_ip_header(std::vector<std::byte>& p, std::uint8_t protocol,
                              const IpAddress& from, const IpAddress& to) {
    p[0] = std::byte{0x45};
    store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
    p[8] = std::byte{64};
    p[9] = std::byte{protocol};
    std::memcpy(p.data() + 12, from.data(), 4);
    std::memcpy(p.data() + 16, to.data(), 4);
    store_be16(p.data() + 10, checksum(ByteView(p).subspan(0, 20)));
  }
  void record(const std::vector<std::byte>& p, std::uint32_t usec) {
    const std::uint32_t header[] = {1'700'000'000u + usec / 1'000'000u, usec % 1'000'000u,
                                    static_cast<std::uint32_t>(p.size()),
                                    static_cast<std::uint32_t>(p.size())};
    std::fwrite(header, 1, sizeof header, f_);
    std::fwrite(p.data(), 1, p.size(), f_);
  }

  std::FILE* f_;
};

}  // namespace tandem::tools
