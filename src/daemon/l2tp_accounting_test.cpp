// SessionAccounting on a fake clock: Start at link-up with the accepted login's Class, interim
// updates on their interval with the session's counts, Stop with the counts and cause, and the
// Session-Timeout and Idle-Timeout limits turning into hang-ups with their own causes.
#include "daemon/l2tp_accounting.hpp"

#include <gtest/gtest.h>

namespace tandem::daemon {
namespace {

using namespace std::chrono_literals;
using auth::radius::AcctStatusType;
using auth::radius::AcctTerminateCause;

struct Harness {
  std::vector<auth::AccountingInput> sent;
  SessionAccounting accounting{60s, [this](auth::AccountingInput r) { sent.push_back(r); },
                               [] { return std::uint32_t{1700000000}; }, "run1"};
  TimePoint t0 = TimePoint{} + 1000s;
  l2tp::SessionRef ref{7, 9};
  IpAddress address = *IpAddress::parse("10.0.0.5");

  hybrid::L2tpSessionInfo info(std::uint64_t packets) const {
    hybrid::L2tpSessionInfo i;
    i.ref = ref;
    i.rx_packets = packets;
    i.rx_bytes = packets * 100;
    i.tx_packets = packets / 2;
    i.tx_bytes = packets * 40;
    return i;
  }
  void login(SessionAccounting::Limits limits = {}) {
    accounting.accepted(ref, "alice", *Endpoint::parse("192.0.2.8:1701"), std::move(limits));
    accounting.up(ref, address, t0);
  }
};

TEST(SessionAccounting, StartsWhenTheLinkIsUpWithTheLoginsClass) {
  Harness h;
  h.accounting.accepted(h.ref, "alice", *Endpoint::parse("192.0.2.8:1701"), {{}, {}, {"gold"}});
  EXPECT_TRUE(h.sent.empty());
  h.accounting.up(h.ref, h.address, h.t0);
  ASSERT_EQ(h.sent.size(), 1u);
  const auto& r = h.sent[0];
  EXPECT_EQ(r.status_type, AcctStatusType::kStart);
  EXPECT_EQ(r.user_name, "alice");
  EXPECT_EQ(r.session_id, "run1-1");
  EXPECT_EQ(r.framed_ip_address, h.address);
  EXPECT_EQ(r.calling_station_id, "192.0.2.8");
  ASSERT_EQ(r.classes.size(), 1u);
  EXPECT_EQ(r.classes[0].size(), 4u);
  EXPECT_EQ(r.event_timestamp, 1700000000u);
}

TEST(SessionAccounting, SendsInterimUpdatesOnTheirIntervalWithTheCounts) {
  Harness h;
  h.login();
  EXPECT_EQ(h.accounting.next_deadline(), h.t0 + 60s);
  EXPECT_TRUE(h.accounting.tick(h.t0 + 59s, {h.info(10)}).empty());
  EXPECT_EQ(h.sent.size(), 1u);
  h.accounting.tick(h.t0 + 60s, {h.info(10)});
  ASSERT_EQ(h.sent.size(), 2u);
  EXPECT_EQ(h.sent[1].status_type, AcctStatusType::kInterimUpdate);
  EXPECT_EQ(h.sent[1].input_octets, 1000u);
  EXPECT_EQ(h.sent[1].output_packets, 5u);
  EXPECT_EQ(h.sent[1].session_time, 60s);
  EXPECT_EQ(h.accounting.next_deadline(), h.t0 + 120s);
}

TEST(SessionAccounting, StopsWithTheSessionsCountsAndWhatEndedIt) {
  Harness h;
  h.login();
  hybrid::L2tpEvent down;
  down.type = hybrid::L2tpEventType::kLinkDown;
  down.ref = h.ref;
  down.detail = "peer sent CDN";
  down.rx_bytes = 5000;
  down.rx_packets = 50;
  down.tx_bytes = 7000;
  down.tx_packets = 70;
  h.accounting.down(down, h.t0 + 90s);
  ASSERT_EQ(h.sent.size(), 2u);
  const auto& r = h.sent[1];
  EXPECT_EQ(r.status_type, AcctStatusType::kStop);
  EXPECT_EQ(r.session_id, "run1-1");
  EXPECT_EQ(r.input_octets, 5000u);
  EXPECT_EQ(r.input_packets, 50u);
  EXPECT_EQ(r.output_octets, 7000u);
  EXPECT_EQ(r.output_packets, 70u);
  EXPECT_EQ(r.session_time, 90s);
  EXPECT_EQ(r.terminate_cause, AcctTerminateCause::kUserRequest);
  EXPECT_EQ(h.accounting.sessions(), 0u);
}

TEST(SessionAccounting, ALoginThatNeverCameUpIsForgottenWithoutAStop) {
  Harness h;
  h.accounting.accepted(h.ref, "alice", *Endpoint::parse("192.0.2.8:1701"), {});
  hybrid::L2tpEvent down;
  down.ref = h.ref;
  h.accounting.down(down, h.t0);
  EXPECT_TRUE(h.sent.empty());
  EXPECT_EQ(h.accounting.sessions(), 0u);
}

TEST(SessionAccounting, SessionTimeoutHangsUpAndStopSaysSo) {
  Harness h;
  h.login({30s, {}, {}});
  EXPECT_EQ(h.accounting.next_deadline(), h.t0 + 30s);
  EXPECT_TRUE(h.accounting.tick(h.t0 + 29s, {h.info(1)}).empty());
  const auto expired = h.accounting.tick(h.t0 + 30s, {h.info(1)});
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].address, h.address);
  EXPECT_EQ(expired[0].reason, "Session-Timeout reached");
  // Asked once: the hang-up is on its way.
  EXPECT_TRUE(h.accounting.tick(h.t0 + 31s, {h.info(1)}).empty());
  hybrid::L2tpEvent down;
  down.ref = h.ref;
  down.detail = "hung up: Session-Timeout reached";
  h.accounting.down(down, h.t0 + 31s);
  EXPECT_EQ(h.sent.back().terminate_cause, AcctTerminateCause::kSessionTimeout);
}

