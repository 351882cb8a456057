// MtuProber (mtu_prober.hpp): when a path is searched and confirmed, and what it is held to.
#include "hybrid/mtu_prober.hpp"

namespace tandem::hybrid {

using State = PmtuSearch::State;

namespace {
// The fewest seconds between confirmations that retransmissions ask for.
constexpr Duration kRetransmitConfirmGap = std::chrono::seconds(1);
}  // namespace

MtuProber::MtuProber(MtuProberSettings settings) : settings_(settings), search_(settings.search) {}

void MtuProber::set_live(bool live, TimePoint now) {
  if (live == live_) return;
  live_ = live;
  // Back up: measured again, as whatever took it down may have changed the path too.
  if (live_) restart(now);
}

void MtuProber::restart(TimePoint now) {
  note_held();
  search_.start(now);
  traffic_ = false;
  last_confirm_ = now;
}

void MtuProber::set_max_mtu(std::size_t max_mtu, TimePoint now) {
  if (max_mtu == search_.settings().max_mtu) return;
  search_.set_max_mtu(max_mtu, now);
  if (settled_ && *settled_ > max_mtu) settled_ = max_mtu;
}

void MtuProber::poll(TimePoint now, std::vector<PmtuSearch::Probe>& out) {
  if (!live_) return;
  if (search_.state() == State::kComplete && traffic_ &&
      now - last_confirm_ >= settings_.confirm_interval) {
    search_.confirm_current(now);
    traffic_ = false;
    last_confirm_ = now;
  }
  const std::size_t before = out.size();
  search_.poll(now, out);
  probes_sent_ += out.size() - before;
  for (std::size_t i = before; i < out.size(); ++i) probe_bytes_ += out[i].size;
  note_held();
}

bool MtuProber::on_large_retransmit(TimePoint now) {
  if (!live_ || search_.state() != State::kComplete) return false;
  if (now - last_confirm_ < kRetransmitConfirmGap) return false;
  search_.confirm_current(now);
  traffic_ = false;
  last_confirm_ = now;
  return true;
}

void MtuProber::on_ack(std::uint32_t id, TimePoint now) {
  ++probes_acked_;
  search_.on_ack(id, now);
  note_held();
}

std::optional<TimePoint> MtuProber::next_deadline() const {
  if (!live_) return std::nullopt;
  auto next = search_.next_deadline();
  if (search_.state() == State::kComplete && traffic_) {
    const TimePoint confirm = last_confirm_ + settings_.confirm_interval;
    if (!next || confirm < *next) next = confirm;
  }
  return next;
}

void MtuProber::note_held() {
  const State state = search_.state();
  if (state == State::kComplete || state == State::kConfirming ||
      (search_.after_black_hole() && search_.held_mtu()))
    settled_ = search_.mtu();
  if (search_.after_black_hole()) black_hole_seen_ = true;
}

std::optional<std::size_t> MtuProber::held_mtu() const {
  const State state = search_.state();
  if (state == State::kComplete || state == State::kConfirming) return search_.mtu();
  if (search_.after_black_hole()) return search_.held_mtu();
  // A search after a start or a change: what held before, or more once that much is confirmed.
  if (settled_ && search_.confirmed() && search_.mtu() > *settled_) return search_.mtu();
  return settled_;
}

std::optional<MtuChange> MtuProber::take_change() {
  const auto now_held = held_mtu();
  if (now_held == reported_) return std::nullopt;
  MtuChange change{reported_, now_held, black_hole_seen_};
  reported_ = now_held;
  black_hole_seen_ = false;
  ++changes_;
  return change;
}

}  // namespace tandem::hybrid
