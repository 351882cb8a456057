// A client's (or a site's) two paths to one gateway as one: the FallbackController's decisions
// turned into packets. Outbound inner packets go to the active path; the controller's probe
// requests become probe packets (probe.hpp) from this node's inner address to the gateway's, one
// per path, tagged with the path they were sent on; probe replies arriving on a path are taken
// out of the inner traffic and fed back to the controller, everything else is delivered. Two
// sites probe each other, so the gateway's own probes are answered here on the path they came
// by, as a gateway's router answers its clients'.
//
// Both paths use the same inner address, which is what keeps connections alive across a switch:
// the gateway routes return traffic to whichever path the client's data last arrived on.
//
// Each path that has no probing of its own (set_mtu_probing) also has its MTU searched
// (mtu_prober.hpp) with path MTU probes: health probes padded to the size tested, which the far
// end answers at the same size. A path is probed while it is healthy; what it may carry is
// reported as a change in the output, for the caller to hold the path's packets to.
// Sans-I/O and single-threaded; probes are a few per second, so building them may allocate.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/bytes.hpp"
#include "base/ip_address.hpp"
#include "base/time.hpp"
#include "hybrid/fallback.hpp"
#include "hybrid/mtu_prober.hpp"
#include "hybrid/probe.hpp"

namespace tandem::hybrid {

struct FallbackPathConfig {
  FallbackConfig fallback;
  IpAddress local_address;                   // this node's inner address: the probes' source
  IpAddress probe_target;                    // the gateway's inner address, which answers probes
  std::uint16_t probe_source_port = 0xa7d1;  // replies come back to it
  std::size_t probe_size = 0;                // IP size of each probe; 0: the smallest
  // For the paths set_mtu_probing() turns on; search.max_mtu comes from there.
  MtuProberSettings mtu_probe;
};

struct OutboundProbe {
  PathRole role = PathRole::kPrimary;
  std::vector<std::byte> packet;  // a whole inner IP packet, to send on `role`
  bool mtu = false;               // a path MTU probe or its answer (Packet::mtu_probe)
};

struct PathMtuChange {
  PathRole role = PathRole::kPrimary;
  MtuChange change;
};

struct FallbackPathOutput {
  std::vector<OutboundProbe> probes;
  std::vector<FallbackEvent> events;
  std::vector<PathMtuChange> mtu_changes;  // hold `role`'s packets to change.after now
  void clear() {
    probes.clear();
    events.clear();
    mtu_changes.clear();
  }
};

enum class InboundKind : std::uint8_t {
  kDeliver,        // ordinary traffic: to the TUN device
  kProbeReply,     // consumed: it answered one of our probes
  kProbeAnswered,  // consumed: the other side's probe; the reply is in the output's probes
};

class FallbackPath {
 public:
  FallbackPath(FallbackPathConfig config, TimePoint now);

  // The path an outbound inner packet takes now.
  PathRole route() const { return controller_.active(); }

  // An authenticated inner packet that arrived on `role`. Between two sites each side probes
  // the other: a probe request from the probe target is answered on the path it came by.
  InboundKind on_inbound(PathRole role, ByteView packet, TimePoint now, FallbackPathOutput& out);
  void on_protocol_state(PathRole role, bool up, const std::string& detail, TimePoint now,
                         FallbackPathOutput& out);
  void on_timer(TimePoint now, FallbackPathOutput& out);
  TimePoint next_deadline() const;
  void force_down(PathRole role, TimePoint until, TimePoint now, FallbackPathOutput& out);

  // Path MTU probing on `role` up to `max_mtu` (the largest inner packet the path is set up
  // for), or off (nullopt: the path probes itself, or nothing may be probed).
  void set_mtu_probing(PathRole role, std::optional<std::size_t> max_mtu, TimePoint now);
  // Data went out on `role`: the size in use is confirmed again while it flows.
  void note_traffic(PathRole role);
  // Large TCP segments sent again on `role` (RetransmitWatch): its size in use is probed now.
  void note_large_retransmit(PathRole role, TimePoint now);
  // `role`'s path changed under it (a new underlay route): its search starts again.
  void restart_mtu_probing(PathRole role, TimePoint now);
  // The prober of `role`, when probing is on there.
  const MtuProber* mtu_prober(PathRole role) const;

  const FallbackController& controller() const { return controller_; }
  std::uint64_t probe_replies() const { return probe_replies_; }
  std::uint64_t foreign_replies() const { return foreign_replies_; }
  std::uint64_t probes_answered() const { return probes_answered_; }

 private:
  // Queues the reply to the other side's probe `request` (`size` bytes as it arrived).
  InboundKind answer(PathRole role, const ProbePacket& request, std::size_t size,
                     FallbackPathOutput& out);
  // Turns the controller's probe requests into packets and passes its events on; then runs the
  // path MTU probers.
  void translate(TimePoint now, FallbackPathOutput& out);
  void run_mtu_probers(TimePoint now, FallbackPathOutput& out);
  // What a request on `role` says this side holds the path to (ProbeMessage::held_mtu).
  std::uint16_t held_mtu_word(PathRole role) const;
  std::optional<MtuProber>& prober(PathRole role) {
    return probers_[static_cast<std::size_t>(role)];
  }

  FallbackPathConfig config_;
  FallbackController controller_;
  FallbackOutput controller_out_;
  TimePoint epoch_;  // probes carry their send time relative to this, for the round trip
  std::array<std::optional<MtuProber>, 2> probers_;
  std::vector<PmtuSearch::Probe> mtu_due_;  // scratch
  std::uint64_t probe_replies_ = 0;
  std::uint64_t foreign_replies_ = 0;  // replies with the wrong tag for the path they came on
  std::uint64_t probes_answered_ = 0;
};

// The tag a probe carries for the path it was sent on.
std::uint32_t probe_tag(PathRole role);

}  // namespace tandem::hybrid
