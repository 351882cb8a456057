#include "dns/forwarder.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "base/seeded_rng.hpp"
#include "dns/test_messages.hpp"

namespace tandem::dns {
namespace {

using namespace std::chrono_literals;
using testing::AnswerShape;
using testing::id_of;
using testing::make_answer;
using testing::make_query;
using testing::rcode_of;

const Endpoint kCorp1 = *Endpoint::parse("10.0.0.53:53");
const Endpoint kCorp2 = *Endpoint::parse("10.0.0.54:53");
const Endpoint kPublic1 = *Endpoint::parse("9.9.9.9:53");
const Endpoint kPublic2 = *Endpoint::parse("1.1.1.1:53");
const Endpoint kClient = *Endpoint::parse("10.7.0.2:40000");
const Endpoint kOtherClient = *Endpoint::parse("10.7.0.3:40001");

RulesConfig split_config() {
  RulesConfig c;
  c.groups = {UpstreamGroup{"corp", "tunnel:wg0", {kCorp1, kCorp2}},
              UpstreamGroup{"public", "underlay", {kPublic1, kPublic2}}};
  c.rules = {{"corp.example", "corp"}, {"10.in-addr.arpa", "corp"}};
  c.default_group = "public";
  return c;
}

// A forwarder on a fake clock, and what it asked for.
struct Harness {
  explicit Harness(ForwarderConfig config = {}, RulesConfig rules = split_config())
      : forwarder(std::move(*RuleSet::build(std::move(rules))), rng, config) {}

  void query(const std::vector<std::byte>& message, Transport transport = Transport::kUdp,
             const Endpoint& client = kClient) {
    forwarder.on_client_query(message, client, transport, now, out);
  }
  void answer(UpstreamQueryHandle handle, const std::vector<std::byte>& message) {
    forwarder.on_upstream_response(handle, message, now, out);
  }
  void advance(Duration d) {
    now += d;
    forwarder.on_timer(now, out);
  }
  // The last upstream send, taken out of the output.
  UpstreamSend take_send() {
    EXPECT_FALSE(out.sends.empty());
    if (out.sends.empty()) return {};
    UpstreamSend send = std::move(out.sends.back());
    out.sends.pop_back();
    return send;
  }
  // A TCP client's query whose UDP try came back truncated: the UDP try and the TCP one after it.
  std::pair<UpstreamSend, UpstreamSend> truncated_for_tcp_client(const std::string& name,
                                                                 std::uint16_t id) {
    query(make_query(name, id), Transport::kTcp);
    UpstreamSend udp = take_send();
    answer(udp.handle, make_answer(udp.query, AnswerShape::of(3).truncated()));
    EXPECT_TRUE(out.replies.empty());
    return {std::move(udp), take_send()};
  }
  ClientReply take_reply() {
    EXPECT_EQ(out.replies.size(), 1u);
    if (out.replies.empty()) return {};
    ClientReply reply = std::move(out.replies.front());
    out.replies.erase(out.replies.begin());
    return reply;
  }

