// The RADIUS client engine against fake servers built with the codec, on a fake clock: PAP, CHAP
// and MS-CHAPv2 verdicts and the attributes taken from an accept, retransmission, failover and
// hold-down, identifier exhaustion, every reason a response is dropped, Message-Authenticator
// required and opted out of, and accounting.
#include "auth/radius_client.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "base/seeded_rng.hpp"
#include "crypto/mschap.hpp"

namespace tandem::auth {
namespace {

using radius::AttributeType;
using radius::Code;
using std::chrono::seconds;

const Endpoint kServerA = *Endpoint::parse("192.0.2.1:1812");
const Endpoint kServerB = *Endpoint::parse("192.0.2.2:1812");
const Endpoint kAcctA = *Endpoint::parse("192.0.2.1:1813");
const Endpoint kAcctB = *Endpoint::parse("192.0.2.2:1813");

// A RADIUS server that knows "alice" / "wonderland", made of the codec.
struct FakeServer {
  std::string secret = "s3cret";
  bool up = true;
  bool sign_message_authenticator = true;
  bool checks_request_message_authenticator = true;  // false: a server from before BlastRADIUS
  std::optional<std::string> message_authenticator_secret;  // another key: a bad one
  std::optional<Code> force_code;                           // answer this whatever was asked
  std::function<void(radius::Packet&)> edit;                // touch the response before signing
  std::vector<radius::Packet> received;
  std::vector<std::vector<std::byte>> received_bytes;

  bool password_ok(const radius::Packet& q) const {
    const std::string password = "wonderland";
    if (const auto* a = q.find(AttributeType::kUserPassword))
      return radius::unhide_user_password(a->value, secret, q.authenticator) == password;
    if (const auto* a = q.find(AttributeType::kChapPassword)) {
      const auto* challenge = q.find(AttributeType::kChapChallenge);
      if (a->value.size() != 17 || !challenge) return false;
      const auto expected = crypto::chap_md5_response(std::to_integer<std::uint8_t>(a->value[0]),
                                                      password, challenge->value);
      return std::equal(expected.begin(), expected.end(), a->value.begin() + 1);
    }
    return false;
  }

  // MS-CHAPv2: the MS-CHAP2-Success value when the response is right.
  std::optional<std::vector<std::byte>> ms_chap2_success(const radius::Packet& q) const {
    const auto challenge = q.find_vendor(radius::kVendorMicrosoft, 11);
    const auto response = q.find_vendor(radius::kVendorMicrosoft, 25);
    if (!challenge || !response || challenge->size() != 16 || response->size() != 50)
      return std::nullopt;
    crypto::MsChapChallenge auth{}, peer{};
    crypto::NtResponse nt{};
    std::copy_n(challenge->begin(), 16, auth.begin());
    std::copy_n(response->begin() + 2, 16, peer.begin());
    std::copy_n(response->begin() + 26, 24, nt.begin());
    const std::string user = radius::text_value(q.find(AttributeType::kUserName)->value);
    const auto hash = crypto::nt_password_hash("wonderland");
    const auto expected = crypto::generate_nt_response(auth, peer, user, *hash);
    if (!expected || *expected != nt) return std::nullopt;
    const auto s = crypto::generate_authenticator_response(*hash, nt, peer, auth, user);
    std::vector<std::byte> v{(*response)[0]};
    const auto text = as_bytes(*s);
    v.insert(v.end(), text.begin(), text.end());
    return v;
  }

