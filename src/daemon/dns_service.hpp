// The split-DNS forwarder as a service of the node ([dns], control/dns_config.hpp): UDP and TCP
// listeners on the listen addresses, the sans-I/O engine (dns/forwarder.hpp) deciding where each
// query goes, and one fresh socket per upstream exchange: a UDP socket, or a TCP connection
// whose messages carry RFC 7766's 2-byte length prefix, bound to the tunnel's device for a
// `through = "tunnel"` group. A refused exchange (ICMP unreachable on the connected UDP socket,
// a TCP connection refused or reset) is reported to the engine at once, so the group's next
// server is tried without waiting for the timeout.
//
// It runs on the node's control loop, the thread that also answers the admin socket: DNS is a
// handful of small messages a second, far below what would disturb the control plane, the data
// plane (WireGuard's threads) is not touched, and the status document reads the engine's
// counters on the thread that changes them, with no lock. Single-threaded: every call on the
// loop's thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "control/dns_config.hpp"
#include "crypto/random.hpp"
#include "dns/forwarder.hpp"
#include "io/event_loop.hpp"
#include "io/unique_fd.hpp"

namespace tandem::daemon {

// The engine's rules from [dns]: each group's path is "tunnel:DEVICE" or "underlay".
Result<dns::RuleSet, std::string> dns_rules(const control::DnsSettings& settings,
                                            const std::string& interface_name);

// The device an engine path names: "tunnel:wg0" -> "wg0"; "" for "underlay".
std::string dns_path_device(const std::string& path);

// [dns] counters as the status document's "dns" object.
nlohmann::json dns_stats_json(const dns::ForwarderStats& stats);

class DnsService {
 public:
  // Binds every listener (an address not yet on a device is fine: IP_FREEBIND) and joins `loop`.
  static Result<std::unique_ptr<DnsService>, std::string> start(
      io::EventLoop& loop, const control::DnsSettings& settings, const std::string& interface_name);
  ~DnsService();
  DnsService(const DnsService&) = delete;
  DnsService& operator=(const DnsService&) = delete;

  // Listen addresses, the engine's counters, queries in flight, open exchanges and connections.
  nlohmann::json status_json() const;

 private:
  struct Listener {
    io::UniqueFd fd;
    Endpoint local;
    bool tcp = false;
  };
  // A TCP client: messages in with their length prefix, replies out the same way.
  struct ClientConnection {
    io::UniqueFd fd;
    Endpoint peer;
    std::vector<std::byte> in;
    std::vector<std::byte> out;
    TimePoint last_active{};
  };
  // One upstream exchange: its socket and, over TCP, the query still to write and the answer so
  // far.
  struct Exchange {
    io::UniqueFd fd;
    dns::Transport transport = dns::Transport::kUdp;
    std::vector<std::byte> out;
    std::vector<std::byte> in;
    bool connected = false;
  };
  // Where a UDP client's reply leaves from (the listener its query came to), and how many of
  // its queries wait for one.
  struct UdpClient {
    int listener = -1;
    unsigned waiting = 0;
  };

  DnsService(io::EventLoop& loop, dns::RuleSet rules, const control::DnsSettings& settings);

  void on_udp_listener(int fd);
  void on_tcp_listener(int fd);
  void on_client_readable(int fd);
  void on_client_writable(int fd);
  void close_client(int fd);
  void on_exchange_readable(std::uint64_t handle);
  void on_exchange_writable(std::uint64_t handle);
  void on_exchange_failed(std::uint64_t handle);
  void on_timer();
  void sweep_idle_clients();

  // Carries out what the engine asked for: exchanges opened (those that fail at once are
  // reported back to the engine, whose answer is carried out in turn), replies sent, exchanges
  // closed; then the timer set to the engine's next deadline.
  void apply(dns::ForwarderOutput& out);
  bool open_exchange(const dns::UpstreamSend& send);
  void send_reply(const dns::ClientReply& reply);
  void flush_client(int fd);
  void close_exchange(std::uint64_t handle);
  void rearm();

  io::EventLoop& loop_;
  crypto::SystemRng rng_;
  dns::Forwarder forwarder_;
  std::vector<Listener> listeners_;
  std::unordered_map<int, ClientConnection> clients_;  // by fd
  std::map<Endpoint, int> tcp_client_fds_;             // peer -> fd
  std::map<Endpoint, UdpClient> udp_clients_;
  std::unordered_map<std::uint64_t, Exchange> exchanges_;  // by engine handle
  io::EventLoop::TimerId timer_ = 0;
  io::EventLoop::TimerId sweep_timer_ = 0;
  std::uint64_t exchange_failures_ = 0;  // sockets that could not be opened or sent on
  std::uint64_t tcp_clients_refused_ = 0;
};

}  // namespace tandem::daemon
