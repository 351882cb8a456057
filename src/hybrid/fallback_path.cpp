// FallbackPath (fallback_path.hpp): probes as packets, replies back to the controller.
#include "hybrid/fallback_path.hpp"

#include <algorithm>

#include "hybrid/probe.hpp"

namespace tandem::hybrid {

namespace {

// Path MTU probes carry their prober's id in sequence numbers of their own, which no health probe
// ever reaches: an answer that lost the flag (from a version without path MTU probes) is then
// ignored rather than taken for a health probe's.
constexpr std::uint64_t kMtuProbeSequences = std::uint64_t{1} << 63;

}  // namespace

std::uint32_t probe_tag(PathRole role) {
  // Non-zero, so a reply with a zeroed tag is never taken for one of ours.
  return role == PathRole::kPrimary ? 1 : 2;
}

FallbackPath::FallbackPath(FallbackPathConfig config, TimePoint now)
    : config_(config), controller_(config.fallback, now), epoch_(now) {}

InboundKind FallbackPath::on_inbound(PathRole role, ByteView packet, TimePoint now,
                                     FallbackPathOutput& out) {
  const auto probe = parse_probe(packet);
  if (probe && probe->message.type == ProbeType::kRequest &&
      probe->destination == config_.local_address && probe->source == config_.probe_target)
    return answer(role, *probe, packet.size(), out);
  if (!probe || probe->message.type != ProbeType::kReply ||
      probe->destination != config_.local_address ||
      probe->destination_port != config_.probe_source_port)
    return InboundKind::kDeliver;
  if (probe->message.path_tag != probe_tag(role)) {
    // The gateway answers on the path a request came by, so a reply for the other path here
    // says nothing about this one.
    ++foreign_replies_;
    return InboundKind::kProbeReply;
  }
  if ((probe->message.flags & kProbeFlagMtu) != 0) {
    if (auto& p = prober(role)) {
      p->on_ack(static_cast<std::uint32_t>(probe->message.sequence), now);
      run_mtu_probers(now, out);
    }
    return InboundKind::kProbeReply;
  }
  ++probe_replies_;
  controller_.on_probe_reply(role, probe->message.sequence, now, controller_out_);
  translate(now, out);
  return InboundKind::kProbeReply;
}

InboundKind FallbackPath::answer(PathRole role, const ProbePacket& request, std::size_t size,
                                 FallbackPathOutput& out) {
  // A path MTU probe is answered at its own size, and unpadded, so that the way back is measured
  // at exactly that size too.
  const bool mtu = (request.message.flags & kProbeFlagMtu) != 0;
  OutboundProbe reply{
      role, std::vector<std::byte>(std::max(size, probe_min_size(request.source.family()))), mtu};
  const std::size_t written = build_probe_reply(reply.packet, request, size);
  if (written == 0) return InboundKind::kProbeAnswered;  // cannot happen: the buffer fits
  reply.packet.resize(written);
  out.probes.push_back(std::move(reply));
  ++probes_answered_;
  return InboundKind::kProbeAnswered;
}

void FallbackPath::on_protocol_state(PathRole role, bool up, const std::string& detail,
                                     TimePoint now, FallbackPathOutput& out) {
  controller_.on_protocol_state(role, up, detail, now, controller_out_);
  translate(now, out);
}

void FallbackPath::on_timer(TimePoint now, FallbackPathOutput& out) {
  controller_.on_timer(now, controller_out_);
  translate(now, out);
}

void FallbackPath::force_down(PathRole role, TimePoint until, TimePoint now,
                              FallbackPathOutput& out) {
  controller_.force_down(role, until, now, controller_out_);
  translate(now, out);
}

void FallbackPath::translate(TimePoint now, FallbackPathOutput& out) {
  const auto family = config_.local_address.family();
  const std::size_t size = std::max(config_.probe_size, probe_min_size(family));
  for (const ProbeRequest& request : controller_out_.probes) {
    ProbeMessage message;
    message.type = ProbeType::kRequest;
    message.path_tag = probe_tag(request.role);
    message.sequence = request.sequence;
    message.sent_ns = static_cast<std::uint64_t>((now - epoch_).count());
    message.held_mtu = held_mtu_word(request.role);
    OutboundProbe probe{request.role, std::vector<std::byte>(size)};
    const std::size_t written =
        build_probe_request(probe.packet, config_.local_address, config_.probe_source_port,
                            config_.probe_target, message, size);
    if (written == 0) continue;  // impossible sizes were refused by the config
    probe.packet.resize(written);
    out.probes.push_back(std::move(probe));
  }
  for (auto& event : controller_out_.events) out.events.push_back(std::move(event));
  controller_out_.clear();
  run_mtu_probers(now, out);
}

void FallbackPath::run_mtu_probers(TimePoint now, FallbackPathOutput& out) {
  const auto family = config_.local_address.family();
  for (const PathRole role : {PathRole::kPrimary, PathRole::kSecondary}) {
    auto& p = prober(role);
    if (!p) continue;
    // Probed while healthy: a size lost on a path that is failing anyway says nothing.
    const PathHealth& health = controller_.health(role);
    p->set_live(health.healthy && !health.forced_down, now);
    mtu_due_.clear();
    p->poll(now, mtu_due_);
    for (const PmtuSearch::Probe& due : mtu_due_) {
      ProbeMessage message;
      message.type = ProbeType::kRequest;
      message.flags = kProbeFlagMtu;
      message.path_tag = probe_tag(role);
      message.sequence = kMtuProbeSequences | due.id;
      message.sent_ns = static_cast<std::uint64_t>((now - epoch_).count());
      message.held_mtu = held_mtu_word(role);
      const std::size_t size = std::max(due.size, probe_min_size(family));
      OutboundProbe probe{role, std::vector<std::byte>(size), true};
      const std::size_t written =
          build_probe_request(probe.packet, config_.local_address, config_.probe_source_port,
                              config_.probe_target, message, size);
      if (written == 0) continue;
      probe.packet.resize(written);
      out.probes.push_back(std::move(probe));
    }
    if (auto change = p->take_change()) out.mtu_changes.push_back({role, *change});
  }
}

TimePoint FallbackPath::next_deadline() const {
  TimePoint next = controller_.next_deadline();
  for (const auto& p : probers_)
    if (p)
      if (const auto due = p->next_deadline()) next = std::min(next, *due);
  return next;
}

void FallbackPath::set_mtu_probing(PathRole role, std::optional<std::size_t> max_mtu,
                                   TimePoint now) {
  auto& p = prober(role);
  if (!max_mtu) {
    p.reset();
    return;
  }
  if (p) {
    p->set_max_mtu(*max_mtu, now);
    return;
  }
  MtuProberSettings settings = config_.mtu_probe;
  settings.search.max_mtu = *max_mtu;
  p.emplace(settings);
}

std::uint16_t FallbackPath::held_mtu_word(PathRole role) const {
  const auto* p = mtu_prober(role);
  const auto held = p ? p->held_mtu() : std::nullopt;
  return held ? static_cast<std::uint16_t>(std::min<std::size_t>(*held, 0xffff)) : 0;
}

void FallbackPath::note_traffic(PathRole role) {
  if (auto& p = prober(role)) p->note_traffic();
}

void FallbackPath::note_large_retransmit(PathRole role, TimePoint now) {
  if (auto& p = prober(role)) p->on_large_retransmit(now);
}

void FallbackPath::restart_mtu_probing(PathRole role, TimePoint now) {
  if (auto& p = prober(role)) p->restart(now);
}

const MtuProber* FallbackPath::mtu_prober(PathRole role) const {
  const auto& p = probers_[static_cast<std::size_t>(role)];
  return p ? &*p : nullptr;
}

}  // namespace tandem::hybrid