  std::optional<std::vector<std::byte>> answer(ByteView request) {
    if (!up) return std::nullopt;
    auto q = radius::decode(request);
    if (!q) return std::nullopt;
    received.push_back(*q);
    received_bytes.emplace_back(request.begin(), request.end());
    radius::Packet r;
    r.identifier = q->identifier;
    if (q->code == Code::kAccountingRequest) {
      if (!radius::accounting_request_valid(request, secret)) return std::nullopt;
      r.code = Code::kAccountingResponse;
    } else {
      // FreeRADIUS's require_message_authenticator = yes.
      if (checks_request_message_authenticator &&
          radius::check_message_authenticator(request, secret, std::nullopt) !=
              radius::MessageAuthenticatorCheck::kValid)
        return std::nullopt;
      const auto success = ms_chap2_success(*q);
      r.code = password_ok(*q) || success ? Code::kAccessAccept : Code::kAccessReject;
      if (sign_message_authenticator) r.attributes.push_back(radius::empty_message_authenticator());
      if (r.code == Code::kAccessAccept) {
        r.attributes.push_back(radius::address_attribute(AttributeType::kFramedIpAddress,
                                                         *IpAddress::parse("10.9.0.5")));
        r.attributes.push_back(radius::integer_attribute(AttributeType::kSessionTimeout, 3600));
        r.attributes.push_back(radius::integer_attribute(AttributeType::kIdleTimeout, 600));
        r.attributes.push_back(radius::string_attribute(AttributeType::kClass, "gold"));
        r.attributes.push_back(radius::string_attribute(AttributeType::kClass, "eu"));
        r.attributes.push_back(radius::string_attribute(AttributeType::kReplyMessage, "hello"));
        if (success)
          r.attributes.push_back(radius::vendor_attribute(radius::kVendorMicrosoft, 26, *success));
      } else {
        r.attributes.push_back(radius::string_attribute(AttributeType::kReplyMessage, "go\naway"));
      }
    }
    if (force_code) r.code = *force_code;
    if (edit) edit(r);
    auto bytes = radius::encode(r).value();
    if (message_authenticator_secret)
      radius::sign_message_authenticator(bytes, *message_authenticator_secret, q->authenticator);
    else
      radius::sign_message_authenticator(bytes, secret, q->authenticator);
    const auto ra = radius::response_authenticator(bytes, q->authenticator, secret);
    std::copy(ra.begin(), ra.end(), bytes.begin() + 4);
    return bytes;
  }
};

RadiusServer server(std::string name, Endpoint endpoint) {
  RadiusServer s;
  s.name = std::move(name);
  s.endpoint = endpoint;
  s.secret = "s3cret";
  s.timeout = seconds(1);
  s.retries = 2;
  return s;
}

AccessRequestInput pap(std::string password = "wonderland") {
  return {"alice", PapCredentials{std::move(password)}, "198.51.100.7"};
}

class RadiusClientTest : public ::testing::Test {
 protected:
  RadiusClientTest() {
    settings_.authentication = {server("a", kServerA), server("b", kServerB)};
    settings_.accounting = {server("acct-a", kAcctA), server("acct-b", kAcctB)};
    settings_.dead_time = seconds(30);
    settings_.nas_ip_address = IpAddress::parse("192.0.2.100");
  }
  RadiusClient& client() {
    if (!client_) client_.emplace(settings_, rng_);
    return *client_;
  }
  FakeServer* fake_at(const Endpoint& e) {
    if (e == kServerA || e == kAcctA) return &a_;
    if (e == kServerB || e == kAcctB) return &b_;
    return nullptr;
  }
  // Hands every datagram sent so far to its server and its answer back to the client.
  void deliver() {
    while (!out_.datagrams.empty()) {
      auto datagrams = std::move(out_.datagrams);
      out_.datagrams.clear();
      for (const auto& d : datagrams) {
        ++sent_to_[d.server];
        if (auto answer = fake_at(d.to)->answer(d.bytes))
          client().on_datagram(*answer, d.to, now_, out_);
      }
    }
  }
  // Runs the clock until nothing is outstanding, delivering as it goes.
  void run() {
    deliver();
    while (client().next_deadline() != TimePoint::max()) {
      now_ = client().next_deadline();
      client().on_timer(now_, out_);
      deliver();
    }
  }
  AccessResult access(const AccessRequestInput& in) {
    out_.access.clear();
    const RequestId id = client().submit_access(in, now_, out_);
    run();
    EXPECT_EQ(out_.access.size(), 1u);
    EXPECT_EQ(out_.access.at(0).id, id);
    return out_.access.at(0);
  }
  std::uint64_t dropped(ResponseDrop d) { return client().stats().dropped(d); }