  SeededRng rng{42};
  Forwarder forwarder;
  ForwarderOutput out;
  TimePoint now{};
};

TEST(DnsForwarder, PrivateNameGoesToItsGroupThroughItsTunnel) {
  Harness h;
  h.query(make_query("host.corp.example.", 1));
  ASSERT_EQ(h.out.sends.size(), 1u);
  EXPECT_EQ(h.out.sends[0].group, "corp");
  EXPECT_EQ(h.out.sends[0].path, "tunnel:wg0");
  EXPECT_EQ(h.out.sends[0].resolver, kCorp1);
  EXPECT_EQ(h.out.sends[0].transport, Transport::kUdp);
  h.out.clear();
  h.query(make_query("www.example.com.", 2));
  ASSERT_EQ(h.out.sends.size(), 1u);
  EXPECT_EQ(h.out.sends[0].path, "underlay");
  EXPECT_EQ(h.out.sends[0].resolver, kPublic1);
  h.out.clear();
  h.query(make_query("9.8.7.10.in-addr.arpa.", 3, LDNS_RR_TYPE_PTR));
  ASSERT_EQ(h.out.sends.size(), 1u);
  EXPECT_EQ(h.out.sends[0].path, "tunnel:wg0");
}

TEST(DnsForwarder, RandomisesUpstreamIdAndRestoresClientId) {
  Harness h;
  std::set<std::uint16_t> upstream_ids;
  std::set<std::uint64_t> handles;
  for (int i = 0; i < 20; ++i) {
    h.query(make_query("www.example.com.", 0x1234));
    const auto send = h.take_send();
    upstream_ids.insert(id_of(send.query));
    handles.insert(send.handle.value);
    h.answer(send.handle, make_answer(send.query));
    const auto reply = h.take_reply();
    EXPECT_EQ(id_of(reply.message), 0x1234);
    EXPECT_EQ(reply.client, kClient);
    EXPECT_EQ(rcode_of(reply.message), LDNS_RCODE_NOERROR);
  }
  EXPECT_GE(upstream_ids.size(), 18u);  // 20 draws of 16 bits: collisions are rare
  EXPECT_EQ(handles.size(), 20u);       // never an exchange used twice
  EXPECT_EQ(h.forwarder.stats().answered, 20u);
  EXPECT_EQ(h.forwarder.outstanding(), 0u);
}

TEST(DnsForwarder, ForwardsClientQueryAndOptAsIsButForTheId) {
  Harness h;
  const auto query = make_query("a.corp.example.", 0x0a0b, LDNS_RR_TYPE_A, 1232);
  h.query(query);
  const auto send = h.take_send();
  ASSERT_EQ(send.query.size(), query.size());
  EXPECT_TRUE(std::equal(query.begin() + 2, query.end(), send.query.begin() + 2));
  const auto parsed = parse_message(send.query);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->has_opt);
  EXPECT_EQ(parsed->udp_payload_size, 1232);
}

TEST(DnsForwarder, PrivateNameGetsServfailWhenItsGroupFailsNeverTheDefault) {
  Harness h;
  h.query(make_query("db.corp.example.", 77));
  std::vector<UpstreamSend> sends(h.out.sends.begin(), h.out.sends.end());
  h.out.sends.clear();
  for (int i = 0; i < 10 && h.out.replies.empty(); ++i) {
    h.advance(2s);
    sends.insert(sends.end(), h.out.sends.begin(), h.out.sends.end());
    h.out.sends.clear();
  }
  ASSERT_EQ(sends.size(), 2u);
  for (const auto& send : sends) {
    EXPECT_EQ(send.path, "tunnel:wg0");
    EXPECT_TRUE(send.resolver == kCorp1 || send.resolver == kCorp2);
  }
  const auto reply = h.take_reply();
  EXPECT_EQ(rcode_of(reply.message), LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(id_of(reply.message), 77);
  EXPECT_EQ(h.forwarder.stats().timeouts, 2u);
  EXPECT_EQ(h.forwarder.stats().servfail, 1u);
  EXPECT_EQ(h.forwarder.outstanding(), 0u);
  EXPECT_EQ(h.forwarder.next_deadline(), std::nullopt);
}

TEST(DnsForwarder, FailsOverToNextResolverAfterTimeout) {
  ForwarderConfig config;
  config.upstream_timeout = 1500ms;
  Harness h(config);
  h.query(make_query("host.corp.example.", 5));
  const auto first = h.take_send();
  EXPECT_EQ(h.forwarder.next_deadline(), h.now + 1500ms);
  h.advance(1499ms);
  EXPECT_TRUE(h.out.sends.empty());
  EXPECT_TRUE(h.out.closes.empty());
  h.advance(1ms);
  const auto second = h.take_send();
  EXPECT_EQ(second.resolver, kCorp2);
  EXPECT_NE(second.handle, first.handle);
  ASSERT_EQ(h.out.closes.size(), 1u);
  EXPECT_EQ(h.out.closes[0], first.handle);
  EXPECT_EQ(h.forwarder.stats().failovers, 1u);
  h.out.clear();

  // The first resolver answers late, on the exchange already closed: not taken.
  h.answer(first.handle, make_answer(first.query));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_EQ(h.forwarder.stats().late, 1u);

  h.answer(second.handle, make_answer(second.query));
  const auto reply = h.take_reply();
  EXPECT_EQ(id_of(reply.message), 5);
  EXPECT_EQ(h.out.closes.size(), 1u);
}

TEST(DnsForwarder, UpstreamErrorFailsOverAtOnce) {
  Harness h;
  h.query(make_query("www.example.com.", 5));
  const auto first = h.take_send();
  h.forwarder.on_upstream_error(first.handle, h.now, h.out);
  const auto second = h.take_send();
  EXPECT_EQ(second.resolver, kPublic2);
  EXPECT_EQ(h.forwarder.stats().upstream_errors, 1u);
}

TEST(DnsForwarder, UpstreamServfailMovesToNextResolverThenIsRelayed) {
  Harness h;
  h.query(make_query("www.example.com.", 5));
  const auto first = h.take_send();
  h.answer(first.handle,
           make_answer(first.query, AnswerShape::of(0).with_rcode(LDNS_RCODE_SERVFAIL)));
  EXPECT_TRUE(h.out.replies.empty());
  const auto second = h.take_send();
  EXPECT_EQ(second.resolver, kPublic2);
  h.answer(second.handle,
           make_answer(second.query, AnswerShape::of(0).with_rcode(LDNS_RCODE_REFUSED)));
  EXPECT_EQ(rcode_of(h.take_reply().message), LDNS_RCODE_REFUSED);
}

TEST(DnsForwarder, DropsAnswerWithWrongId) {
  Harness h;
  h.query(make_query("host.corp.example.", 5));
  const auto send = h.take_send();
  const auto forged_id = static_cast<std::uint16_t>(id_of(send.query) ^ 1);
  h.answer(send.handle, make_answer(send.query, AnswerShape::of(1).with_id(forged_id)));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_EQ(h.forwarder.stats().bad_id, 1u);
  h.answer(send.handle, make_answer(send.query));
  EXPECT_EQ(id_of(h.take_reply().message), 5);
}

TEST(DnsForwarder, DropsAnswerToAnotherQuestion) {
  Harness h;
  h.query(make_query("host.corp.example.", 5));
  const auto send = h.take_send();
  auto other = make_query("evil.example.", id_of(send.query));
  h.answer(send.handle, make_answer(other));
  auto other_type = make_query("host.corp.example.", id_of(send.query), LDNS_RR_TYPE_AAAA);
  h.answer(send.handle, make_answer(other_type));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_EQ(h.forwarder.stats().wrong_question, 2u);
  EXPECT_EQ(h.forwarder.outstanding(), 1u);
}

TEST(DnsForwarder, NeverDeliversAnAnswerOnAnotherQuerysExchange) {
  Harness h;
  h.query(make_query("secret.corp.example.", 1), Transport::kUdp, kClient);
  const auto corp = h.take_send();
  h.query(make_query("www.example.com.", 2), Transport::kUdp, kOtherClient);
  const auto pub = h.take_send();
  // The public answer, ID and all, arriving on the private query's exchange, and the reverse.
  h.answer(corp.handle, make_answer(pub.query));
  h.answer(pub.handle, make_answer(corp.query));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_EQ(h.forwarder.stats().bad_id + h.forwarder.stats().wrong_question, 2u);

  h.answer(pub.handle, make_answer(pub.query));
  const auto to_other = h.take_reply();
  EXPECT_EQ(to_other.client, kOtherClient);
  EXPECT_EQ(id_of(to_other.message), 2);
  h.answer(corp.handle, make_answer(corp.query));
  const auto to_client = h.take_reply();
  EXPECT_EQ(to_client.client, kClient);
  EXPECT_EQ(id_of(to_client.message), 1);
}

TEST(DnsForwarder, DropsMalformedAndUnsolicitedAnswers) {
  Harness h;
  h.query(make_query("www.example.com.", 5));
  const auto send = h.take_send();
  h.answer(send.handle, std::vector<std::byte>(5));
  h.answer(send.handle, send.query);  // QR clear: a query, not an answer
  h.answer(UpstreamQueryHandle{999}, make_answer(send.query));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_EQ(h.forwarder.stats().malformed, 2u);
  EXPECT_EQ(h.forwarder.stats().late, 1u);
}

TEST(DnsForwarder, RelaysTruncatedUdpAnswerToUdpClient) {
  Harness h;
  h.query(make_query("big.example.com.", 9));
  const auto send = h.take_send();
  h.answer(send.handle, make_answer(send.query, AnswerShape::of(3).truncated()));
  const auto reply = h.take_reply();
  EXPECT_EQ(reply.transport, Transport::kUdp);
  const auto parsed = parse_message(reply.message);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->header.tc);
  EXPECT_EQ(parsed->header.id, 9);
  EXPECT_TRUE(h.out.sends.empty());
  EXPECT_EQ(h.forwarder.stats().truncated_relayed, 1u);
}

TEST(DnsForwarder, RetriesOverTcpWhenTcpClientGetsTruncatedUdpAnswer) {
  Harness h;
  const auto [udp, tcp] = h.truncated_for_tcp_client("big.corp.example.", 9);
  EXPECT_EQ(udp.transport, Transport::kUdp);
  EXPECT_EQ(tcp.transport, Transport::kTcp);
  EXPECT_EQ(tcp.resolver, kCorp1);
  EXPECT_EQ(tcp.path, "tunnel:wg0");
  EXPECT_NE(tcp.handle, udp.handle);
  ASSERT_EQ(h.out.closes.size(), 1u);
  EXPECT_EQ(h.out.closes[0], udp.handle);
  EXPECT_EQ(h.forwarder.stats().tcp_retries, 1u);

  const auto big = make_answer(tcp.query, AnswerShape::of(100));
  ASSERT_GT(big.size(), 1000u);
  h.answer(tcp.handle, big);
  const auto reply = h.take_reply();
  EXPECT_EQ(reply.transport, Transport::kTcp);
  EXPECT_EQ(reply.message.size(), big.size());
  EXPECT_EQ(id_of(reply.message), 9);
  EXPECT_FALSE(parse_message(reply.message)->header.tc);
}

TEST(DnsForwarder, CutsLargeAnswerForUdpClientWithoutEdns) {
  Harness h;
  h.query(make_query("many.example.com.", 11));
  const auto send = h.take_send();
  const auto big = make_answer(send.query, AnswerShape::of(60));
  ASSERT_GT(big.size(), kMaxUdpSizeWithoutEdns);
  h.answer(send.handle, big);
  const auto reply = h.take_reply();
  ASSERT_LE(reply.message.size(), kMaxUdpSizeWithoutEdns);
  const auto parsed = parse_message(reply.message);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->header.tc);
  EXPECT_EQ(parsed->header.id, 11);
  EXPECT_EQ(parsed->header.ancount, 0);
  EXPECT_EQ(parsed->question.name, parse_message(send.query)->question.name);
  EXPECT_EQ(h.forwarder.stats().truncated_to_client, 1u);
}

