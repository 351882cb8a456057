// radius_client_check: Tandem's RADIUS client engine over a real UDP socket, for interop tests
// against a RADIUS server. One Access-Request (PAP, CHAP-MD5 or MS-CHAPv2, the peer's part
// computed here from the password as Tandem's PPP client computes it) or one Accounting-Request,
// with failover across the servers given in order; prints the result, the attributes honoured
// and the elapsed time.
//
//   radius_client_check --server HOST:PORT[/SECRET]... --secret S --user U
//                       (--pap|--chap|--mschapv2) PASSWORD
//   radius_client_check --server HOST:PORT[/SECRET]... --secret S --acct start|interim|stop
//                       --session-id ID [--user U] [--in-octets N] [--out-octets N]
//                       [--in-packets N] [--out-packets N] [--session-time S] [--framed-ip A]
//   common: [--timeout-ms N] [--retries N] [--no-require-message-authenticator]
//
// Exit status: 0 accepted (or accounting acknowledged), 1 rejected, 2 failed (no usable
// answer), 3 usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "auth/radius_client.hpp"
#include "crypto/mschap.hpp"
#include "crypto/random.hpp"

using namespace tandem;
using namespace tandem::auth;

namespace {

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr, "radius_client_check: %s\n", why.c_str());
  std::exit(3);
}

struct Options {
  std::vector<std::string> servers;
  std::string secret;
  std::string user;
  std::string method;  // pap, chap, mschapv2
  std::string password;
  std::string acct;  // start, interim, stop
  AccountingInput accounting;
  long timeout_ms = 1000;
  unsigned retries = 2;
  bool require_message_authenticator = true;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(a + " needs a value");
      return argv[++i];
    };
    if (a == "--server")
      o.servers.push_back(value());
    else if (a == "--secret")
      o.secret = value();
    else if (a == "--user")
      o.user = value();
    else if (a == "--pap" || a == "--chap" || a == "--mschapv2") {
      o.method = a.substr(2);
      o.password = value();
    } else if (a == "--acct")
      o.acct = value();
    else if (a == "--session-id")
      o.accounting.session_id = value();
    else if (a == "--in-octets")
      o.accounting.input_octets = std::stoull(value());
    else if (a == "--out-octets")
      o.accounting.output_octets = std::stoull(value());
    else if (a == "--in-packets")
      o.accounting.input_packets = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--out-packets")
      o.accounting.output_packets = static_cast<std::uint32_t>(std::stoul(value()));
    else if (a == "--session-time")
      o.accounting.session_time = std::chrono::seconds(std::stol(value()));
    else if (a == "--framed-ip")
      o.accounting.framed_ip_address = IpAddress::parse(value());
    else if (a == "--timeout-ms")
      o.timeout_ms = std::stol(value());
    else if (a == "--retries")
      o.retries = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--no-require-message-authenticator")
      o.require_message_authenticator = false;
    else
      usage("unknown option " + a);
  }
  if (o.servers.empty()) usage("no --server");
  if (o.acct.empty() && (o.method.empty() || o.user.empty()))
    usage("--user and one of --pap, --chap, --mschapv2 (or --acct)");
  return o;
}

std::vector<RadiusServer> servers_of(const Options& o) {
  std::vector<RadiusServer> out;
  for (const auto& text : o.servers) {
    RadiusServer s;
    const auto slash = text.find('/');
    const std::string address = text.substr(0, slash);
    const auto endpoint = Endpoint::parse(address);
    if (!endpoint) usage("bad server address " + address);
    s.name = address;
    s.endpoint = *endpoint;
    s.secret = slash == std::string::npos ? o.secret : text.substr(slash + 1);
    s.timeout = std::chrono::milliseconds(o.timeout_ms);
    s.retries = o.retries;
    s.require_message_authenticator = o.require_message_authenticator;
    out.push_back(s);
  }
  return out;
}