  RadiusClientSettings settings_;
  SeededRng rng_{7};
  std::optional<RadiusClient> client_;
  FakeServer a_, b_;
  TimePoint now_{};
  RadiusOutput out_;
  std::map<std::string, int> sent_to_;
};

TEST_F(RadiusClientTest, PapAcceptCarriesTheHonouredAttributes) {
  const auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kAccepted) << r.reason;
  EXPECT_EQ(r.server, "a");
  EXPECT_EQ(r.framed_ip_address->to_string(), "10.9.0.5");
  EXPECT_EQ(r.session_timeout, seconds(3600));
  EXPECT_EQ(r.idle_timeout, seconds(600));
  ASSERT_EQ(r.classes.size(), 2u);
  EXPECT_EQ(radius::text_value(r.classes[1]), "eu");
  EXPECT_EQ(r.reply_messages, std::vector<std::string>{"hello"});
  // The request: Message-Authenticator first, the NAS described as RFC 2865 asks.
  const auto& q = a_.received.at(0);
  EXPECT_EQ(q.attributes.at(0).type, AttributeType::kMessageAuthenticator);
  EXPECT_EQ(radius::integer_value(*q.find(AttributeType::kNasPortType)), 5u);
  EXPECT_EQ(radius::integer_value(*q.find(AttributeType::kServiceType)), 2u);
  EXPECT_EQ(radius::integer_value(*q.find(AttributeType::kFramedProtocol)), 1u);
  EXPECT_EQ(radius::text_value(q.find(AttributeType::kNasIdentifier)->value), "tandem");
  EXPECT_EQ(radius::address_value(*q.find(AttributeType::kNasIpAddress))->to_string(),
            "192.0.2.100");
  EXPECT_EQ(radius::text_value(q.find(AttributeType::kCallingStationId)->value), "198.51.100.7");
  EXPECT_EQ(client().outstanding(), 0u);
}

TEST_F(RadiusClientTest, RejectCarriesTheReplyMessagePrintable) {
  const auto r = access(pap("guess"));
  EXPECT_EQ(r.outcome, AccessOutcome::kRejected);
  EXPECT_EQ(r.reason, "Access-Reject: go?away");
  EXPECT_EQ(client().stats().rejects, 1u);
}

TEST_F(RadiusClientTest, ChapIsSentAsChapPasswordAndChallenge) {
  ChapCredentials chap;
  chap.identifier = 42;
  chap.challenge = std::vector<std::byte>(16, std::byte{0x5a});
  const auto good = crypto::chap_md5_response(42, "wonderland", chap.challenge);
  std::copy(good.begin(), good.end(), chap.response.begin());
  EXPECT_EQ(access({"alice", chap, ""}).outcome, AccessOutcome::kAccepted);
  chap.response[0] ^= std::byte{1};
  EXPECT_EQ(access({"alice", chap, ""}).outcome, AccessOutcome::kRejected);
}

MsChapV2Credentials mschapv2(std::string_view password) {
  MsChapV2Credentials ms;
  ms.identifier = 9;
  ms.authenticator_challenge.fill(std::byte{0x11});
  ms.peer_challenge.fill(std::byte{0x22});
  ms.nt_response = *crypto::generate_nt_response(ms.authenticator_challenge, ms.peer_challenge,
                                                 "alice", password);
  return ms;
}

TEST_F(RadiusClientTest, MsChapV2AcceptPassesTheAuthenticatorResponseThrough) {
  if (!crypto::nt_password_hash("x")) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
  const auto ms = mschapv2("wonderland");
  const auto r = access({"alice", ms, ""});
  ASSERT_EQ(r.outcome, AccessOutcome::kAccepted) << r.reason;
  EXPECT_TRUE(crypto::check_authenticator_response(
      *crypto::nt_password_hash("wonderland"), ms.nt_response, ms.peer_challenge,
      ms.authenticator_challenge, "alice", r.ms_chap2_success));
  EXPECT_EQ(access({"alice", mschapv2("guess"), ""}).outcome, AccessOutcome::kRejected);
}

TEST_F(RadiusClientTest, MsChapV2AcceptWithoutAWellFormedSuccessIsRefused) {
  if (!crypto::nt_password_hash("x")) GTEST_SKIP() << "no MD4 (OpenSSL legacy provider)";
  const auto ms = mschapv2("wonderland");
  a_.edit = [](radius::Packet& response) {  // another ident
    for (auto& a : response.attributes)
      if (a.type == AttributeType::kVendorSpecific) a.value[6] = std::byte{10};
  };
  auto r = access({"alice", ms, ""});
  EXPECT_EQ(r.outcome, AccessOutcome::kRejected);
  EXPECT_NE(r.reason.find("malformed MS-CHAP2-Success"), std::string::npos) << r.reason;
  a_.edit = [](radius::Packet& response) {
    std::erase_if(response.attributes,
                  [](const auto& a) { return a.type == AttributeType::kVendorSpecific; });
  };
  r = access({"alice", ms, ""});
  EXPECT_EQ(r.outcome, AccessOutcome::kRejected);
  EXPECT_NE(r.reason.find("without MS-CHAP2-Success"), std::string::npos) << r.reason;
}

TEST_F(RadiusClientTest, AccessChallengeIsTreatedAsReject) {
  a_.force_code = Code::kAccessChallenge;
  const auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kRejected);
  EXPECT_NE(r.reason.find("treated as Access-Reject"), std::string::npos);
  EXPECT_EQ(client().stats().challenges, 1u);
}

