// The DNS forwarder service: listeners and upstream exchanges on the control loop, the engine's
// output carried out after each event.
#include "daemon/dns_service.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <cerrno>

#include "base/bytes.hpp"
#include "io/dns_sockets.hpp"
#include "io/system_clock.hpp"

namespace tandem::daemon {
namespace {

constexpr std::string_view kTunnelPrefix = "tunnel:";
// A DNS message over TCP is at most 65535 bytes after its 2-byte length (RFC 1035 4.2.2).
constexpr std::size_t kMaxMessage = 65535;
constexpr std::size_t kMaxTcpClients = 128;
// RFC 7766 section 6.2.3: servers close idle connections; a few seconds is what it suggests.
constexpr Duration kTcpClientIdle = std::chrono::seconds(10);
constexpr Duration kSweepInterval = std::chrono::seconds(2);
// Datagrams taken from one listener per loop turn, so the others get theirs.
constexpr int kDatagramsPerTurn = 32;

std::vector<std::byte> with_length_prefix(ByteView message) {
  std::vector<std::byte> framed(2 + message.size());
  store_be16(framed.data(), static_cast<std::uint16_t>(message.size()));
  std::copy(message.begin(), message.end(), framed.begin() + 2);
  return framed;
}

// Whole messages off the front of `in` (each without its prefix); what is left waits for more.
std::vector<std::vector<std::byte>> take_framed(std::vector<std::byte>& in) {
  std::vector<std::vector<std::byte>> messages;
  std::size_t at = 0;
  while (in.size() - at >= 2) {
    const std::size_t length = load_be16(in.data() + at);
    if (in.size() - at - 2 < length) break;
    messages.emplace_back(in.begin() + static_cast<std::ptrdiff_t>(at + 2),
                          in.begin() + static_cast<std::ptrdiff_t>(at + 2 + length));
    at += 2 + length;
  }
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(at));
  return messages;
}

}  // namespace

Result<dns::RuleSet, std::string> dns_rules(const control::DnsSettings& settings,
                                            const std::string& interface_name) {
  dns::RulesConfig config;
  for (const auto& up : settings.upstreams)
    config.groups.push_back({up.name, control::dns_path(up, interface_name), up.servers});
  for (const auto& route : settings.routes)
    for (const auto& domain : route.domains) config.rules.push_back({domain, route.upstream});
  config.default_group = settings.default_upstream;
  auto rules = dns::RuleSet::build(std::move(config));
  if (!rules) return Err("[dns]: " + rules.error().message);
  return std::move(*rules);
}

std::string dns_path_device(const std::string& path) {
  return path.starts_with(kTunnelPrefix) ? path.substr(kTunnelPrefix.size()) : std::string();
}

nlohmann::json dns_stats_json(const dns::ForwarderStats& s) {
  return {{"queries", s.queries},
          {"answered", s.answered},
          {"servfail", s.servfail},
          {"timeouts", s.timeouts},
          {"upstream_errors", s.upstream_errors},
          {"failovers", s.failovers},
          {"tcp_retries", s.tcp_retries},
          {"truncated_relayed", s.truncated_relayed},
          {"truncated_to_client", s.truncated_to_client},
          {"dropped",
           {{"malformed", s.malformed},
            {"not_implemented", s.not_implemented},
            {"no_rule", s.no_rule},
            {"over_limit", s.over_limit},
            {"bad_id", s.bad_id},
            {"wrong_question", s.wrong_question},
            {"late", s.late},
            {"upstream_refusals", s.upstream_refusals}}}};
}

DnsService::DnsService(io::EventLoop& loop, dns::RuleSet rules,
                       const control::DnsSettings& settings)
    : loop_(loop),
      forwarder_(std::move(rules), rng_, dns::ForwarderConfig{settings.timeout, 1024}) {}