TEST(DnsForwarder, PassesLargeAnswerWithinTheSizeTheEdnsClientOffered) {
  Harness h;
  h.query(make_query("many.example.com.", 11, LDNS_RR_TYPE_A, 1232));
  const auto send = h.take_send();
  const auto big = make_answer(send.query, AnswerShape::of(50));
  ASSERT_GT(big.size(), kMaxUdpSizeWithoutEdns);
  ASSERT_LE(big.size(), 1232u);
  h.answer(send.handle, big);
  const auto reply = h.take_reply();
  EXPECT_EQ(reply.message.size(), big.size());
  EXPECT_FALSE(parse_message(reply.message)->header.tc);

  h.query(make_query("many.example.com.", 12, LDNS_RR_TYPE_A, 1232));
  const auto again = h.take_send();
  h.answer(again.handle, make_answer(again.query, AnswerShape::of(120)));
  EXPECT_TRUE(parse_message(h.take_reply().message)->header.tc);
}

TEST(DnsForwarder, PassesLargeAnswerToTcpClientWithoutEdns) {
  Harness h;
  h.query(make_query("many.example.com.", 13), Transport::kTcp);
  const auto send = h.take_send();
  const auto big = make_answer(send.query, AnswerShape::of(60));
  h.answer(send.handle, big);
  EXPECT_EQ(h.take_reply().message.size(), big.size());
}

