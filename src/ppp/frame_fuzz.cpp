// Feeds arbitrary PPP frames to both ends of an established link (and to a fresh link still in
// LCP negotiation): every PPP decoder — framing, LCP, PAP, CHAP, MS-CHAPv2, IPCP, IPV6CP — must
// reject garbage without crashing.
#include <cstddef>
#include <cstdint>

#include "ppp/test_pair.hpp"

using namespace tandem;
using namespace tandem::ppp;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 2048) return 0;
  const std::uint8_t mode = data[0];
  const ByteView frame(reinterpret_cast<const std::byte*>(data + 1), size - 1);
  static const AuthMethod kMethods[] = {AuthMethod::kPap, AuthMethod::kChapMd5,
                                        AuthMethod::kMsChapV2};
  testing::Pair p(
      testing::gateway_config({kMethods[mode % 3]}),
      testing::client_config({AuthMethod::kPap, AuthMethod::kChapMd5, AuthMethod::kMsChapV2},
                             "alice", "wonderland"));
  p.users["alice"] = LocalCredential{std::string("wonderland"), std::nullopt};
  if ((mode & 4) != 0) p.start();  // otherwise the frame meets a link that never started
  testing::End& to = (mode & 8) != 0 ? p.gateway : p.client;
  LinkOutput out;
  if ((mode & 16) != 0 && (mode & 4) == 0) to.link->start(p.now, out);
  to.link->on_frame(frame, p.now, out);
  p.absorb(to, &to == &p.gateway ? p.client : p.gateway, out);
  p.pump();
  p.advance(std::chrono::seconds(15), std::chrono::seconds(3));
  return 0;
}