TimePoint monotonic_now() {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

socklen_t to_sockaddr(const Endpoint& e, sockaddr_storage& ss) {
  std::memset(&ss, 0, sizeof ss);
  if (e.address.is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(e.port);
    std::memcpy(&sin->sin_addr, e.address.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(e.port);
  std::memcpy(&sin6->sin6_addr, e.address.data(), 16);
  return sizeof(sockaddr_in6);
}

Endpoint from_sockaddr(const sockaddr_storage& ss) {
  Endpoint e;
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    e.address = IpAddress::from_bytes(reinterpret_cast<const std::byte*>(&sin->sin_addr),
                                      IpAddress::Family::kV4);
    e.port = ntohs(sin->sin_port);
  } else {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    e.address = IpAddress::from_bytes(reinterpret_cast<const std::byte*>(&sin6->sin6_addr),
                                      IpAddress::Family::kV6);
    e.port = ntohs(sin6->sin6_port);
  }
  return e;
}

Credentials credentials_of(const Options& o, Rng& rng) {
  if (o.method == "pap") return PapCredentials{o.password};
  if (o.method == "chap") {
    ChapCredentials c;
    c.identifier = static_cast<std::uint8_t>(rng.next_u32());
    c.challenge.resize(16);
    rng.fill(c.challenge);
    c.response = crypto::chap_md5_response(c.identifier, o.password, c.challenge);
    return c;
  }
  MsChapV2Credentials m;
  m.identifier = static_cast<std::uint8_t>(rng.next_u32());
  rng.fill(m.authenticator_challenge);
  rng.fill(m.peer_challenge);
  const auto nt =
      crypto::generate_nt_response(m.authenticator_challenge, m.peer_challenge, o.user, o.password);
  if (!nt) usage("MS-CHAPv2 needs MD4 and DES (OpenSSL's legacy provider)");
  m.nt_response = *nt;
  return m;
}

std::string printable(const std::vector<std::byte>& v) {
  std::string s;
  for (auto b : v) {
    const auto c = std::to_integer<unsigned char>(b);
    s += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return s;
}

int report_access(const AccessResult& r, const Credentials& credentials, const Options& o) {
  std::string outcome = access_outcome_name(r.outcome);
  std::string reason = r.reason;
  int status = r.outcome == AccessOutcome::kAccepted   ? 0
               : r.outcome == AccessOutcome::kRejected ? 1
                                                       : 2;
  if (const auto* m = std::get_if<MsChapV2Credentials>(&credentials);
      m && r.outcome == AccessOutcome::kAccepted) {
    // The PPP client's own check of the server's authenticator response (RFC 2759 8.8).
    const auto hash = crypto::nt_password_hash(o.password);
    const bool verified = hash && crypto::check_authenticator_response(
                                      *hash, m->nt_response, m->peer_challenge,
                                      m->authenticator_challenge, o.user, r.ms_chap2_success);
    std::printf("ms-chap2-success: %s (%s)\n", r.ms_chap2_success.c_str(),
                verified ? "verified" : "does NOT verify");
    if (!verified) {
      outcome = "rejected";
      reason = "the authenticator response does not verify";
      status = 1;
    }
  }
  std::printf("result: %s\n", outcome.c_str());
  std::printf("server: %s\n", r.server.c_str());
  std::printf("reason: %s\n", reason.c_str());
  if (r.framed_ip_address)
    std::printf("framed-ip-address: %s\n", r.framed_ip_address->to_string().c_str());
  if (r.session_timeout)
    std::printf("session-timeout: %lld\n",
                static_cast<long long>(to_millis(*r.session_timeout) / 1000));
  if (r.idle_timeout)
    std::printf("idle-timeout: %lld\n", static_cast<long long>(to_millis(*r.idle_timeout) / 1000));
  for (const auto& c : r.classes) std::printf("class: %s\n", printable(c).c_str());
  for (const auto& m : r.reply_messages) std::printf("reply-message: %s\n", m.c_str());
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  crypto::SystemRng rng;
  RadiusClientSettings settings;
  settings.nas_identifier = "tandem-interop";
  const bool accounting = !o.acct.empty();
  (accounting ? settings.accounting : settings.authentication) = servers_of(o);

  const auto& servers = accounting ? settings.accounting : settings.authentication;
  const int family = servers.front().endpoint.address.is_v4() ? AF_INET : AF_INET6;
  const int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    std::perror("socket");
    return 2;
  }

  RadiusClient client(settings, rng);
  RadiusOutput out;
  const TimePoint start = monotonic_now();
  Credentials credentials;
  if (accounting) {
    AccountingInput in = o.accounting;
    in.user_name = o.user;
    if (o.acct == "start")
      in.status_type = radius::AcctStatusType::kStart;
    else if (o.acct == "interim")
      in.status_type = radius::AcctStatusType::kInterimUpdate;
    else if (o.acct == "stop")
      in.status_type = radius::AcctStatusType::kStop;
    else
      usage("--acct takes start, interim or stop");
    if (in.status_type == radius::AcctStatusType::kStop)
      in.terminate_cause = radius::AcctTerminateCause::kUserRequest;
    in.event_timestamp =
        static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
    client.submit_accounting(in, start, out);
  } else {
    credentials = credentials_of(o, rng);
    client.submit_access({o.user, credentials, "192.0.2.77"}, start, out);
  }

  for (;;) {
    for (const auto& d : out.datagrams) {
      sockaddr_storage ss;
      const socklen_t len = to_sockaddr(d.to, ss);
      if (sendto(fd, d.bytes.data(), d.bytes.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) < 0)
        std::fprintf(stderr, "sendto %s: %s\n", d.to.to_string().c_str(), std::strerror(errno));
    }
    out.datagrams.clear();
    for (const auto& e : out.events)
      std::printf("event: %s %s: %s\n",
                  e.kind == RadiusEvent::Kind::kServerDown ? "server-down"
                  : e.kind == RadiusEvent::Kind::kServerUp ? "server-up"
                                                           : "dropped",
                  e.server.c_str(), e.detail.c_str());
    out.events.clear();
    if (!out.access.empty() || !out.accounting.empty()) break;

    const TimePoint now = monotonic_now();
    const TimePoint deadline = client.next_deadline();
    const auto wait_ms = deadline == TimePoint::max()
                             ? 1000
                             : std::max<std::int64_t>(0, to_millis(deadline - now) + 1);
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(wait_ms));
    if (ready > 0) {
      std::vector<std::byte> buffer(radius::kMaxPacketSize + 1);
      sockaddr_storage from;
      socklen_t from_len = sizeof from;
      const ssize_t n = recvfrom(fd, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
      if (n >= 0)
        client.on_datagram(ByteView(buffer).first(static_cast<std::size_t>(n)), from_sockaddr(from),
                           monotonic_now(), out);
    }
    client.on_timer(monotonic_now(), out);
  }
  close(fd);

  const auto elapsed = to_millis(monotonic_now() - start);
  int status = 2;
  if (accounting) {
    const auto& r = out.accounting.front();
    std::printf("result: %s\n", r.acknowledged ? "acknowledged" : "failed");
    std::printf("server: %s\n", r.server.c_str());
    std::printf("reason: %s\n", r.reason.c_str());
    status = r.acknowledged ? 0 : 2;
  } else {
    status = report_access(out.access.front(), credentials, o);
  }
  std::printf("elapsed-ms: %lld\n", static_cast<long long>(elapsed));
  const auto& stats = client.stats();
  for (std::size_t i = 0; i < stats.drops.size(); ++i)
    if (stats.drops[i] != 0)
      std::printf("dropped: %s=%llu\n", response_drop_name(static_cast<ResponseDrop>(i)),
                  static_cast<unsigned long long>(stats.drops[i]));
  std::printf("retransmissions: %llu failovers: %llu\n",
              static_cast<unsigned long long>(stats.retransmissions),
              static_cast<unsigned long long>(stats.failovers));
  return status;
}