TEST_F(RadiusClientTest, RetransmitsIdenticallyThenFailsOverThenHoldsTheDeadServerDown) {
  a_.up = false;
  out_ = {};
  client().submit_access(pap(), now_, out_);
  ASSERT_EQ(out_.datagrams.size(), 1u);
  const auto first = out_.datagrams[0].bytes;
  deliver();
  for (int i = 1; i <= 2; ++i) {  // two retransmissions a second apart, identical
    now_ += seconds(1);
    client().on_timer(now_, out_);
    ASSERT_EQ(out_.datagrams.size(), 1u);
    EXPECT_EQ(out_.datagrams[0].server, "a");
    EXPECT_EQ(out_.datagrams[0].bytes, first);
    deliver();
  }
  EXPECT_EQ(client().next_deadline(), now_ + seconds(1));
  now_ += seconds(1);
  client().on_timer(now_, out_);  // a gives up: on to b
  ASSERT_EQ(out_.datagrams.size(), 1u);
  EXPECT_EQ(out_.datagrams[0].server, "b");
  ASSERT_EQ(out_.events.size(), 1u);
  EXPECT_EQ(out_.events[0].kind, RadiusEvent::Kind::kServerDown);
  EXPECT_EQ(out_.events[0].server, "a");
  deliver();
  ASSERT_EQ(out_.access.size(), 1u);
  EXPECT_EQ(out_.access[0].outcome, AccessOutcome::kAccepted);
  EXPECT_EQ(out_.access[0].server, "b");
  EXPECT_EQ(client().stats().retransmissions, 2u);
  EXPECT_EQ(client().stats().failovers, 1u);

  // Held down: the next request goes straight to b, though a is back.
  a_.up = true;
  sent_to_.clear();
  now_ += seconds(10);
  EXPECT_EQ(access(pap()).server, "b");
  EXPECT_EQ(sent_to_["a"], 0);
  // After the hold-down, a is first again.
  now_ += seconds(30);
  EXPECT_EQ(access(pap()).server, "a");
}

TEST_F(RadiusClientTest, OneLostRequestDoesNotHoldDownAServerThatAnswersOthers) {
  out_ = {};
  client().submit_access(pap(), now_, out_);
  client().submit_access(pap(), now_, out_);
  const auto answered = out_.datagrams.at(0);
  out_.datagrams.clear();
  now_ += std::chrono::milliseconds(500);
  client().on_datagram(*a_.answer(answered.bytes), kServerA, now_, out_);
  ASSERT_EQ(out_.access.size(), 1u);
  for (int i = 0; i < 3; ++i) {  // the other's tries are all lost: on to b
    out_.datagrams.clear();
    now_ = client().next_deadline();
    client().on_timer(now_, out_);
  }
  ASSERT_EQ(out_.datagrams.size(), 1u);
  EXPECT_EQ(out_.datagrams[0].server, "b");
  EXPECT_TRUE(out_.events.empty());  // no kServerDown
  deliver();
  EXPECT_EQ(out_.access.size(), 2u);
  EXPECT_EQ(access(pap()).server, "a");
}

TEST_F(RadiusClientTest, FailsNamingEveryServerWhenNoneAnswers) {
  a_.up = b_.up = false;
  const TimePoint start = now_;
  const auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_EQ(r.reason.find("no answer from a (3 tries), b (3 tries) (servers down or unreachable, "
                          "or dropping requests signed with another shared secret)"),
            0u)
      << r.reason;
  EXPECT_EQ(now_ - start, seconds(6));
  EXPECT_EQ(client().stats().access_failures, 1u);
  // Both held down: the hold-down is advice, so the next request still tries them in order.
  a_.up = true;
  EXPECT_EQ(access(pap()).server, "a");
}

TEST_F(RadiusClientTest, WrongSharedSecretIsNamedInTheFailure) {
  a_.secret = b_.secret = "not-ours";
  a_.checks_request_message_authenticator = b_.checks_request_message_authenticator = false;
  const auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_NE(r.reason.find("shared secret mismatch?"), std::string::npos) << r.reason;
  EXPECT_EQ(dropped(ResponseDrop::kBadAuthenticator), 6u);  // each try at each server
}