TEST(DnsForwarder, RefusesBeyondOutstandingLimit) {
  ForwarderConfig config;
  config.max_outstanding = 2;
  Harness h(config);
  h.query(make_query("a.example.com.", 1));
  h.query(make_query("b.example.com.", 2));
  EXPECT_EQ(h.out.sends.size(), 2u);
  h.query(make_query("c.example.com.", 3));
  EXPECT_EQ(h.out.sends.size(), 2u);
  const auto reply = h.take_reply();
  EXPECT_EQ(rcode_of(reply.message), LDNS_RCODE_REFUSED);
  EXPECT_EQ(id_of(reply.message), 3);
  EXPECT_EQ(h.forwarder.stats().over_limit, 1u);

  const auto send = h.take_send();
  h.answer(send.handle, make_answer(send.query));
  h.out.replies.clear();
  h.query(make_query("c.example.com.", 4));
  EXPECT_EQ(h.out.sends.size(), 2u);
}

TEST(DnsForwarder, RefusesNameNoRuleTakesWithoutDefault) {
  auto rules = split_config();
  rules.default_group.reset();
  Harness h({}, rules);
  h.query(make_query("www.example.com.", 6));
  EXPECT_TRUE(h.out.sends.empty());
  EXPECT_EQ(rcode_of(h.take_reply().message), LDNS_RCODE_REFUSED);
  EXPECT_EQ(h.forwarder.stats().no_rule, 1u);
  h.query(make_query("a.corp.example.", 7));
  EXPECT_EQ(h.out.sends.size(), 1u);
}

