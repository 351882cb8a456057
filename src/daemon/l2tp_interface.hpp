// A running L2TP gateway or client: a TUN device, one UDP socket and the sans-I/O L2tpStack,
// all on one event loop thread. Inner packets from the TUN device are wrapped in PPP and L2TP
// in place and sent in batches; datagrams are handed to the stack and what it delivers is
// written to the TUN device. The gateway checks logins against the configured users; the
// client installs the address IPCP gave it, and the configured routes, on its TUN device.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "control/l2tp_config.hpp"
#include "crypto/random.hpp"
#include "hybrid/l2tp_stack.hpp"
#include "io/event_loop.hpp"
#include "io/netlink.hpp"
#include "io/packet_batch.hpp"
#include "io/tun_device.hpp"
#include "io/udp_socket.hpp"
#include "io/unix_socket_server.hpp"

namespace tandem::daemon {

class L2tpInterface {
 public:
  // Creates the TUN device and binds the socket; `server` is the resolved LNS for a client.
  static Result<std::unique_ptr<L2tpInterface>, std::string> create(
      const control::L2tpConfig& config, const Endpoint& server);
  ~L2tpInterface();
  L2tpInterface(const L2tpInterface&) = delete;
  L2tpInterface& operator=(const L2tpInterface&) = delete;

  const std::string& name() const { return tun_.name(); }

  // Registers the device, socket and timer with `loop` and starts the stack (a client dials).
  Result<Ok, std::string> attach(io::EventLoop& loop);
  // Serves `status` requests (one JSON document per connection) at `socket_path`.
  Result<Ok, std::string> serve_status(const std::string& socket_path);
  // Hangs up every session and tunnel; `on_done` runs once the peers acknowledged (or after a
  // few seconds if they do not answer).
  void shut_down(std::function<void()> on_done);

  std::string status_json() const;

 private:
  L2tpInterface(const control::L2tpConfig& config, const Endpoint& server, io::TunDevice tun,
                io::UdpSocket udp, io::Netlink netlink);

  void on_tun_readable();
  void on_udp_readable();
  void on_timer();
  // Sends, writes, logs and decides what the stack produced, then re-arms the timer.
  void process(hybrid::L2tpStackOutput& out);
  void on_event(const hybrid::L2tpEvent& e);
  ppp::AuthVerdict decide(const ppp::AuthRequest& request) const;
  void rearm();

  control::L2tpConfig config_;
  io::TunDevice tun_;
  io::UdpSocket udp_;
  io::Netlink netlink_;
  crypto::SystemRng rng_;
  hybrid::L2tpStack stack_;
  io::EventLoop* loop_ = nullptr;
  io::EventLoop::TimerId timer_ = 0;
  io::EventLoop::TimerId shutdown_timer_ = 0;
  std::function<void()> on_shutdown_done_;
  std::unique_ptr<io::UnixSocketServer> status_server_;

  // Scratch, allocated once.
  io::PacketBatch tun_batch_;
  io::PacketBatch udp_batch_;
  hybrid::L2tpStackOutput out_;
};

// Where `tandem status` finds each L2TP interface's status socket.
inline constexpr const char* kL2tpStatusSocketDir = "/var/run/tandem";
std::string l2tp_status_socket_path(std::string_view socket_dir, std::string_view interface_name);

// The stack settings a config section describes.
hybrid::L2tpStackConfig l2tp_stack_config(const control::L2tpConfig& config,
                                          const Endpoint& server);

}  // namespace tandem::daemon
