// IPCP (RFC 1332) with the DNS server options of RFC 1877. The gateway side hands the peer the
// address it was given for this session and its DNS servers; the client side asks for 0.0.0.0
// and for DNS servers, and adopts what the Naks tell it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/ip_address.hpp"
#include "ppp/option_fsm.hpp"

namespace tandem::ppp {

struct IpcpSettings {
  // Gateway: our own address, the one to assign to the peer, DNS servers to offer.
  // Client: leave peer_address empty; our address is learned.
  std::optional<IpAddress> local_address;
  std::optional<IpAddress> peer_address;
  std::optional<IpAddress> primary_dns;
  std::optional<IpAddress> secondary_dns;
  bool request_dns = false;  // client: ask the gateway for DNS servers
};

class IpcpNegotiator final : public Negotiator {
 public:
  explicit IpcpNegotiator(IpcpSettings settings) : settings_(settings) {}

  void reset() override;
  std::vector<std::byte> request() override;
  Verdict check(const std::vector<Option>& options, std::vector<std::byte>& reply) override;
  void acked(const std::vector<Option>& options) override;
  void naked(const std::vector<Option>& options) override;
  void rejected(const std::vector<Option>& options) override;

  // Gateway: the address this peer gets, when it is only known after authentication (a pool
  // keyed by the user). Takes effect from the next Configure-Request the peer sends.
  void assign_peer_address(const IpAddress& address) { settings_.peer_address = address; }

  // Settled once IPCP is opened.
  std::uint32_t our_address() const { return ours_; }
  std::uint32_t peer_address() const { return peers_; }
  std::uint32_t primary_dns() const { return dns_[0]; }
  std::uint32_t secondary_dns() const { return dns_[1]; }

 private:
  IpcpSettings settings_;
  std::uint32_t ours_ = 0;
  std::uint32_t peers_ = 0;
  std::array<std::uint32_t, 2> dns_{};
  std::array<bool, 2> ask_dns_{};
};

}  // namespace tandem::ppp