TEST(DnsForwarder, AnswersOtherOpcodesNotimpAndBadQueriesFormerr) {
  Harness h;
  auto notify = make_query("a.example.com.", 8);
  notify[2] = std::byte{0x20};  // opcode NOTIFY (4)
  h.query(notify);
  const auto notimp = parse_header(h.take_reply().message);
  ASSERT_TRUE(notimp.ok());
  EXPECT_EQ(notimp->rcode, static_cast<std::uint8_t>(Rcode::kNotImp));
  EXPECT_EQ(notimp->id, 8);

  auto two_questions = make_query("a.example.com.", 9);
  two_questions[5] = std::byte{2};
  h.query(two_questions);
  const auto formerr = parse_header(h.take_reply().message);
  ASSERT_TRUE(formerr.ok());
  EXPECT_EQ(formerr->rcode, static_cast<std::uint8_t>(Rcode::kFormErr));
  EXPECT_EQ(formerr->id, 9);
  EXPECT_TRUE(h.out.sends.empty());
  EXPECT_EQ(h.forwarder.stats().not_implemented, 1u);
  EXPECT_EQ(h.forwarder.stats().malformed, 1u);
}

TEST(DnsForwarder, NeverAnswersAResponseOrARunt) {
  Harness h;
  h.query(make_answer(make_query("a.example.com.", 8)));
  h.query(std::vector<std::byte>(3));
  EXPECT_TRUE(h.out.replies.empty());
  EXPECT_TRUE(h.out.sends.empty());
  EXPECT_EQ(h.forwarder.stats().malformed, 2u);
}

TEST(DnsForwarder, TcpRetryKeepsTcpOnFailover) {
  Harness h;
  const auto tcp = h.truncated_for_tcp_client("big.corp.example.", 9).second;
  EXPECT_EQ(tcp.resolver, kCorp1);
  h.advance(2s);
  const auto next = h.take_send();
  EXPECT_EQ(next.resolver, kCorp2);
  EXPECT_EQ(next.transport, Transport::kTcp);
}

