#include "io/icmp_pinger.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "io/socket_address.hpp"
#include "packet/checksum.hpp"

namespace tandem::io {
namespace {

constexpr std::uint8_t kEchoRequest = 8;
constexpr std::uint8_t kEchoReply = 0;
constexpr std::size_t kEchoSize = 8 + 16;  // header, then a little payload

}  // namespace

Result<IcmpPinger, std::string> IcmpPinger::open(const IpAddress& destination) {
  if (!destination.is_v4()) return Err(std::string("only IPv4 destinations can be pinged"));
  UniqueFd fd(::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
  if (!fd.valid())
    return Err("raw ICMP socket: " + std::string(std::strerror(errno)) + " (run as root)");
  // The identifier tells our replies from other pings on this host.
  const auto identifier = static_cast<std::uint16_t>(::getpid() & 0xffff);
  return IcmpPinger(std::move(fd), destination, identifier);
}

Result<Ok, std::string> IcmpPinger::send(std::uint16_t sequence) {
  std::array<std::byte, kEchoSize> echo{};
  echo[0] = std::byte{kEchoRequest};
  echo[4] = std::byte(identifier_ >> 8);
  echo[5] = std::byte(identifier_ & 0xff);
  echo[6] = std::byte(sequence >> 8);
  echo[7] = std::byte(sequence & 0xff);
  const std::uint16_t sum = packet::internet_checksum(echo);
  echo[2] = std::byte(sum >> 8);
  echo[3] = std::byte(sum & 0xff);
  sockaddr_storage to{};
  const socklen_t length = to_sockaddr(Endpoint{destination_, 0}, to);
  if (::sendto(fd_.get(), echo.data(), echo.size(), 0, reinterpret_cast<const sockaddr*>(&to),
               length) < 0)
    return Err("ping " + destination_.to_string() + ": " + std::strerror(errno));
  return Ok{};
}

std::vector<std::uint16_t> IcmpPinger::receive() {
  std::vector<std::uint16_t> sequences;
  std::array<std::byte, 1500> buffer{};
  while (true) {
    const ssize_t n = ::recv(fd_.get(), buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    // A raw IPv4 socket hands over the IP header too.
    const auto size = static_cast<std::size_t>(n);
    if (size < 20) continue;
    const std::size_t header = (std::to_integer<std::size_t>(buffer[0]) & 0x0f) * 4;
    if (size < header + 8 || std::to_integer<std::uint8_t>(buffer[header]) != kEchoReply) continue;
    const auto id =
        static_cast<std::uint16_t>((std::to_integer<unsigned>(buffer[header + 4]) << 8) |
                                   std::to_integer<unsigned>(buffer[header + 5]));
    if (id != identifier_) continue;
    sequences.push_back(
        static_cast<std::uint16_t>((std::to_integer<unsigned>(buffer[header + 6]) << 8) |
                                   std::to_integer<unsigned>(buffer[header + 7])));
  }
  return sequences;
}

}  // namespace tandem::io
