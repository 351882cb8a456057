#include "daemon/l2tp_interface.hpp"

#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "io/system_clock.hpp"
#include "ppp/local_auth.hpp"

namespace tandem::daemon {
namespace {

constexpr std::size_t kBatch = 64;
// Datagrams carry a full inner packet plus L2TP and PPP headers; slots leave room for both.
constexpr std::size_t kSlot = 2048;
constexpr auto kShutdownGrace = std::chrono::seconds(3);

const char* role_name(control::L2tpRole r) {
  return r == control::L2tpRole::kLns ? "LNS" : "LAC";
}

}  // namespace

std::string l2tp_status_socket_path(std::string_view socket_dir, std::string_view interface_name) {
  return std::string(socket_dir) + "/" + std::string(interface_name) + ".l2tp";
}

hybrid::L2tpStackConfig l2tp_stack_config(const control::L2tpConfig& c, const Endpoint& server) {
  hybrid::L2tpStackConfig s;
  s.role = c.role == control::L2tpRole::kLns ? hybrid::L2tpRole::kLns : hybrid::L2tpRole::kLac;
  s.node.host_name = c.host_name;
  s.node.secret = c.tunnel_secret;
  if (c.hide_avps)
    s.node.hidden_avps = {l2tp::AvpType::kAssignedSessionId, l2tp::AvpType::kCallSerialNumber};
  s.node.hello_interval = std::chrono::seconds(c.hello_interval);
  s.auth = c.auth;
  // PPP's MRU is what fits in the TUN MTU.
  s.mru = static_cast<std::uint16_t>(c.mtu);
  if (c.address) s.gateway_address = c.address->address;
  s.pool_first = c.pool_first;
  s.pool_last = c.pool_last;
  s.dns = c.dns;
  s.server = server;
  for (const auto& call : c.calls) s.calls.push_back({call.user, call.password});
  s.redial = c.redial;
  return s;
}

Result<std::unique_ptr<L2tpInterface>, std::string> L2tpInterface::create(
    const control::L2tpConfig& config, const Endpoint& server) {
  auto tun = io::TunDevice::create(config.interface, config.mtu);
  if (!tun) return Err("TUN device " + config.interface + ": " + tun.error());
  const bool gateway = config.role == control::L2tpRole::kLns;
  const auto family = gateway ? IpAddress::Family::kV4 : server.address.family();
  auto udp = io::UdpSocket::bind(family, gateway ? config.listen_port : config.local_port);
  if (!udp) return Err("UDP socket: " + udp.error());
  auto nl = io::Netlink::open();
  if (!nl) return Err(nl.error());
  return std::unique_ptr<L2tpInterface>(
      new L2tpInterface(config, server, std::move(*tun), std::move(*udp), std::move(*nl)));
}

L2tpInterface::L2tpInterface(const control::L2tpConfig& config, const Endpoint& server,
                             io::TunDevice tun, io::UdpSocket udp, io::Netlink netlink)
    : config_(config),
      tun_(std::move(tun)),
      udp_(std::move(udp)),
      netlink_(std::move(netlink)),
      stack_(l2tp_stack_config(config, server), rng_),
      tun_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom),
      udp_batch_(kBatch, kSlot, io::PacketBatch::kDefaultHeadroom) {
  static_assert(hybrid::L2tpStack::kHeadroom <= io::PacketBatch::kDefaultHeadroom);
}

L2tpInterface::~L2tpInterface() {
  if (!loop_) return;
  loop_->unwatch(tun_.fd());
  loop_->unwatch(udp_.fd());
  loop_->remove_timer(timer_);
  if (shutdown_timer_) loop_->remove_timer(shutdown_timer_);
}

Result<Ok, std::string> L2tpInterface::attach(io::EventLoop& loop) {
  const int ifindex = tun_.index();
  if (config_.address)
    if (auto ok = netlink_.add_address(ifindex, *config_.address); !ok)
      return Err("address " + config_.address->to_string() + ": " + ok.error());
  if (auto ok = netlink_.set_link_up(ifindex); !ok) return Err(ok.error());
  loop_ = &loop;
  auto timer = loop.add_timer([this] { on_timer(); });
  if (!timer) return Err(timer.error());
  timer_ = *timer;
  if (auto ok = loop.watch_readable(tun_.fd(), [this] { on_tun_readable(); }); !ok)
    return Err(ok.error());
  if (auto ok = loop.watch_readable(udp_.fd(), [this] { on_udp_readable(); }); !ok)
    return Err(ok.error());
  spdlog::info("L2TP {} on {} (UDP port {}), without IPsec: traffic is not encrypted",
               role_name(config_.role), tun_.name(), udp_.port());
  stack_.start(io::SystemClock::now(), out_);
  process(out_);
  return Ok{};
}

