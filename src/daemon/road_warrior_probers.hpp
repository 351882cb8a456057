// Path MTU probing of a hybrid gateway's IKEv2 road warriors: strongSwan, the built-in clients
// of Windows, macOS and Android speak none of Tandem's probes, but each got an inner address from
// the gateway (configuration payload) and answers pings at it, so the gateway probes the path to
// each as it probes a standard WireGuard client: ICMP echoes of chosen sizes
// (hybrid/icmp_echo_prober.hpp) through the road warrior's ESP SA. One prober per road warrior,
// from its first Child SA up to its last one gone; where the account's probing is off
// (account_probe_target.hpp), status says why. What a search finds holds every packet to that
// road warrior (MSS clamp, ICMP too big, fragments: the interface applies it as it applies a
// smaller underlay), and each change is reported (report_mtu_change).
//
// Timers: each road warrior's next deadline sits in a DeadlineHeap, so a tick costs the road
// warriors that are due, not all of them. Sans-I/O (time in, probe packets out) apart from the
// log; single-threaded, on the interface's control thread.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.hpp"
#include "base/deadline_heap.hpp"
#include "base/ip_address.hpp"
#include "base/rng.hpp"
#include "base/time.hpp"
#include "daemon/account_probe_target.hpp"
#include "hybrid/icmp_echo_prober.hpp"
#include "io/packet_batch.hpp"

namespace tandem::daemon {

// A road warrior whose Child SA stands.
struct RoadWarrior {
  IpAddress inner;              // the address it was given (its SA's first remote selector)
  std::vector<IpPrefix> reach;  // every inner prefix its SAs carry (the address first)
  std::string account;          // for log lines, events and status
  IpAddress underlay;           // where its ESP goes
  std::size_t max_mtu = 0;      // the largest inner packet the path is configured for
  AccountProbeTarget probe;     // where its probes go, or why none do
};

class RoadWarriorProbers {
 public:
  // `rng` draws each prober's echo identifier and tag; it must outlive this.
  RoadWarriorProbers(std::string interface_name, Rng& rng);

  // How long a completed search waits before it looks upwards again ([accounts]
  // mtu_probe_interval).
  void set_raise_interval(Duration interval) { raise_interval_ = interval; }

  // The road warrior's first Child SA came up, or its account changed (a reload, the store):
  // probing starts, or goes on, to its target; a target that moved starts afresh.
  void up(RoadWarrior road_warrior, TimePoint now);
  // Its last Child SA is gone: its prober too.
  void down(const IpAddress& inner);
  bool empty() const { return road_warriors_.empty(); }
  // The road warriors up now (for a reload to look up each one's target again).
  std::vector<RoadWarrior> road_warriors() const;

  // What packets to (or from) `address` are held to: what the probing of the road warrior whose
  // SA carries that address found; nullopt where the configured MTU holds.
  std::optional<std::size_t> held_mtu(const IpAddress& address) const;
  // Data went out to `address`: the size in use is confirmed while it flows.
  void note_traffic(const IpAddress& address);
  // The largest inner packet towards each road warrior changed (ICMP said its underlay is
  // smaller): `max_mtu(underlay)` is asked for the ones due.
  void set_max_mtu_source(std::function<std::size_t(const IpAddress&)> max_mtu) {
    max_mtu_ = std::move(max_mtu);
  }
  // The road warriors for which `moved` (their underlay address -> the new route in words, or
  // nullopt) says the underlay route changed search again, and the log says so. Asks about all.
  void restart_moved(const std::function<std::optional<std::string>(const IpAddress&)>& moved,
                     TimePoint now);

  // The probes due now, appended to `probes` as inner packets marked mtu_probe, for the caller
  // to seal; only the road warriors whose deadline came are looked at.
  void poll(TimePoint now, io::PacketBatch& probes);
  // Whether `packet`, opened from a road warrior's SA, answers one of our probes; if so it is
  // consumed here and must not reach the device.
  bool take_reply(ByteView packet, TimePoint now);
  std::optional<TimePoint> next_deadline() const { return due_.next(); }

  // For status: {"mtu_probe", "mtu" (what its packets are held to), "configured_mtu",
  // "mtu_probe_target"} of the road warrior whose SA carries `address`; null without one.
  nlohmann::json status_json(const IpAddress& address) const;

 private:
  struct Probing {
    RoadWarrior road_warrior;
    std::optional<hybrid::IcmpEchoProber> echo;  // none where its probing is off
    std::optional<std::size_t> logged;           // what the last report said it is held to
    bool traffic_noted = false;                  // since its last poll
  };
  // The road warrior whose SA carries `address` (its own, or one of its subnets).
  template <typename Self>
  static auto* owner(Self& self, const IpAddress& address);
  void start(Probing& p, TimePoint now);
  // Reports a change of what the prober holds the road warrior to, once a search settled it.
  void report(Probing& p);
  void schedule(const IpAddress& inner, const Probing& p);

  std::string interface_name_;
  Rng& rng_;
  Duration raise_interval_ = std::chrono::minutes(10);
  std::function<std::size_t(const IpAddress&)> max_mtu_;
  std::map<IpAddress, Probing> road_warriors_;  // by inner address
  std::size_t with_subnets_ = 0;                // road warriors whose SAs carry more
  DeadlineHeap<IpAddress> due_;
  std::vector<IpAddress> due_now_;                // poll()'s scratch
  std::vector<hybrid::PmtuSearch::Probe> sizes_;  // poll()'s scratch
};

}  // namespace tandem::daemon