Result<std::unique_ptr<DnsService>, std::string> DnsService::start(
    io::EventLoop& loop, const control::DnsSettings& settings, const std::string& interface_name) {
  auto rules = dns_rules(settings, interface_name);
  if (!rules) return Err(rules.error());
  std::unique_ptr<DnsService> self(new DnsService(loop, std::move(*rules), settings));
  DnsService* raw = self.get();
  for (const auto& local : settings.listen) {
    for (const bool tcp : {false, true}) {
      auto fd = io::dns_listen(tcp ? io::DnsSocketKind::kTcp : io::DnsSocketKind::kUdp, local);
      if (!fd) return Err("[dns]: " + fd.error());
      self->listeners_.push_back({std::move(*fd), local, tcp});
    }
  }
  for (const auto& listener : self->listeners_) {
    const int fd = listener.fd.get();
    auto watched = listener.tcp ? loop.watch_readable(fd, [raw, fd] { raw->on_tcp_listener(fd); })
                                : loop.watch_readable(fd, [raw, fd] { raw->on_udp_listener(fd); });
    if (!watched) return Err("[dns]: " + watched.error());
  }
  auto timer = loop.add_timer([raw] { raw->on_timer(); });
  if (!timer) return Err("[dns]: " + timer.error());
  self->timer_ = *timer;
  auto sweep = loop.add_timer([raw] { raw->sweep_idle_clients(); });
  if (!sweep) return Err("[dns]: " + sweep.error());
  self->sweep_timer_ = *sweep;
  loop.arm_timer(self->sweep_timer_, io::SystemClock::now() + kSweepInterval);
  std::string where;
  for (const auto& local : settings.listen)
    where += (where.empty() ? "" : ", ") + local.to_string();
  spdlog::info("DNS forwarder on {} (UDP and TCP), {} upstream group(s)", where,
               settings.upstreams.size());
  return self;
}

DnsService::~DnsService() {
  for (const auto& listener : listeners_) loop_.unwatch(listener.fd.get());
  for (const auto& [fd, client] : clients_) loop_.unwatch(fd);
  for (const auto& [handle, exchange] : exchanges_) loop_.unwatch(exchange.fd.get());
  if (timer_) loop_.remove_timer(timer_);
  if (sweep_timer_) loop_.remove_timer(sweep_timer_);
}

nlohmann::json DnsService::status_json() const {
  nlohmann::json listen = nlohmann::json::array();
  for (const auto& listener : listeners_)
    if (!listener.tcp) listen.push_back(listener.local.to_string());
  nlohmann::json doc = dns_stats_json(forwarder_.stats());
  doc["listen"] = std::move(listen);
  doc["outstanding"] = forwarder_.outstanding();
  doc["open_exchanges"] = exchanges_.size();
  doc["tcp_clients"] = clients_.size();
  doc["dropped"]["exchange_failures"] = exchange_failures_;
  doc["dropped"]["tcp_clients_refused"] = tcp_clients_refused_;
  return doc;
}

void DnsService::on_udp_listener(int fd) {
  std::array<std::byte, kMaxMessage> buffer;
  dns::ForwarderOutput out;
  for (int k = 0; k < kDatagramsPerTurn; ++k) {
    auto got = io::dns_receive_from(fd, buffer);
    if (!got || !*got) break;
    const Endpoint client = (*got)->from;
    const std::size_t waiting = forwarder_.outstanding();
    const std::size_t replies = out.replies.size();
    forwarder_.on_client_query(ByteView(buffer.data(), (*got)->size), client, dns::Transport::kUdp,
                               io::SystemClock::now(), out);
    // A query now waiting on its upstream or answered at once: its reply leaves from here.
    if (forwarder_.outstanding() > waiting || out.replies.size() > replies) {
      UdpClient& entry = udp_clients_[client];
      entry.listener = fd;
      ++entry.waiting;
    }
  }
  apply(out);
}

void DnsService::on_tcp_listener(int fd) {
  for (;;) {
    auto accepted = io::dns_accept(fd);
    if (!accepted || !*accepted) return;
    if (clients_.size() >= kMaxTcpClients) {
      ++tcp_clients_refused_;
      continue;  // closed as it goes out of scope
    }
    const int client_fd = (*accepted)->fd.get();
    ClientConnection connection;
    connection.fd = std::move((*accepted)->fd);
    connection.peer = (*accepted)->peer;
    connection.last_active = io::SystemClock::now();
    if (!loop_.watch_readable(client_fd, [this, client_fd] { on_client_readable(client_fd); }))
      continue;
    tcp_client_fds_[(*accepted)->peer] = client_fd;
    clients_.emplace(client_fd, std::move(connection));
  }
}

