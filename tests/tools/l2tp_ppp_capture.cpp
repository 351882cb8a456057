// Writes a pcap of a whole L2TP + PPP conversation between Tandem's LAC and LNS engines, run in
// memory: tunnel and session setup, LCP, the chosen authentication, IPCP, IPV6CP, two ICMP echo
// packets through the session, LCP echo, PPP termination, CDN and StopCCN. Each L2TP datagram is
// wrapped in IPv4 and UDP (port 1701) so an independent decoder (tshark) can check our encoding.
// Usage: l2tp_ppp_capture OUT.pcap pap|chap|mschapv2
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "l2tp/test_link.hpp"
#include "ppp/test_pair.hpp"
#include "tools/pcap_writer.hpp"

using namespace tandem;
using tandem::tools::PcapWriter;

namespace {

// An ICMP echo request or reply from `src` to `dst`, checksums filled in.
std::vector<std::byte> icmp_echo(const char* src, const char* dst, bool reply) {
  std::vector<std::byte> p(28 + 16, std::byte{0x61});
  p[0] = std::byte{0x45};
  p[1] = std::byte{0};
  store_be16(p.data() + 2, static_cast<std::uint16_t>(p.size()));
  store_be16(p.data() + 4, 1);
  store_be16(p.data() + 6, 0);
  p[8] = std::byte{64};
  p[9] = std::byte{1};
  store_be16(p.data() + 10, 0);
  std::memcpy(p.data() + 12, IpAddress::parse(src)->data(), 4);
  std::memcpy(p.data() + 16, IpAddress::parse(dst)->data(), 4);
  store_be16(p.data() + 10, PcapWriter::checksum(ByteView(p).subspan(0, 20)));
  p[20] = std::byte{reply ? std::uint8_t{0} : std::uint8_t{8}};
  p[21] = std::byte{0};
  store_be16(p.data() + 22, 0);
  store_be16(p.data() + 24, 0x1234);
  store_be16(p.data() + 26, 1);
  store_be16(p.data() + 22, PcapWriter::checksum(ByteView(p).subspan(20)));
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s OUT.pcap pap|chap|mschapv2\n", argv[0]);
    return 2;
  }
  const std::string method_name = argv[2];
  const ppp::AuthMethod method = method_name == "pap"    ? ppp::AuthMethod::kPap
                                 : method_name == "chap" ? ppp::AuthMethod::kChapMd5
                                                         : ppp::AuthMethod::kMsChapV2;
  PcapWriter pcap(argv[1]);
  if (!pcap.ok()) return 1;
  std::uint32_t clock = 0;
  const auto write_new = [&](l2tp::testing::Link& link, std::size_t& written) {
    for (; written < link.all_sent.size(); ++written) {
      const auto& w = link.all_sent[written];
      pcap.udp(w.from, w.to, w.bytes, clock += 1000);
    }
  };

  // L2TP: tunnel (with tunnel authentication and hidden AVPs) and one session.
  auto lac_config = l2tp::testing::lac_config("tunnel-secret");
  lac_config.hidden_avps = {l2tp::AvpType::kAssignedSessionId};
  l2tp::testing::Link l2(lac_config, l2tp::testing::lns_config("tunnel-secret"));
  std::size_t written = 0;
  const auto tunnel = l2.dial();
  const auto lac_session = l2.call(tunnel);
  const auto lns_session = l2.lns.last(l2tp::EventType::kSessionUp)->ref;
  write_new(l2, written);

  // PPP over that session: every frame goes through the L2TP data path into the capture.
  ppp::testing::Pair link(ppp::testing::gateway_config({method}),
                          ppp::testing::client_config({method}, "alice", "wonderland"));
  link.users["alice"] = ppp::LocalCredential{std::string("wonderland"), std::nullopt};
  link.tap = [&](const ppp::testing::End& from, const std::vector<std::byte>& frame) {
    const bool from_gateway = &from == &link.gateway;
    auto& side = from_gateway ? l2.lns : l2.lac;
    const auto ref = from_gateway ? lns_session : lac_session;
    std::vector<std::byte> slot(64 + frame.size());
    std::copy(frame.begin(), frame.end(), slot.begin() + 64);
    Packet p{slot.data(), slot.size(), 64, frame.size(), {}};
    if (side.node->encapsulate(ref, p))
      pcap.udp(side.address, p.endpoint, p.bytes(), clock += 1000);
  };
  link.start();
  link.advance(std::chrono::seconds(11));  // one LCP echo each way
  if (!link.client.link->ipcp_open()) {
    std::fprintf(stderr, "PPP did not come up\n");
    return 1;
  }
  // Two ICMP packets through the session, each way once.
  for (bool from_client : {true, false}) {
    auto packet = from_client ? icmp_echo("10.9.0.77", "10.9.0.1", false)
                              : icmp_echo("10.9.0.1", "10.9.0.77", true);
    auto& end = from_client ? link.client : link.gateway;
    std::vector<std::byte> slot(64 + packet.size());
    std::copy(packet.begin(), packet.end(), slot.begin() + 64);
    Packet p{slot.data(), slot.size(), 64, packet.size(), {}};
    if (!end.link->encapsulate(ppp::Protocol::kIpv4, p)) return 1;
    link.tap(end, {p.bytes().begin(), p.bytes().end()});
  }
  // Teardown: PPP terminate, then CDN and StopCCN.
  ppp::LinkOutput out;
  link.client.link->stop("user disconnect", link.now, out);
  link.absorb(link.client, link.gateway, out);
  link.pump();
  l2.close_session(l2.lac, lac_session, l2tp::CdnResult::kAdministrative, "user disconnect");
  l2.close_tunnel(l2.lac, tunnel, l2tp::StopCcnResult::kGeneralRequest, "shutdown");
  write_new(l2, written);
  std::printf("wrote %s: %zu L2TP control datagrams, PPP with %s\n", argv[1], written,
              ppp::auth_method_name(method));
  return 0;
}
