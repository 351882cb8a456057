// The hybrid interface's control thread (hybrid_interface.hpp): what other threads queued for
// the control paths, packets too big for the path they are for, the fallback's probes, timer and
// events, and dialling and hanging up an on-demand secondary.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "daemon/event_sink.hpp"
#include "daemon/hybrid_interface.hpp"
#include "daemon/oversize_packets.hpp"
#include "io/system_clock.hpp"
#include "packet/icmp_too_big.hpp"

namespace tandem::daemon {

// ---- the control thread -------------------------------------------------------------------

void HybridInterface::on_control_wake() {
  std::vector<StateChange> states;
  bool holds_pending = false;
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    for (auto& slot : control_) {
      std::swap(slot->pending, slot->draining);
      slot->pending.clear();
    }
    control_room_.notify_all();
    states.swap(pending_states_);
    holds_pending = !pending_client_holds_.empty();
    const TimePoint now = io::SystemClock::now();
    for (const auto& s : states) {
      std::string detail = s.detail;
      bool up = s.up;
      if (s.kind == hybrid::PathKind::kL2tpIpsec) l2tp_address_ = up ? s.address : std::nullopt;
      // The secondary keeps connections alive only with the same inner address as the primary:
      // a gateway that hands out another has no account tying the two together.
      if (up && s.address && !own_address(*s.address)) {
        up = false;
        detail = "the gateway gave this client " + s.address->to_string() +
                 " over L2TP, not its [interface] address: the gateway's account for this "
                 "user must have the same address as the WireGuard peer";
        spdlog::error("{}", detail);
      }
      if (fallback_) fallback_->on_protocol_state(role_of(s.kind), up, detail, now, fallback_out_);
    }
    if (fallback_) std::swap(out, fallback_out_);
  }
  if (retire_control_path_) {
    // Its goodbye is done (not inside one of its own calls any more): let it go.
    retire_control_path_ = false;
    hanging_up_ = false;
    secondary().path.reset();
    if (redial_after_hang_up_) {
      redial_after_hang_up_ = false;
      (void)dial_control_path();
    }
  }
  for (auto& slot : control_) {
    if (slot->draining.empty()) continue;
    if (slot->path && !hanging_up_) {
      fit_to_path(*slot->path, slot->draining);
      slot->path->send_inner(slot->draining);
      if (!fragments_.empty()) slot->path->send_inner(fragments_);
    } else {
      std::lock_guard lock(mutex_);
      counters_.dropped_no_route += slot->draining.size();
    }
    slot->draining.clear();
  }
  if (holds_pending) apply_client_holds();
  if (fallback_) handle_fallback_output(out);
}

void HybridInterface::fit_to_path(ControlPath& path, io::PacketBatch& batch) {
  // The device's MTU is WireGuard's; another path may carry less (oversize_packets.hpp).
  fragments_.clear();
  const std::size_t mtu = path.inner_mtu();
  OversizeTally tally;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const ByteView bytes = batch[i].bytes();
    if (packet::classify_for_mtu(bytes, mtu) == packet::TooBig::kFits) {
      if (kept != i) std::swap(batch[kept], batch[i]);
      ++kept;
      continue;
    }
    handle_oversize_packet(bytes, mtu, tun_, fragments_, tally);
  }
  batch.resize(kept);
  if (!tally.any()) return;
  std::lock_guard lock(mutex_);
  counters_.too_big_icmp += tally.icmp;
  counters_.fragmented += tally.fragmented;
  counters_.dropped_too_big += tally.dropped;
}

void HybridInterface::on_fallback_timer() {
  follow_underlay_routes();
  hybrid::FallbackPathOutput out;
  {
    std::lock_guard lock(mutex_);
    note_path_traffic();
    fallback_->on_timer(io::SystemClock::now(), fallback_out_);
    std::swap(out, fallback_out_);
  }
  handle_fallback_output(out);
}

