// Drives Tandem's IKEv1 engine over real UDP sockets against an L2TP/IPsec server: Main Mode and
// Quick Mode for a transport-mode SA protecting UDP 1701, then an L2TP control connection
// (SCCRQ/SCCRP/SCCCN from Tandem's L2TP engine) carried inside UDP-encapsulated ESP. Succeeds
// only when the server's ESP decrypts with the keys Tandem derived, and Tandem's ESP decrypts
// at the server: the L2TP tunnel comes up through it. Prints the engine's events.
//
// Usage: ikev1_l2tp_probe LOCAL_ADDR SERVER_ADDR PSK [SECONDS]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "crypto/random.hpp"
#include "ipsec/esp/sa.hpp"
#include "ipsec/esp/udp_encap.hpp"
#include "ipsec/ike/v1/node.hpp"
#include "l2tp/node.hpp"

using namespace tandem;
using namespace tandem::ipsec;
using namespace tandem::ipsec::ike;

namespace {

TimePoint now() {
  return TimePoint(
      std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now().time_since_epoch()));
}

int bind_udp(const IpAddress& a, std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  std::memcpy(&sin.sin_addr, a.data(), 4);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
    std::perror("bind");
    return -1;
  }
  return fd;
}

void send_to(int fd, ByteView bytes, const Endpoint& to) {
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(to.port);
  std::memcpy(&sin.sin_addr, to.address.data(), 4);
  ::sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
}