void DnsService::on_client_readable(int fd) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  ClientConnection& c = it->second;
  std::array<std::byte, 4096> buffer;
  auto got = io::dns_read(fd, buffer);
  if (got && !*got) return;
  if (!got || **got == 0 || c.in.size() > 2 * (kMaxMessage + 2)) {
    close_client(fd);
    return;
  }
  c.in.insert(c.in.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(**got));
  c.last_active = io::SystemClock::now();
  dns::ForwarderOutput out;
  for (const auto& message : take_framed(c.in))
    forwarder_.on_client_query(message, c.peer, dns::Transport::kTcp, io::SystemClock::now(), out);
  apply(out);
}

void DnsService::on_client_writable(int fd) {
  flush_client(fd);
}

void DnsService::flush_client(int fd) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  ClientConnection& c = it->second;
  while (!c.out.empty()) {
    auto wrote = io::dns_write(fd, c.out);
    if (!wrote) {
      close_client(fd);
      return;
    }
    if (*wrote == 0) break;
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(*wrote));
  }
  if (c.out.empty())
    loop_.unwatch_writable(fd);
  else
    (void)loop_.watch_writable(fd, [this, fd] { on_client_writable(fd); });
}

void DnsService::close_client(int fd) {
  const auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  loop_.unwatch(fd);
  tcp_client_fds_.erase(it->second.peer);
  clients_.erase(it);
}

void DnsService::sweep_idle_clients() {
  const TimePoint now = io::SystemClock::now();
  std::vector<int> idle;
  for (const auto& [fd, c] : clients_)
    if (c.out.empty() && now - c.last_active > kTcpClientIdle) idle.push_back(fd);
  for (const int fd : idle) close_client(fd);
  loop_.arm_timer(sweep_timer_, now + kSweepInterval);
}

void DnsService::on_exchange_readable(std::uint64_t handle) {
  const auto it = exchanges_.find(handle);
  if (it == exchanges_.end()) return;
  Exchange& x = it->second;
  dns::ForwarderOutput out;
  const TimePoint now = io::SystemClock::now();
  if (x.transport == dns::Transport::kUdp) {
    std::array<std::byte, kMaxMessage> buffer;
    // Every datagram waiting: a forgery arriving first must not hide the answer behind it (the
    // engine drops what does not match, and counts what comes after the answer as late).
    for (;;) {
      auto got = io::dns_read(x.fd.get(), buffer);
      if (!got) {
        on_exchange_failed(handle);
        return;
      }
      if (!*got) break;
      forwarder_.on_upstream_response({handle}, ByteView(buffer.data(), **got), now, out);
    }
    apply(out);
    return;
  }
  std::array<std::byte, 4096> buffer;
  auto got = io::dns_read(x.fd.get(), buffer);
  if (got && !*got) return;
  if (!got || **got == 0 || x.in.size() > kMaxMessage + 2) {
    on_exchange_failed(handle);
    return;
  }
  x.in.insert(x.in.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(**got));
  for (const auto& message : take_framed(x.in))
    forwarder_.on_upstream_response({handle}, message, now, out);
  apply(out);
}

void DnsService::on_exchange_writable(std::uint64_t handle) {
  const auto it = exchanges_.find(handle);
  if (it == exchanges_.end()) return;
  Exchange& x = it->second;
  if (!x.connected) {
    if (io::dns_socket_error(x.fd.get()) != 0) {
      on_exchange_failed(handle);
      return;
    }
    x.connected = true;
  }
  while (!x.out.empty()) {
    auto wrote = io::dns_write(x.fd.get(), x.out);
    if (!wrote) {
      on_exchange_failed(handle);
      return;
    }
    if (*wrote == 0) return;
    x.out.erase(x.out.begin(), x.out.begin() + static_cast<std::ptrdiff_t>(*wrote));
  }
  loop_.unwatch_writable(x.fd.get());
}

