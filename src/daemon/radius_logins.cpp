#include "daemon/radius_logins.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <thread>

#include "auth/radius_ppp.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "io/event_loop.hpp"
#include "io/packet_batch.hpp"
#include "io/system_clock.hpp"
#include "io/tls_stream.hpp"
#include "io/udp_socket.hpp"

namespace tandem::daemon {
namespace {

// A server dropping answers (a wrong secret, a forger) is logged at most this often.
constexpr Duration kDropLogEvery = std::chrono::seconds(10);
// RADIUS packets are 20 to 4096 bytes (RFC 2865 3); a stream announcing other lengths is no
// RADIUS.
constexpr std::size_t kMinPacket = 20;
constexpr std::size_t kMaxPacket = 4096;

void wipe(std::string& s) {
  crypto::secure_wipe(std::as_writable_bytes(std::span(s.data(), s.size())));
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

}  // namespace

BackendVerdict verdict_of(const auth::AccessResult& r, std::uint64_t id) {
  BackendVerdict v;
  v.id = id;
  std::string replies;
  for (const auto& m : r.reply_messages) replies += (replies.empty() ? "" : " ") + m;
  switch (r.outcome) {
    case auth::AccessOutcome::kAccepted:
      v.accepted = true;
      v.detail = "accepted by RADIUS server " + r.server;
      v.authenticator_response = r.ms_chap2_success;
      v.address = r.framed_ip_address;
      v.session_timeout = r.session_timeout;
      v.idle_timeout = r.idle_timeout;
      for (const auto& c : r.classes) v.classes.push_back(text_of(c));
      break;
    case auth::AccessOutcome::kRejected:
      // RADIUS does not say whether the name or the password was wrong: both count as guesses.
      v.failure = "wrong_password";
      v.guess = true;
      v.told_client = replies.empty() ? "wrong user name or password" : replies;
      v.detail =
          "rejected by RADIUS server " + r.server + (r.reason.empty() ? "" : ": " + r.reason);
      break;
    case auth::AccessOutcome::kFailed:
      v.failure = "radius_error";
      v.told_client = "the login could not be checked; try again later";
      v.detail = r.reason;
      break;
  }
  return v;
}

struct RadiusLogins::State {
  auth::RadiusSettings settings;
  std::unique_ptr<io::EventLoop> loop;
  std::optional<io::UdpSocket> v4, v6;
  io::EventLoop::TimerId timer = 0;
  crypto::SystemRng rng;
  auth::RadiusClient client;
  io::Notifier notifier;
  io::PacketBatch batch{16, 4096, 0};
  std::thread thread;

  // Shared with the owner's thread.
  std::mutex mutex;
  std::vector<BackendLogin> logins;
  std::vector<auth::AccountingInput> records;
  std::vector<BackendVerdict> verdicts;
  std::size_t waiting = 0;  // logins submitted and not answered yet

  // The RADIUS thread's own.
  std::map<auth::RequestId, std::uint64_t> login_of;  // engine request -> the owner's id
  std::map<std::string, TimePoint> drop_logged;
  // RadSec servers (RFC 6614): one TLS connection each, opened when a request is first sent.
  struct Radsec {
    std::string name;
    io::TlsSettings settings;
    std::unique_ptr<io::TlsStream> stream;
    std::vector<std::byte> in;
    bool writing = false;  // the loop watches the fd for writability too
  };
  std::map<Endpoint, Radsec> radsec;

  State(const auth::RadiusSettings& s, io::Notifier n)
      : settings(s), client(s.client, rng), notifier(std::move(n)) {}