std::optional<std::pair<std::vector<std::byte>, Endpoint>> receive(int fd) {
  std::vector<std::byte> buf(65536);
  sockaddr_in sin{};
  socklen_t len = sizeof sin;
  const ssize_t n =
      ::recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&sin), &len);
  if (n < 0) return std::nullopt;
  buf.resize(static_cast<std::size_t>(n));
  std::array<std::uint8_t, 4> a{};
  std::memcpy(a.data(), &sin.sin_addr, 4);
  return std::make_pair(std::move(buf), Endpoint{IpAddress::v4(a), ntohs(sin.sin_port)});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s LOCAL_ADDR SERVER_ADDR PSK [SECONDS]\n", argv[0]);
    return 2;
  }
  const auto local = IpAddress::parse(argv[1]);
  const auto server = IpAddress::parse(argv[2]);
  const std::string psk = argv[3];
  const int seconds = argc > 4 ? std::atoi(argv[4]) : 30;
  if (!local || !server || !local->is_v4() || !server->is_v4()) return 2;
  const int s500 = bind_udp(*local, kIkePort);
  const int s4500 = bind_udp(*local, kNatTraversalPort);
  if (s500 < 0 || s4500 < 0) return 1;

  crypto::SystemRng rng;
  v1::PeerConfig peer;
  peer.name = "server";
  peer.address = *server;
  peer.psk.assign(reinterpret_cast<const std::byte*>(psk.data()),
                  reinterpret_cast<const std::byte*>(psk.data() + psk.size()));
  v1::Config config;
  config.peers = {peer};
  v1::Node ike(config, rng);
  l2tp::NodeConfig l2tp_config;
  l2tp::Node l2tp(l2tp_config, rng);

  std::optional<esp::OutboundSa> out_sa;
  std::optional<esp::InboundSa> in_sa;
  Endpoint esp_peer;
  bool tunnel_up = false;
  bool l2tp_started = false;

  const auto send_l2tp = [&](ByteView l2tp_bytes) {
    // UDP 1701 -> 1701 (checksum 0, allowed for IPv4), sealed in transport mode.
    std::vector<std::byte> slot(64 + 8 + l2tp_bytes.size() + 64);
    const std::size_t len = 8 + l2tp_bytes.size();
    const std::uint8_t hdr[8] = {
        0x06, 0xa5, 0x06, 0xa5, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len),
        0,    0};
    std::memcpy(slot.data() + 64, hdr, 8);
    std::memcpy(slot.data() + 72, l2tp_bytes.data(), l2tp_bytes.size());
    Packet p{slot.data(), slot.size(), 64, len, {}};
    if (!out_sa->seal(p, esp::kNextUdp, rng)) return;
    send_to(s4500, p.bytes(), esp_peer);
  };

  const auto apply = [&](Actions& a) {
    for (const auto& d : a.datagrams) {
      if (d.local_port == kIkePort) {
        send_to(s500, d.bytes, d.to);
      } else if (d.keepalive) {
        send_to(s4500, d.bytes, d.to);
      } else {
        std::vector<std::byte> framed(esp::kNonEspMarker.begin(), esp::kNonEspMarker.end());
        framed.insert(framed.end(), d.bytes.begin(), d.bytes.end());
        send_to(s4500, framed, d.to);
      }
    }
    for (const auto& e : a.events)
      std::printf("ike %s: %s\n", event_type_name(e.type), e.detail.c_str());
    for (const auto& c : a.installs) {
      auto o = esp::OutboundSa::create(c.outbound_spi, c.outbound_keys);
      auto i = esp::InboundSa::create(c.inbound_spi, c.inbound_keys);
      if (!o || !i) {
        std::printf("cannot key ESP: %s\n", (!o ? o.error() : i.error()).c_str());
        continue;
      }
      out_sa.emplace(std::move(*o));
      in_sa.emplace(std::move(*i));
      esp_peer = c.peer;
      std::printf("esp installed: in %08x out %08x to %s (%s)\n", c.inbound_spi, c.outbound_spi,
                  c.peer.to_string().c_str(), c.suite.c_str());
    }
    a.clear();
  };
  const auto apply_l2tp = [&](l2tp::Actions& a) {
    for (const auto& d : a.datagrams)
      if (out_sa) send_l2tp(d.bytes);
    for (const auto& e : a.events) {
      std::printf("l2tp %s %s\n", l2tp::event_type_name(e.type), e.reason.c_str());
      if (e.type == l2tp::EventType::kTunnelUp) tunnel_up = true;
    }
    a.clear();
  };

  Actions actions;
  l2tp::Actions l2tp_actions;
  if (auto h = ike.initiate("server", {*local, kIkePort}, now(), actions); !h) {
    std::printf("initiate: %s\n", h.error().c_str());
    return 1;
  }
  apply(actions);
  const TimePoint end = now() + std::chrono::seconds(seconds);
  while (now() < end && !tunnel_up) {
    if (out_sa && !l2tp_started) {
      l2tp_started = true;
      if (auto t = l2tp.open_tunnel({*server, 1701}, now(), l2tp_actions); !t) return 1;
      apply_l2tp(l2tp_actions);
    }
    pollfd fds[2] = {{s500, POLLIN, 0}, {s4500, POLLIN, 0}};
    ::poll(fds, 2, 100);
    while (auto r = receive(s500)) {
      ike.on_datagram(r->first, {*local, kIkePort}, r->second, now(), actions);
      apply(actions);
    }
    while (auto r = receive(s4500)) {
      const ByteView d = r->first;
      switch (esp::classify_udp_payload(d)) {
        case esp::UdpPayload::kIke:
          ike.on_datagram(esp::ike_message(d), {*local, kNatTraversalPort}, r->second, now(),
                          actions);
          apply(actions);
          break;
        case esp::UdpPayload::kEsp: {
          if (!in_sa) break;
          Packet p{r->first.data(), r->first.size(), 0, r->first.size(), {}};
          const auto next = in_sa->open(p);
          if (!next) {
            std::printf("esp: inbound packet refused: %s\n", esp::open_error_name(next.error()));
            break;
          }
          ike.note_inbound_esp(in_sa->spi(), now());
          if (*next != esp::kNextUdp || p.length < 8) break;
          const ByteView udp = p.bytes();
          l2tp.on_datagram(udp.subspan(8), {*server, 1701}, now(), l2tp_actions);
          apply_l2tp(l2tp_actions);
          break;
        }
        default:
          break;
      }
    }
    ike.on_timer(now(), actions);
    apply(actions);
    l2tp.on_timer(now(), l2tp_actions);
    apply_l2tp(l2tp_actions);
  }
  std::printf("result: esp %s, l2tp tunnel %s\n", out_sa ? "up" : "down",
              tunnel_up ? "up through ESP" : "down");
  ::close(s500);
  ::close(s4500);
  return out_sa && tunnel_up ? 0 : 1;
}