void DnsService::on_exchange_failed(std::uint64_t handle) {
  dns::ForwarderOutput out;
  forwarder_.on_upstream_error({handle}, io::SystemClock::now(), out);
  // The engine closes it; should it not know the exchange any more, close it here.
  close_exchange(handle);
  apply(out);
}

void DnsService::on_timer() {
  dns::ForwarderOutput out;
  forwarder_.on_timer(io::SystemClock::now(), out);
  apply(out);
}

void DnsService::apply(dns::ForwarderOutput& out) {
  // Exchanges that cannot even be opened fail at once, which may start others.
  while (!out.sends.empty() || !out.replies.empty() || !out.closes.empty()) {
    const auto closes = std::move(out.closes);
    const auto replies = std::move(out.replies);
    const auto sends = std::move(out.sends);
    out.clear();
    for (const auto& handle : closes) close_exchange(handle.value);
    for (const auto& reply : replies) send_reply(reply);
    std::vector<dns::UpstreamQueryHandle> failed;
    for (const auto& send : sends)
      if (!open_exchange(send)) failed.push_back(send.handle);
    for (const auto& handle : failed)
      forwarder_.on_upstream_error(handle, io::SystemClock::now(), out);
  }
  rearm();
}

bool DnsService::open_exchange(const dns::UpstreamSend& send) {
  const bool tcp = send.transport == dns::Transport::kTcp;
  const std::string device = dns_path_device(send.path);
  auto fd = io::dns_connect(tcp ? io::DnsSocketKind::kTcp : io::DnsSocketKind::kUdp, send.resolver,
                            device);
  if (!fd) {
    ++exchange_failures_;
    spdlog::debug("DNS: cannot open an exchange to {} ({}): {}", send.resolver.to_string(),
                  send.group, fd.error().text());
    return false;
  }
  const int raw = fd->get();
  const std::uint64_t handle = send.handle.value;
  Exchange x;
  x.fd = std::move(*fd);
  x.transport = send.transport;
  if (tcp) {
    x.out = with_length_prefix(send.query);
  } else if (auto sent = io::dns_write(raw, send.query); !sent || *sent != send.query.size()) {
    ++exchange_failures_;
    return false;
  }
  if (!loop_.watch_readable(raw, [this, handle] { on_exchange_readable(handle); })) {
    ++exchange_failures_;
    return false;
  }
  if (tcp && !loop_.watch_writable(raw, [this, handle] { on_exchange_writable(handle); })) {
    loop_.unwatch(raw);
    ++exchange_failures_;
    return false;
  }
  exchanges_.emplace(handle, std::move(x));
  return true;
}

void DnsService::send_reply(const dns::ClientReply& reply) {
  if (reply.transport == dns::Transport::kTcp) {
    const auto it = tcp_client_fds_.find(reply.client);
    if (it == tcp_client_fds_.end()) return;  // the client has gone
    const int fd = it->second;
    ClientConnection& c = clients_.at(fd);
    const auto framed = with_length_prefix(reply.message);
    c.out.insert(c.out.end(), framed.begin(), framed.end());
    c.last_active = io::SystemClock::now();
    flush_client(fd);
    return;
  }
  const auto it = udp_clients_.find(reply.client);
  if (it == udp_clients_.end()) return;
  (void)io::dns_send_to(it->second.listener, reply.message, reply.client);
  if (--it->second.waiting == 0) udp_clients_.erase(it);
}

void DnsService::close_exchange(std::uint64_t handle) {
  const auto it = exchanges_.find(handle);
  if (it == exchanges_.end()) return;
  loop_.unwatch(it->second.fd.get());
  exchanges_.erase(it);
}

void DnsService::rearm() {
  if (const auto deadline = forwarder_.next_deadline())
    loop_.arm_timer(timer_, *deadline);
  else
    loop_.disarm_timer(timer_);
}

}  // namespace tandem::daemon
