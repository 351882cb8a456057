// Packetization-layer path MTU discovery for one tunnel path (RFC 8899, DPLPMTUD): which probe
// sizes to send and when, and what the path's MTU is from the acknowledgements and losses seen.
// It is for the paths where ICMP never arrives (a hop that drops large datagrams silently).
//
// A probe is an inner packet of a chosen size that the far end acknowledges (a padded health
// probe, an LCP Echo-Request with data, an ICMP echo); the caller builds and sends it and reports
// the acknowledgement. The search keeps the largest size confirmed (`mtu()`, the PLPMTU) and the
// smallest size known lost, and probes several sizes between them at once, so that a search
// over the 160 bytes between 1280 and 1440 takes two or three rounds, not eight, and a path that
// carries the device MTU is confirmed in one. A size counts as
// lost after `max_probes` tries, each given `probe_timeout` (RFC 8899 section 5.1.1).
//
// States (section 5.2): kBase confirms the base size first; kSearching narrows the interval;
// kComplete holds the result and searches upwards again `raise_interval` (PMTU_RAISE_TIMER)
// after the previous search began, which finds a grown path within that interval and one search;
// kError when even the base size is lost (the path is down, or smaller than the base): it
// retries the base every 10 s.
// kConfirming probes the size in use once more (confirm_current(), which the caller asks for
// while data flows, so an idle path costs nothing): when that is lost, the path has shrunk
// without telling anyone (a black hole) and the search starts over from the base at once. A
// black hole suspected otherwise (large packets lost while small ones pass) does the same.
// Pure state, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/time.hpp"

namespace tandem::hybrid {

struct PmtuSearchSettings {
  std::size_t base_mtu = 1280;      // BASE_PLPMTU: believed to work, confirmed first
  std::size_t max_mtu = 1420;       // MAX_PLPMTU: what the device takes
  std::size_t sizes_per_round = 8;  // probed at once, the largest possible one among them
  int max_probes = 3;               // MAX_PROBES: tries before a size counts as lost
  Duration probe_timeout = std::chrono::seconds(1);    // PROBE_TIMER (at least 1 s)
  Duration raise_interval = std::chrono::minutes(10);  // PMTU_RAISE_TIMER
};

class PmtuSearch {
 public:
  enum class State : std::uint8_t { kBase, kSearching, kComplete, kConfirming, kError };
  struct Probe {
    std::uint32_t id = 0;  // echoed in the acknowledgement
    std::size_t size = 0;  // the inner packet's size
  };

  explicit PmtuSearch(PmtuSearchSettings settings);

  // (Re)starts from the base size: at start, and after a path change (roaming, fallback, a new
  // underlay route).
  void start(TimePoint now);
  // Appends the probes due now (new sizes and retries).
  void poll(TimePoint now, std::vector<Probe>& out);
  // The far end acknowledged probe `id` (unknown or long-gone ids are ignored).
  void on_ack(std::uint32_t id, TimePoint now);
  // Large packets were lost while small ones passed: back to the base size, which is safe, and
  // a search upwards from there.
  void on_black_hole_suspected(TimePoint now);
  // A completed search probes its size once more (the caller asks while data flows): if that is
  // lost, a black hole as above. Does nothing in any other state.
  void confirm_current(TimePoint now);
  // The device's MTU changed (or ICMP lowered what the path can carry): the search stays within.
  void set_max_mtu(std::size_t max_mtu, TimePoint now);
  // When poll() has something to send, or the state times out.
  std::optional<TimePoint> next_deadline() const;

  // The largest size confirmed; the base size until one is.
  std::size_t mtu() const { return confirmed_.value_or(settings_.base_mtu); }
  // What packets on the path should be held to now: the size confirmed; the base size while a
  // search after a black hole has confirmed nothing yet; nullopt before the first search of a
  // path has confirmed anything (the configured MTU holds meanwhile: a start or a path change
  // never lowers it on a guess, which would tell every sender a smaller MTU for ten minutes).
  std::optional<std::size_t> held_mtu() const {
    if (confirmed_) return confirmed_;
    if (black_hole_) return settings_.base_mtu;
    return std::nullopt;
  }
  bool confirmed() const { return confirmed_.has_value(); }
  // This search began at a black hole (a lost confirmation, on_black_hole_suspected()).
  bool after_black_hole() const { return black_hole_; }
  State state() const { return state_; }
  const PmtuSearchSettings& settings() const { return settings_; }

 private:
  struct Pending {
    std::size_t size = 0;
    int tries = 0;
    TimePoint last_sent{};
    bool sent = false;
  };

  void begin_round(TimePoint now);
  void confirm(std::size_t size, TimePoint now);
  void lose(std::size_t size, TimePoint now);
  void after_change(TimePoint now);

  PmtuSearchSettings settings_;
  State state_ = State::kBase;
  std::optional<std::size_t> confirmed_;  // the largest size acknowledged in this search
  std::size_t lost_ = 0;                  // the smallest size lost (max_mtu + 1: none yet)
  std::vector<Pending> pending_;
  std::vector<Probe> sent_;  // the probes sent lately, by id
  std::uint32_t next_id_ = 1;
  TimePoint idle_until_{};    // kComplete / kError: when to probe again
  TimePoint search_began_{};  // when the latest search (from the base, or upwards) began
  bool black_hole_ = false;   // this search began at a black hole
};

// "base", "searching", "complete", "confirming" or "error", for status documents and logs.
const char* pmtu_state_name(PmtuSearch::State state);

}  // namespace tandem::hybrid