void HybridInterface::handle_fallback_output(hybrid::FallbackPathOutput& out) {
  bool wake_sender = false;
  io::PacketBatch& probes = probe_batch_;  // for the secondary
  probes.clear();
  for (const auto& probe : out.probes) {
    if (probe.role == hybrid::PathRole::kPrimary) {
      std::lock_guard lock(mutex_);
      queue_for_wireguard(ByteView(probe.packet), probe.mtu);
      wake_sender = true;
    } else if (secondary().path && !hanging_up_ && !probes.full()) {
      probes.push_back(ByteView(probe.packet)).mtu_probe = probe.mtu;
      std::lock_guard lock(mutex_);
      count_sent(secondary().kind, probe.packet.size());
    }
  }
  if (wake_sender) wg_->wake_sender();
  if (!probes.empty()) secondary().path->send_inner(probes);
  for (const auto& c : out.mtu_changes) apply_mtu_change(c);
  for (const auto& e : out.events) {
    log_fallback_event(e);
    if (e.type == hybrid::FallbackEventType::kDialSecondary) (void)dial_control_path();
    if (e.type == hybrid::FallbackEventType::kHangUpSecondary) hang_up_control_path();
  }
  sync_kernel_routes();
  rearm_fallback_timer();
}

Result<Ok, std::string> HybridInterface::dial_control_path() {
  if (hanging_up_) {
    redial_after_hang_up_ = true;  // once the old one has said goodbye
    return Ok{};
  }
  ControlSlot& slot = secondary();
  if (slot.path) return Ok{};
  auto path = slot.make();
  auto ok = path ? (slot.path = std::move(*path), attach_control_path(slot))
                 : Result<Ok, std::string>(Err(path.error()));
  if (!ok) spdlog::error("cannot dial the secondary: {}", ok.error());
  return ok;
}

Result<Ok, std::string> HybridInterface::attach_control_path(ControlSlot& slot) {
  const bool l2tp = slot.kind == hybrid::PathKind::kL2tpIpsec;
  if (auto ok = slot.path->attach(*loop_); !ok) {
    slot.path.reset();
    return Err(std::string(l2tp ? "L2TP/IPsec" : "IPsec") + " path: " + ok.error());
  }
  return Ok{};
}

void HybridInterface::hang_up_control_path() {
  redial_after_hang_up_ = false;
  ControlSlot& slot = secondary();
  if (!slot.path || hanging_up_) return;
  hanging_up_ = true;
  slot.path->shut_down([this] {
    retire_control_path_ = true;
    loop_->wake();
  });
}

void HybridInterface::rearm_fallback_timer() {
  TimePoint next;
  {
    std::lock_guard lock(mutex_);
    next = fallback_->next_deadline();
  }
  loop_->arm_timer(fallback_timer_, next);
}

void HybridInterface::log_fallback_event(const hybrid::FallbackEvent& e) {
  using T = hybrid::FallbackEventType;
  const auto path = [this](hybrid::PathRole r) { return hybrid::path_kind_name(kind_for(r)); };
  switch (e.type) {
    case T::kSwitched:
      spdlog::warn("traffic moved from {} to {}: {} ({} silent for {} ms)", path(e.from),
                   path(e.to), e.reason, path(e.from), to_millis(e.silent_for));
      events().emit("path.failover", {{"from", path(e.from)},
                                      {"to", path(e.to)},
                                      {"reason", e.reason},
                                      {"silent_ms", to_millis(e.silent_for)}});
      break;
    case T::kPathDown:
      spdlog::warn("path {} down: {}", path(e.to), e.reason);
      events().emit("path.down", {{"path", path(e.to)}, {"reason", e.reason}});
      break;
    case T::kPathUp:
      spdlog::info("path {} up: {}", path(e.to), e.reason);
      events().emit("path.up", {{"path", path(e.to)}, {"reason", e.reason}});
      break;
    case T::kDialSecondary:
      spdlog::warn("dialling {} on demand: {}", path(hybrid::PathRole::kSecondary), e.reason);
      break;
    case T::kHangUpSecondary:
      spdlog::info("hanging up {}, dialled on demand: {}", path(hybrid::PathRole::kSecondary),
                   e.reason);
      break;
  }
}

}  // namespace tandem::daemon
