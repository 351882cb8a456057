// ICMP echo requests from a raw socket and the replies to them, matched by identifier: the
// traffic `tandem drill` sends through a tunnel to measure what a failover loses. IPv4 only;
// needs CAP_NET_RAW (root).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

class IcmpPinger {
 public:
  static Result<IcmpPinger, std::string> open(const IpAddress& destination);

  int fd() const { return fd_.get(); }
  // Sends echo request `sequence`.
  Result<Ok, std::string> send(std::uint16_t sequence);
  // The sequences of the replies to our requests waiting now (never blocks).
  std::vector<std::uint16_t> receive();

 private:
  IcmpPinger(UniqueFd fd, IpAddress destination, std::uint16_t identifier)
      : fd_(std::move(fd)), destination_(destination), identifier_(identifier) {}

  UniqueFd fd_;
  IpAddress destination_;
  std::uint16_t identifier_;
};

}  // namespace tandem::io