TEST_F(RadiusClientTest, MessageAuthenticatorIsRequiredUnlessTheServerOptsOut) {
  a_.sign_message_authenticator = b_.sign_message_authenticator = false;
  auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_NE(r.reason.find("without the Message-Authenticator"), std::string::npos) << r.reason;
  EXPECT_EQ(dropped(ResponseDrop::kMissingMessageAuthenticator), 6u);

  settings_.authentication[0].require_message_authenticator = false;
  client_.reset();
  r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kAccepted) << r.reason;
  EXPECT_EQ(r.server, "a");
}

TEST_F(RadiusClientTest, WrongMessageAuthenticatorIsDroppedEvenWhenOptedOut) {
  settings_.authentication[0].require_message_authenticator = false;
  a_.message_authenticator_secret = "forged";
  b_.up = false;
  const auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_NE(r.reason.find("shared secret mismatch?"), std::string::npos) << r.reason;
  EXPECT_EQ(dropped(ResponseDrop::kBadMessageAuthenticator), 3u);
}

TEST_F(RadiusClientTest, DropsResponsesFromElsewhereOrForNothing) {
  out_ = {};
  client().submit_access(pap(), now_, out_);
  const auto request = out_.datagrams.at(0);
  out_.datagrams.clear();
  const auto answer = *a_.answer(request.bytes);

  client().on_datagram(answer, *Endpoint::parse("192.0.2.1:1645"), now_, out_);
  EXPECT_EQ(dropped(ResponseDrop::kUnknownServer), 1u);
  client().on_datagram(answer, kServerB, now_, out_);  // b has nothing outstanding
  EXPECT_EQ(dropped(ResponseDrop::kUnknownId), 1u);
  client().on_datagram(ByteView(answer).first(19), kServerA, now_, out_);
  EXPECT_EQ(dropped(ResponseDrop::kMalformed), 1u);
  client().on_datagram(request.bytes, kServerA, now_, out_);  // an Access-Request back at us
  EXPECT_EQ(dropped(ResponseDrop::kUnexpectedCode), 1u);
  auto other_id = answer;
  other_id[1] = static_cast<std::byte>(std::to_integer<int>(answer[1]) + 1);
  client().on_datagram(other_id, kServerA, now_, out_);
  EXPECT_EQ(dropped(ResponseDrop::kUnknownId), 2u);
  auto tampered = answer;
  tampered.back() ^= std::byte{1};
  client().on_datagram(tampered, kServerA, now_, out_);
  EXPECT_EQ(dropped(ResponseDrop::kBadAuthenticator), 1u);
  EXPECT_TRUE(out_.access.empty());
  EXPECT_EQ(out_.events.size(), 6u);

  client().on_datagram(answer, kServerA, now_, out_);  // the real one still counts
  ASSERT_EQ(out_.access.size(), 1u);
  EXPECT_EQ(out_.access[0].outcome, AccessOutcome::kAccepted);
  client().on_datagram(answer, kServerA, now_, out_);  // a duplicate: its request is done
  EXPECT_EQ(dropped(ResponseDrop::kUnknownId), 3u);
}

TEST_F(RadiusClientTest, ALateAnswerFromTheFailedServerIsNotTaken) {
  a_.up = false;
  out_ = {};
  client().submit_access(pap(), now_, out_);
  const auto to_a = out_.datagrams.at(0).bytes;
  out_.datagrams.clear();
  for (int i = 0; i < 3; ++i) {
    now_ += seconds(1);
    client().on_timer(now_, out_);
  }
  ASSERT_EQ(out_.datagrams.back().server, "b");
  out_.datagrams.clear();
  a_.up = true;
  client().on_datagram(*a_.answer(to_a), kServerA, now_, out_);
  EXPECT_EQ(dropped(ResponseDrop::kUnknownId), 1u);
  EXPECT_TRUE(out_.access.empty());
}

TEST_F(RadiusClientTest, QueuesRequestsWhenAllIdentifiersAreInUse) {
  out_ = {};
  std::vector<RequestId> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(client().submit_access(pap(), now_, out_));
  ASSERT_EQ(out_.datagrams.size(), 256u);
  EXPECT_EQ(client().stats().queued_for_identifier, 44u);
  std::set<std::byte> identifiers;
  for (const auto& d : out_.datagrams) identifiers.insert(d.bytes[1]);
  EXPECT_EQ(identifiers.size(), 256u);
  // Answering one lets one queued request go, under the identifier freed.
  const auto first = out_.datagrams[0];
  out_.datagrams.clear();
  client().on_datagram(*a_.answer(first.bytes), kServerA, now_, out_);
  ASSERT_EQ(out_.access.size(), 1u);
  EXPECT_EQ(out_.access[0].id, ids[0]);
  ASSERT_EQ(out_.datagrams.size(), 1u);
  EXPECT_EQ(out_.datagrams[0].bytes[1], first.bytes[1]);
  // The rest complete in time, each exactly once.
  out_.access.clear();
  run();
  EXPECT_EQ(out_.access.size(), 299u);
  EXPECT_EQ(client().outstanding(), 0u);
  for (const auto& r : out_.access) EXPECT_EQ(r.outcome, AccessOutcome::kAccepted);
}