void L2tpInterface::on_tun_readable() {
  auto n = tun_.read_batch(tun_batch_);
  if (!n) {
    if (n.error().code == EAGAIN || n.error().code == EINTR) return;
    spdlog::error("TUN device gone ({}): shutting down", n.error().text());
    loop_->unwatch(tun_.fd());
    loop_->stop();
    return;
  }
  // Wrap each packet in place and keep those a session took at the front of the batch.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < *n; ++i)
    if (stack_.on_inner_packet(tun_batch_[i])) {
      if (kept != i) std::swap(tun_batch_[kept], tun_batch_[i]);
      ++kept;
    }
  tun_batch_.resize(kept);
  if (kept > 0) {
    const auto sent = udp_.send_batch(tun_batch_);
    if (sent.failed > 0)
      spdlog::debug("{} datagrams refused: {}", sent.failed, std::strerror(sent.first_error));
  }
}

void L2tpInterface::on_udp_readable() {
  auto n = udp_.recv_batch(udp_batch_);
  if (!n || *n == 0) return;
  const TimePoint now = io::SystemClock::now();
  for (std::size_t i = 0; i < *n; ++i) {
    stack_.on_datagram(udp_batch_[i].bytes(), udp_batch_[i].endpoint, now, out_);
    // Inner packets view this datagram's slot: write them before the next one is handled.
    process(out_);
  }
}

void L2tpInterface::on_timer() {
  stack_.on_timer(io::SystemClock::now(), out_);
  process(out_);
}

void L2tpInterface::process(hybrid::L2tpStackOutput& out) {
  // Deciding a login produces more output; loop until nothing is left.
  while (true) {
    for (const ByteView p : out.to_tun)
      if (auto ok = tun_.write(p); !ok) spdlog::debug("TUN write: {}", ok.error().text());
    for (const auto& d : out.datagrams)
      if (auto ok = udp_.send(d.bytes, d.to); !ok)
        spdlog::warn("send to {}: {}", d.to.to_string(), ok.error().text());
    for (const auto& e : out.events) on_event(e);
    auto tickets = std::move(out.auth_requests);
    out.clear();
    if (tickets.empty()) break;
    const TimePoint now = io::SystemClock::now();
    for (const auto& t : tickets) {
      const ppp::AuthVerdict v = decide(t.request);
      if (!v.accepted)
        spdlog::warn("login refused: user '{}' ({}): {}", t.request.username,
                     ppp::auth_method_name(t.request.method), v.message);
      stack_.auth_verdict(t.ref, v, now, out);
    }
  }
  if (on_shutdown_done_ && stack_.done()) {
    auto done = std::move(on_shutdown_done_);
    on_shutdown_done_ = nullptr;
    done();
    return;
  }
  rearm();
}

ppp::AuthVerdict L2tpInterface::decide(const ppp::AuthRequest& request) const {
  for (const auto& u : config_.users)
    if (u.name == request.username)
      return ppp::verify_locally(request, ppp::LocalCredential{u.password, u.nt_hash});
  return ppp::AuthVerdict{false, "", "unknown user"};
}

