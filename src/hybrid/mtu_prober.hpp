// Path MTU probing for one path, around a PmtuSearch (pmtu_search.hpp): when to search (when
// the path comes up, after it changed, periodically upwards), when to check the size in use
// (while data flows, so that a hop that silently shrank is found; an idle path costs nothing but
// the periodic search), and what packets on the path are held to meanwhile. Each protocol sends
// its own kind of probe (a padded health probe, an LCP Echo-Request with data, an ICMP echo) for
// the sizes poll() names and reports the acknowledgements; the prober knows none of them.
// Sans-I/O and single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.hpp"
#include "hybrid/pmtu_search.hpp"

namespace tandem::hybrid {

struct MtuProberSettings {
  PmtuSearchSettings search;
  // While data flows, the size in use is probed again this often: the longest a black hole can
  // last before the search falls back to the base (plus the tries of that one probe). One probe
  // and its answer every 2 s cost about 12 kbit/s, and only while the path carries data.
  Duration confirm_interval = std::chrono::seconds(2);
};

// What packets on the path are held to changed from `before` to `after` (nullopt: nothing
// probed, the configured MTU holds).
struct MtuChange {
  std::optional<std::size_t> before;
  std::optional<std::size_t> after;
  bool black_hole = false;  // a confirmation of the size in use was lost
};

class MtuProber {
 public:
  explicit MtuProber(MtuProberSettings settings);

  // Whether the path can carry probes now (its protocol is up): a search starts when it comes
  // up, and nothing is sent while it is down.
  void set_live(bool live, TimePoint now);
  // The path changed under the same protocol (roaming, a new endpoint, a new underlay route):
  // searches again from the base, keeping the size in use until something is confirmed.
  void restart(TimePoint now);
  // Data went out on the path: a completed search is confirmed again within confirm_interval.
  void note_traffic() { traffic_ = true; }
  // Large TCP segments were sent again (RetransmitWatch): the size in use is probed at once,
  // unless it was within the last second (a congested path retransmits too; one probe a second
  // settles which it is). True when a confirmation started.
  bool on_large_retransmit(TimePoint now);
  // The largest inner packet the path may carry changed (the device MTU, an ICMP report).
  void set_max_mtu(std::size_t max_mtu, TimePoint now);

  // Appends the probes due now: an id to echo and the inner packet size to send.
  void poll(TimePoint now, std::vector<PmtuSearch::Probe>& out);
  void on_ack(std::uint32_t id, TimePoint now);
  std::optional<TimePoint> next_deadline() const;

  // What packets on the path are held to now: the size a completed search found; the base, then
  // what is confirmed, after a black hole; while a search after a start or a change runs, the
  // size held before it (nullopt at first: the configured MTU holds), so that a search from the
  // base never lowers anything on a guess, which would tell every sender a smaller MTU for the
  // ten minutes their path MTU cache keeps it.
  std::optional<std::size_t> held_mtu() const;
  // The change of held_mtu() since the last call, if any (for the event and to apply it).
  std::optional<MtuChange> take_change();

  bool live() const { return live_; }
  const PmtuSearch& search() const { return search_; }
  const MtuProberSettings& settings() const { return settings_; }
  std::uint64_t probes_sent() const { return probes_sent_; }
  std::uint64_t probes_acked() const { return probes_acked_; }
  std::uint64_t probe_bytes() const { return probe_bytes_; }  // inner bytes of the probes sent
  std::uint64_t changes() const { return changes_; }          // the changes take_change() reported

 private:
  void note_held();

  MtuProberSettings settings_;
  PmtuSearch search_;
  bool live_ = false;
  bool traffic_ = false;
  TimePoint last_confirm_{};
  std::optional<std::size_t> settled_;   // the last size a search completed with
  std::optional<std::size_t> reported_;  // held_mtu() as take_change() last reported it
  bool black_hole_seen_ = false;         // since the last take_change()
  std::uint64_t probes_sent_ = 0;
  std::uint64_t probes_acked_ = 0;
  std::uint64_t probe_bytes_ = 0;
  std::uint64_t changes_ = 0;
};

}  // namespace tandem::hybrid