// Many queries, private and public, from many clients, under random answers, forgeries (another
// query's answer on an exchange), upstream errors and timeouts: every try of a private name goes
// through its tunnel to its group's resolvers, every client gets exactly one reply, with its own
// ID and its own question, and nothing is left in flight.
TEST(DnsForwarder, RandomTrafficKeepsEveryAnswerWithItsQueryAndEveryPrivateNameInItsTunnel) {
  Harness h;
  std::mt19937 random(7);
  struct Asked {
    Endpoint client;
    std::uint16_t id = 0;
    bool is_private = false;
    int replies = 0;
  };
  std::map<std::string, Asked> asked;  // by question name, one per query
  std::map<std::uint64_t, UpstreamSend> live;
  int next = 0;

  const auto absorb = [&] {
    for (auto& send : h.out.sends) {
      const auto parsed = parse_message(send.query);
      ASSERT_TRUE(parsed.ok());
      const Asked& a = asked.at(parsed->question.name);
      if (a.is_private) {
        EXPECT_EQ(send.path, "tunnel:wg0");
        EXPECT_TRUE(send.resolver == kCorp1 || send.resolver == kCorp2);
      } else {
        EXPECT_EQ(send.path, "underlay");
      }
      live.emplace(send.handle.value, std::move(send));
    }
    for (const auto& handle : h.out.closes) live.erase(handle.value);
    for (const auto& reply : h.out.replies) {
      const auto parsed = parse_message(reply.message);
      ASSERT_TRUE(parsed.ok());
      Asked& a = asked.at(parsed->question.name);
      EXPECT_EQ(reply.client, a.client);
      EXPECT_EQ(parsed->header.id, a.id);
      ++a.replies;
    }
    h.out.clear();
  };
  const auto any_live = [&]() -> const UpstreamSend& {
    auto it = live.begin();
    std::advance(it, static_cast<std::ptrdiff_t>(random() % live.size()));
    return it->second;
  };

  for (int step = 0; step < 3000; ++step) {
    const auto action = static_cast<unsigned>(random() % 10);
    if (action < 4 || live.empty()) {
      const bool is_private = random() % 2 == 0;
      const std::string text =
          "h" + std::to_string(next) + (is_private ? ".corp.example." : ".example.com.");
      const Asked a{Endpoint{IpAddress::v4({10, 7, 0, 2}), static_cast<std::uint16_t>(next)},
                    static_cast<std::uint16_t>(random()), is_private, 0};
      asked[*name_from_text(text)] = a;
      h.query(make_query(text, a.id), Transport::kUdp, a.client);
      ++next;
    } else if (action < 6) {
      const UpstreamSend& send = any_live();
      h.answer(send.handle, make_answer(send.query));
    } else if (action < 8) {
      const UpstreamSend& send = any_live();
      const UpstreamSend& other = any_live();
      h.answer(send.handle, make_answer(other.query));
    } else if (action < 9) {
      h.forwarder.on_upstream_error(any_live().handle, h.now, h.out);
    } else {
      h.advance(std::chrono::milliseconds(random() % 2500));
    }
    absorb();
  }
  for (int i = 0; i < 10 && h.forwarder.next_deadline(); ++i) {
    h.advance(*h.forwarder.next_deadline() - h.now);
    absorb();
  }
  EXPECT_EQ(h.forwarder.outstanding(), 0u);
  EXPECT_TRUE(live.empty());
  for (const auto& [name, a] : asked) EXPECT_EQ(a.replies, 1) << name_to_text(name);
  EXPECT_GT(h.forwarder.stats().answered, 0u);
  EXPECT_GT(h.forwarder.stats().servfail, 0u);
  EXPECT_GT(h.forwarder.stats().bad_id + h.forwarder.stats().wrong_question, 0u);
}

}  // namespace
}  // namespace tandem::dns