void L2tpInterface::on_event(const hybrid::L2tpEvent& e) {
  const auto addr = [](const std::optional<IpAddress>& a) {
    return a ? a->to_string() : std::string("-");
  };
  switch (e.type) {
    case hybrid::L2tpEventType::kTunnelUp:
      spdlog::info("tunnel {} up with {}", e.ref.tunnel_id, e.peer.to_string());
      break;
    case hybrid::L2tpEventType::kTunnelDown:
      spdlog::info("tunnel {} down ({}): {}", e.ref.tunnel_id, e.peer.to_string(), e.detail);
      break;
    case hybrid::L2tpEventType::kAuthenticated:
      spdlog::info("session {}/{}: user '{}' logged in with {}", e.ref.tunnel_id, e.ref.session_id,
                   e.user, e.detail);
      break;
    case hybrid::L2tpEventType::kLinkUp: {
      std::string dns;
      for (const auto& d : e.dns) dns += (dns.empty() ? "" : ",") + d.to_string();
      spdlog::info("session {}/{} up: user '{}' local {} remote {}{}{}", e.ref.tunnel_id,
                   e.ref.session_id, e.user, addr(e.local), addr(e.remote),
                   dns.empty() ? "" : " dns ", dns);
      if (config_.role == control::L2tpRole::kLac && e.local) {
        if (auto ok = netlink_.add_address(tun_.index(), InterfaceAddress{*e.local, 32});
            !ok && ok.error().find("exists") == std::string::npos)
          spdlog::error("cannot add address {}: {}", e.local->to_string(), ok.error());
        // Every link-up: the kernel drops a device's routes with its last IPv4 address.
        if (e.remote) {
          std::vector<IpPrefix> routes = config_.routes;
          if (routes.empty()) routes.push_back(IpPrefix(*e.remote, 32));
          for (const auto& r : routes)
            if (auto ok =
                    netlink_.add_route(io::Route{r, tun_.index(), std::nullopt, std::nullopt});
                !ok && ok.error().find("exists") == std::string::npos)
              spdlog::error("cannot add route {}: {}", r.to_string(), ok.error());
        }
      }
      break;
    }
    case hybrid::L2tpEventType::kLinkDown:
      spdlog::info("session {}/{} down: user '{}'{}{}: {}", e.ref.tunnel_id, e.ref.session_id,
                   e.user, e.local ? " local " : "", e.local ? e.local->to_string() : "", e.detail);
      if (config_.role == control::L2tpRole::kLac && e.local)
        if (auto ok = netlink_.delete_address(tun_.index(), InterfaceAddress{*e.local, 32}); !ok)
          spdlog::debug("remove address {}: {}", e.local->to_string(), ok.error());
      break;
  }
}

void L2tpInterface::rearm() {
  const TimePoint t = stack_.next_deadline();
  if (t == TimePoint::max())
    loop_->disarm_timer(timer_);
  else
    loop_->arm_timer(timer_, t);
}

void L2tpInterface::shut_down(std::function<void()> on_done) {
  on_shutdown_done_ = std::move(on_done);
  if (auto t = loop_->add_timer([this] {
        if (!on_shutdown_done_) return;
        spdlog::warn("peers did not acknowledge the hang-up within {} s",
                     std::chrono::seconds(kShutdownGrace).count());
        auto done = std::move(on_shutdown_done_);
        on_shutdown_done_ = nullptr;
        done();
      })) {
    shutdown_timer_ = *t;
    loop_->arm_timer(shutdown_timer_, io::SystemClock::now() + kShutdownGrace);
  }
  stack_.stop(io::SystemClock::now(), out_);
  process(out_);
}

Result<Ok, std::string> L2tpInterface::serve_status(const std::string& socket_path) {
  const auto slash = socket_path.rfind('/');
  if (slash != std::string::npos)
    if (auto ok = io::ensure_directory(socket_path.substr(0, slash)); !ok) return Err(ok.error());
  auto server = io::UnixSocketServer::listen(*loop_, socket_path,
                                             [this](std::string_view) { return status_json(); });
  if (!server) return Err(server.error());
  status_server_ = std::move(*server);
  return Ok{};
}

std::string L2tpInterface::status_json() const {
  nlohmann::json j;
  j["interface"] = tun_.name();
  j["role"] = config_.role == control::L2tpRole::kLns ? "lns" : "lac";
  j["udp_port"] = udp_.port();
  j["tunnels"] = stack_.node().tunnel_count();
  const auto& st = stack_.stats();
  j["stats"] = {{"to_tun", st.to_tun},
                {"from_tun", st.from_tun},
                {"no_route", st.no_route},
                {"spoofed", st.spoofed},
                {"not_ipv4", st.not_ipv4},
                {"pool_exhausted", st.pool_exhausted},
                {"data_received", stack_.node().stats().data_received},
                {"data_sent", stack_.node().stats().data_sent}};
  nlohmann::json sessions = nlohmann::json::array();
  for (const auto& s : stack_.sessions()) {
    nlohmann::json o{{"tunnel", s.ref.tunnel_id},
                     {"session", s.ref.session_id},
                     {"peer", s.peer.to_string()},
                     {"user", s.user},
                     {"up", s.up}};
    if (s.local) o["local"] = s.local->to_string();
    if (s.remote) o["remote"] = s.remote->to_string();
    sessions.push_back(std::move(o));
  }
  j["sessions"] = std::move(sessions);
  // The status socket speaks the UAPI shape: a reply ends with a blank line.
  return j.dump() + "\n\n";
}

}  // namespace tandem::daemon