  void on_wake();
  void on_readable(io::UdpSocket& socket);
  void on_timer();
  void handle(auth::RadiusOutput& out);
  void rearm();
  void send_radsec(Radsec& r, ByteView bytes);
  void on_radsec(const Endpoint& server);
  void close_radsec(Radsec& r, const std::string& why);
  void update_interest(Radsec& r, const Endpoint& server);
};

void RadiusLogins::State::close_radsec(Radsec& r, const std::string& why) {
  if (!r.stream) return;
  spdlog::warn("RadSec with {}: {}", r.name, why);
  loop->unwatch(r.stream->fd());
  r.stream.reset();
  r.in.clear();
  r.writing = false;
}

void RadiusLogins::State::update_interest(Radsec& r, const Endpoint& server) {
  if (!r.stream) return;
  const bool want = r.stream->wants_write();
  if (want && !r.writing) {
    if (auto ok = loop->watch_writable(r.stream->fd(), [this, server] { on_radsec(server); }); !ok)
      return close_radsec(r, ok.error());
    r.writing = true;
  } else if (!want && r.writing) {
    loop->unwatch_writable(r.stream->fd());
    r.writing = false;
  }
}

void RadiusLogins::State::send_radsec(Radsec& r, ByteView bytes) {
  const Endpoint server = r.settings.peer;
  if (!r.stream) {
    auto stream = io::TlsStream::connect(r.settings);
    if (!stream) {
      spdlog::warn("RadSec with {}: {}", r.name, stream.error());
      return;  // the request times out and moves on to the next server
    }
    r.stream = std::move(*stream);
    if (auto ok = loop->watch_readable(r.stream->fd(), [this, server] { on_radsec(server); }); !ok)
      return close_radsec(r, ok.error());
  }
  r.stream->write(bytes);
  update_interest(r, server);
}

void RadiusLogins::State::on_radsec(const Endpoint& server) {
  auto it = radsec.find(server);
  if (it == radsec.end() || !it->second.stream) return;
  Radsec& r = it->second;
  if (auto ok = r.stream->pump(r.in); !ok) return close_radsec(r, ok.error());
  const TimePoint now = io::SystemClock::now();
  auth::RadiusOutput out;
  while (r.in.size() >= 4) {
    const std::size_t length =
        std::to_integer<std::size_t>(r.in[2]) << 8 | std::to_integer<std::size_t>(r.in[3]);
    if (length < kMinPacket || length > kMaxPacket) {
      close_radsec(r, "a packet of " + std::to_string(length) + " bytes: not RADIUS");
      break;
    }
    if (r.in.size() < length) break;
    client.on_datagram(ByteView(r.in.data(), length), server, now, out);
    r.in.erase(r.in.begin(), r.in.begin() + static_cast<std::ptrdiff_t>(length));
  }
  update_interest(r, server);
  handle(out);
}

void RadiusLogins::State::on_wake() {
  std::vector<BackendLogin> new_logins;
  std::vector<auth::AccountingInput> new_records;
  {
    std::lock_guard lock(mutex);
    new_logins.swap(logins);
    new_records.swap(records);
  }
  const TimePoint now = io::SystemClock::now();
  auth::RadiusOutput out;
  std::vector<BackendVerdict> refused;
  for (auto& l : new_logins) {
    auto input = auth::access_input_from(l.request, l.peer.address.to_string());
    wipe(l.request.password);
    if (!input) {
      auth::AccessResult failed;
      failed.reason = "cannot ask RADIUS: " + input.error();
      refused.push_back(verdict_of(failed, l.id));
      continue;
    }
    login_of[client.submit_access(*input, now, out)] = l.id;
    if (auto* pap = std::get_if<auth::PapCredentials>(&input->credentials)) wipe(pap->password);
  }
  for (const auto& r : new_records) client.submit_accounting(r, now, out);
  if (!refused.empty()) {
    std::lock_guard lock(mutex);
    for (auto& v : refused) verdicts.push_back(std::move(v));
    waiting -= refused.size();
    notifier.raise();
  }
  handle(out);
}

void RadiusLogins::State::on_readable(io::UdpSocket& socket) {
  auto n = socket.recv_batch(batch);
  if (!n) return;
  const TimePoint now = io::SystemClock::now();
  auth::RadiusOutput out;
  for (std::size_t i = 0; i < *n; ++i)
    client.on_datagram(batch[i].bytes(), batch[i].endpoint, now, out);
  handle(out);
}

void RadiusLogins::State::on_timer() {
  auth::RadiusOutput out;
  client.on_timer(io::SystemClock::now(), out);
  handle(out);
}

void RadiusLogins::State::handle(auth::RadiusOutput& out) {
  for (const auto& d : out.datagrams) {
    if (auto r = radsec.find(d.to); r != radsec.end()) {
      send_radsec(r->second, d.bytes);
      continue;
    }
    io::UdpSocket* socket = d.to.address.is_v4() ? (v4 ? &*v4 : nullptr) : (v6 ? &*v6 : nullptr);
    if (!socket) {
      spdlog::warn("RADIUS: no socket for {} ({})", d.server, d.to.to_string());
      continue;
    }
    if (auto ok = socket->send(d.bytes, d.to); !ok)
      spdlog::debug("RADIUS: send to {} ({}): {}", d.server, d.to.to_string(), ok.error().text());
  }
  const TimePoint now = io::SystemClock::now();
  for (const auto& e : out.events) {
    switch (e.kind) {
      case auth::RadiusEvent::Kind::kServerDown:
        spdlog::warn("RADIUS server {} is not answering: {}", e.server, e.detail);
        break;
      case auth::RadiusEvent::Kind::kServerUp:
        spdlog::info("RADIUS server {} answers again", e.server);
        break;
      case auth::RadiusEvent::Kind::kDropped: {
        auto& last = drop_logged[e.server];
        if (last != TimePoint{} && now - last < kDropLogEvery) break;
        last = now;
        spdlog::warn("RADIUS: dropped an answer from {}: {}", e.server, e.detail);
        break;
      }
    }
  }
  for (const auto& a : out.accounting) {
    if (a.acknowledged)
      spdlog::debug("RADIUS accounting acknowledged by {}", a.server);
    else
      spdlog::warn("RADIUS accounting record lost: {}", a.reason);
  }
  if (!out.access.empty()) {
    std::vector<BackendVerdict> done;
    for (const auto& r : out.access) {
      auto it = login_of.find(r.id);
      if (it == login_of.end()) continue;
      done.push_back(verdict_of(r, it->second));
      login_of.erase(it);
    }
    std::lock_guard lock(mutex);
    waiting -= done.size();
    for (auto& v : done) verdicts.push_back(std::move(v));
    notifier.raise();
  }
  out = {};
  rearm();
}

void RadiusLogins::State::rearm() {
  const TimePoint next = client.next_deadline();
  if (next == TimePoint::max())
    loop->disarm_timer(timer);
  else
    loop->arm_timer(timer, next);
}

Result<std::unique_ptr<RadiusLogins>, std::string> RadiusLogins::create(
    const auth::RadiusSettings& settings) {
  auto notifier = io::Notifier::create();
  if (!notifier) return Err(notifier.error());
  auto state = std::make_unique<State>(settings, std::move(*notifier));
  auto loop = io::EventLoop::create();
  if (!loop) return Err(loop.error());
  state->loop = std::move(*loop);
  bool need_v4 = false, need_v6 = false;
  for (const auto* list : {&settings.client.authentication, &settings.client.accounting})
    for (const auto& s : *list) {
      if (s.tls) {
        const auto& t = *s.tls;
        state->radsec[s.endpoint] = State::Radsec{
            s.name,
            io::TlsSettings{s.endpoint, t.ca_file, t.server_name, t.certificate, t.private_key},
            nullptr,
            {},
            false};
        continue;
      }
      (s.endpoint.address.is_v4() ? need_v4 : need_v6) = true;
    }
  State* raw = state.get();
  for (auto [need, family, slot] : {std::tuple{need_v4, IpAddress::Family::kV4, &state->v4},
                                    std::tuple{need_v6, IpAddress::Family::kV6, &state->v6}}) {
    if (!need) continue;
    auto socket = io::UdpSocket::bind(family, 0);
    if (!socket) return Err("RADIUS socket: " + socket.error());
    *slot = std::move(*socket);
    io::UdpSocket* s = &**slot;
    if (auto ok = raw->loop->watch_readable(s->fd(), [raw, s] { raw->on_readable(*s); }); !ok)
      return Err(ok.error());
  }
  auto timer = state->loop->add_timer([raw] { raw->on_timer(); });
  if (!timer) return Err(timer.error());
  state->timer = *timer;
  state->loop->set_wake_handler([raw] { raw->on_wake(); });
  state->thread = std::thread([raw] {
    if (auto ok = raw->loop->run(); !ok) spdlog::error("RADIUS thread: {}", ok.error());
  });
  return std::unique_ptr<RadiusLogins>(new RadiusLogins(std::move(state)));
}

RadiusLogins::RadiusLogins(std::unique_ptr<State> state) : state_(std::move(state)) {}

RadiusLogins::~RadiusLogins() {
  state_->loop->stop();
  if (state_->thread.joinable()) state_->thread.join();
  for (auto& l : state_->logins) wipe(l.request.password);
}

std::string RadiusLogins::describe() const {
  std::string servers;
  for (const auto& s : state_->settings.client.authentication)
    servers += (servers.empty() ? "" : ", ") + s.name;
  return "RADIUS (" + servers + ")";
}

bool RadiusLogins::submit(BackendLogin login) {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->waiting >= kMaxQueued) {
      wipe(login.request.password);
      return false;
    }
    ++state_->waiting;
    state_->logins.push_back(std::move(login));
  }
  state_->loop->wake();
  return true;
}

void RadiusLogins::account(auth::AccountingInput record) {
  if (state_->settings.client.accounting.empty()) return;
  {
    std::lock_guard lock(state_->mutex);
    state_->records.push_back(std::move(record));
  }
  state_->loop->wake();
}

std::vector<BackendVerdict> RadiusLogins::take_verdicts() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->verdicts, {});
}

const io::Notifier& RadiusLogins::notifier() const {
  return state_->notifier;
}

}  // namespace tandem::daemon