TEST(SessionAccounting, IdleTimeoutCountsOnlyTimeWithoutPackets) {
  Harness h;
  h.login({{}, 20s, {}});
  TimePoint now = h.t0;
  std::uint64_t packets = 0;
  // Traffic every check for a minute: never idle.
  for (int i = 0; i < 12; ++i) {
    now += SessionAccounting::kIdleCheckEvery;
    packets += 3;
    EXPECT_TRUE(h.accounting.tick(now, {h.info(packets)}).empty());
  }
  // Then silence: hung up once 20 s pass without a packet, not before.
  std::vector<SessionAccounting::Expired> expired;
  Duration silent{};
  while (expired.empty() && silent < 60s) {
    now += SessionAccounting::kIdleCheckEvery;
    silent += SessionAccounting::kIdleCheckEvery;
    expired = h.accounting.tick(now, {h.info(packets)});
  }
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].reason, "Idle-Timeout reached");
  EXPECT_GE(silent, 20s);
  EXPECT_LE(silent, 20s + SessionAccounting::kIdleCheckEvery);
}

TEST(SessionAccounting, TerminateCausesFromTheStacksReasons) {
  EXPECT_EQ(terminate_cause_of("peer sent StopCCN"), AcctTerminateCause::kUserRequest);
  EXPECT_EQ(terminate_cause_of("hello timeout: peer dead"), AcctTerminateCause::kLostCarrier);
  EXPECT_EQ(terminate_cause_of("account revoked"), AcctTerminateCause::kAdminReset);
  EXPECT_EQ(terminate_cause_of("shutting down"), AcctTerminateCause::kNasReboot);
}

}  // namespace
}  // namespace tandem::daemon