TEST_F(RadiusClientTest, AccountingCarriesCountersAndFailsOverWithADelay) {
  AccountingInput in;
  in.status_type = radius::AcctStatusType::kStop;
  in.session_id = "sess-1";
  in.user_name = "alice";
  in.framed_ip_address = IpAddress::parse("10.9.0.5");
  in.input_octets = (std::uint64_t{3} << 32) + 1000;
  in.output_octets = 2000;
  in.input_packets = 10;
  in.output_packets = 20;
  in.session_time = seconds(90);
  in.terminate_cause = radius::AcctTerminateCause::kUserRequest;
  in.classes = {std::vector<std::byte>(2, std::byte{'g'})};
  in.event_timestamp = 1700000000;
  a_.up = false;
  out_ = {};
  const RequestId id = client().submit_accounting(in, now_, out_);
  run();
  ASSERT_EQ(out_.accounting.size(), 1u);
  EXPECT_EQ(out_.accounting[0].id, id);
  EXPECT_TRUE(out_.accounting[0].acknowledged);
  EXPECT_EQ(out_.accounting[0].server, "acct-b");  // Accounting-Response without M-A is fine
  const auto& q = b_.received.at(0);
  const auto u32 = [&](AttributeType t) { return radius::integer_value(*q.find(t)); };
  EXPECT_EQ(u32(AttributeType::kAcctStatusType), 2u);
  EXPECT_EQ(u32(AttributeType::kAcctInputOctets), 1000u);
  EXPECT_EQ(u32(AttributeType::kAcctInputGigawords), 3u);
  EXPECT_EQ(u32(AttributeType::kAcctOutputOctets), 2000u);
  EXPECT_EQ(u32(AttributeType::kAcctOutputGigawords), 0u);
  EXPECT_EQ(u32(AttributeType::kAcctInputPackets), 10u);
  EXPECT_EQ(u32(AttributeType::kAcctSessionTime), 90u);
  EXPECT_EQ(u32(AttributeType::kAcctTerminateCause), 1u);
  EXPECT_EQ(u32(AttributeType::kEventTimestamp), 1700000000u);
  EXPECT_EQ(u32(AttributeType::kAcctDelayTime), 3u);  // waited 3 s at acct-a
  EXPECT_EQ(radius::text_value(q.find(AttributeType::kAcctSessionId)->value), "sess-1");
  EXPECT_EQ(q.find_all(AttributeType::kClass).size(), 1u);
  EXPECT_EQ(client().stats().accounting_responses, 1u);
}

TEST_F(RadiusClientTest, AccountingStartSendsNoCountersAndWrongSecretFails) {
  AccountingInput in;
  in.session_id = "sess-2";
  a_.secret = b_.secret = "not-ours";  // the fake then ignores the request, as a server would
  out_ = {};
  client().submit_accounting(in, now_, out_);
  run();
  ASSERT_EQ(out_.accounting.size(), 1u);
  EXPECT_FALSE(out_.accounting[0].acknowledged);
  EXPECT_EQ(out_.accounting[0].reason.find("no answer from acct-a (3 tries), acct-b (3 tries)"),
            0u);
  EXPECT_NE(out_.accounting[0].reason.find("shared secret"), std::string::npos);
  EXPECT_FALSE(a_.received.at(0).find(AttributeType::kAcctInputOctets));
  EXPECT_EQ(client().stats().accounting_failures, 1u);
}

TEST_F(RadiusClientTest, RefusesWhatCannotBeSent) {
  settings_.authentication.clear();
  auto r = access(pap());
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_EQ(r.reason, "no RADIUS authentication server is configured");
  settings_.authentication = {server("a", kServerA)};
  client_.reset();
  r = access(pap(std::string(129, 'x')));
  EXPECT_EQ(r.outcome, AccessOutcome::kFailed);
  EXPECT_NE(r.reason.find("128 bytes"), std::string::npos);
}

}  // namespace
}  // namespace tandem::auth
