// Feeds arbitrary bytes to the DNS message parser and to the forwarder, both as a client's query
// and as an upstream's answer on a live exchange (once as it came, once with the exchange's ID
// written in, so it reaches the question check, TC handling and truncation): nothing may crash,
// and every query in flight is still answered or timed out afterwards.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "base/seeded_rng.hpp"
#include "dns/forwarder.hpp"

using namespace tandem;
using namespace tandem::dns;

namespace {

RuleSet make_rules() {
  RulesConfig c;
  c.groups = {UpstreamGroup{"corp", "tunnel:wg0", {*Endpoint::parse("10.0.0.53:53")}},
              UpstreamGroup{"public", "underlay", {*Endpoint::parse("9.9.9.9:53")}}};
  c.rules = {{"corp.example", "corp"}};
  c.default_group = "public";
  return std::move(*RuleSet::build(std::move(c)));
}

// "a.corp.example" A IN, with an OPT offering 1232 bytes.
const std::vector<std::byte> kQuery = [] {
  // clang-format off
  const std::uint8_t q[] = {
      0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,                     // header
      1, 'a', 4, 'c', 'o', 'r', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,  // name
      0, 1, 0, 1,                                                          // A IN
      0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};                             // OPT
  // clang-format on
  std::vector<std::byte> out;
  for (const auto b : q) out.push_back(std::byte{b});
  return out;
}();

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1 || size > 65535) return 0;
  const std::uint8_t mode = data[0];
  const ByteView message(reinterpret_cast<const std::byte*>(data + 1), size - 1);

  const auto parsed = parse_message(message);
  if (parsed) {
    (void)truncate_to_question(message, *parsed);
    (void)make_error_reply(message, &*parsed, Rcode::kServFail);
    if (question_end(message) != parsed->question_end) std::abort();
  }

  SeededRng rng(mode);
  Forwarder forwarder(make_rules(), rng);
  ForwarderOutput out;
  TimePoint now{};
  const Transport transport = (mode & 1) != 0 ? Transport::kTcp : Transport::kUdp;
  const Endpoint client = *Endpoint::parse("10.7.0.2:40000");
  forwarder.on_client_query(message, client, transport, now, out);

  // Make kQuery's name match the fuzzed answer's question when it has one, so the answer can
  // pass the question check; otherwise ask a fixed question.
  std::vector<std::byte> query = kQuery;
  if (parsed && (mode & 2) != 0) {
    query.assign(message.begin(),
                 message.begin() + static_cast<std::ptrdiff_t>(parsed->question_end));
    query[2] = std::byte{0x01};  // a recursive QUERY
    query[3] = std::byte{0x00};
    for (std::size_t i = 6; i < 12; ++i) query[i] = std::byte{0};
  }
  forwarder.on_client_query(query, client, transport, now, out);
  for (std::size_t i = 0; i < out.sends.size(); ++i) {
    const UpstreamSend send = out.sends[i];
    forwarder.on_upstream_response(send.handle, message, now, out);
    if (message.size() >= 2 && send.query.size() >= 2) {
      std::vector<std::byte> with_id(message.begin(), message.end());
      with_id[0] = send.query[0];
      with_id[1] = send.query[1];
      forwarder.on_upstream_response(send.handle, with_id, now, out);
    }
    if (out.sends.size() > 16) break;
  }
  for (int i = 0; i < 8 && forwarder.next_deadline(); ++i) {
    now = *forwarder.next_deadline();
    forwarder.on_timer(now, out);
  }
  if (forwarder.outstanding() != 0) std::abort();
  return 0;
}
