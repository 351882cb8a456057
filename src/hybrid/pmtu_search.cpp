#include "hybrid/pmtu_search.hpp"

#include <algorithm>

namespace tandem::hybrid {
namespace {

// kError retries the base this often: a path that comes back is measured again soon, one that
// stays down costs a probe a few times a minute.
constexpr Duration kErrorRetry = std::chrono::seconds(10);
constexpr std::size_t kRememberedProbes = 64;

}  // namespace

PmtuSearch::PmtuSearch(PmtuSearchSettings settings) : settings_(settings) {
  settings_.base_mtu = std::min(settings_.base_mtu, settings_.max_mtu);
  settings_.sizes_per_round = std::max<std::size_t>(settings_.sizes_per_round, 1);
  settings_.max_probes = std::max(settings_.max_probes, 1);
  lost_ = settings_.max_mtu + 1;
}

void PmtuSearch::start(TimePoint now) {
  search_began_ = now;
  black_hole_ = false;
  state_ = State::kBase;
  confirmed_.reset();
  sent_.clear();
  lost_ = settings_.max_mtu + 1;
  pending_.assign(1, Pending{settings_.base_mtu});
}

void PmtuSearch::begin_round(TimePoint now) {
  (void)now;
  // Sizes spread evenly over the open interval (mtu, lost), always with its top: a path that
  // carries everything is confirmed in one round.
  const std::size_t low = mtu();
  const std::size_t high = lost_;
  pending_.clear();
  const std::size_t room = high - low - 1;
  const std::size_t k = std::min(settings_.sizes_per_round, room);
  for (std::size_t i = 1; i < k; ++i) {
    const std::size_t size = low + (high - low) * i / k;
    if (size > low && size < high - 1 && (pending_.empty() || size > pending_.back().size))
      pending_.push_back(Pending{size});
  }
  pending_.push_back(Pending{high - 1});
}

void PmtuSearch::after_change(TimePoint now) {
  if (!pending_.empty()) return;
  if (lost_ - mtu() <= 1) {
    state_ = State::kComplete;
    // The next search upwards is due raise_interval after this one began, not after it ended:
    // a hop that grows while a search is losing sizes (3 s each) is found one interval later
    // at most, plus that search, rather than an interval after a search that could not see it.
    idle_until_ = std::max(search_began_ + settings_.raise_interval, now + settings_.probe_timeout);
    return;
  }
  begin_round(now);
}

void PmtuSearch::confirm(std::size_t size, TimePoint now) {
  if (!confirmed_ || size > *confirmed_) confirmed_ = size;
  std::erase_if(pending_, [&](const Pending& p) { return p.size <= *confirmed_; });
  if (state_ == State::kConfirming) {
    // Still carried: back to holding it, with the raise timer as it was.
    state_ = State::kComplete;
    pending_.clear();
    return;
  }
  if (state_ == State::kBase) {
    state_ = State::kSearching;
    pending_.clear();
  }
  after_change(now);
}

void PmtuSearch::lose(std::size_t size, TimePoint now) {
  if (state_ == State::kBase) {
    // Not even the base size arrives: the path is down or smaller than the base.
    state_ = State::kError;
    pending_.clear();
    idle_until_ = now + kErrorRetry;
    return;
  }
  if (state_ == State::kConfirming) {
    // The size in use stopped arriving, and nothing said so: a black hole.
    on_black_hole_suspected(now);
    return;
  }
  lost_ = std::min(lost_, size);
  std::erase_if(pending_, [&](const Pending& p) { return p.size >= lost_; });
  after_change(now);
}

void PmtuSearch::poll(TimePoint now, std::vector<Probe>& out) {
  if ((state_ == State::kComplete || state_ == State::kError) && now >= idle_until_) {
    if (state_ == State::kComplete) {
      // Look upwards again: the path may have grown. One byte more first, alone: on a path that
      // has not grown (the usual case) that one size, lost, ends the search; answered, the
      // search goes on upwards in full rounds.
      state_ = State::kSearching;
      search_began_ = now;
      lost_ = settings_.max_mtu + 1;
      if (mtu() < settings_.max_mtu) {
        pending_.assign(1, Pending{mtu() + 1});
      } else {
        state_ = State::kComplete;
        idle_until_ = now + settings_.raise_interval;
      }
    } else {
      start(now);
    }
  }
  // Sizes that used up their tries are lost; the smallest of them is what counts.
  std::optional<std::size_t> timed_out;
  for (const Pending& p : pending_)
    if (p.sent && p.tries >= settings_.max_probes && now - p.last_sent >= settings_.probe_timeout)
      timed_out = timed_out ? std::min(*timed_out, p.size) : p.size;
  if (timed_out) lose(*timed_out, now);
  for (Pending& p : pending_) {
    if (p.sent && now - p.last_sent < settings_.probe_timeout) continue;
    p.sent = true;
    ++p.tries;
    p.last_sent = now;
    const std::uint32_t id = next_id_++;
    out.push_back({id, p.size});
    // What an acknowledgement may name; the oldest go first once a search has sent many.
    if (sent_.size() >= kRememberedProbes) sent_.erase(sent_.begin());
    sent_.push_back({id, p.size});
  }
}

void PmtuSearch::on_ack(std::uint32_t id, TimePoint now) {
  // Any try of a size counts, not only its last one, and so does a size of an earlier round:
  // an acknowledgement late by a timeout still says the size arrived.
  const auto it =
      std::find_if(sent_.begin(), sent_.end(), [&](const Probe& p) { return p.id == id; });
  if (it == sent_.end()) return;
  const std::size_t size = it->size;
  if (state_ == State::kConfirming) {
    if (!pending_.empty() && size == pending_.front().size) confirm(size, now);
    return;
  }
  if (state_ == State::kError || size >= lost_ || (confirmed_ && size <= *confirmed_)) return;
  confirm(size, now);
}

void PmtuSearch::on_black_hole_suspected(TimePoint now) {
  // RFC 8899 section 4.3: back to the base, which is safe, and search again from there.
  start(now);
  black_hole_ = true;
}

void PmtuSearch::confirm_current(TimePoint now) {
  (void)now;
  if (state_ != State::kComplete || !confirmed_) return;
  state_ = State::kConfirming;
  pending_.assign(1, Pending{*confirmed_});
}

void PmtuSearch::set_max_mtu(std::size_t max_mtu, TimePoint now) {
  settings_.max_mtu = max_mtu;
  settings_.base_mtu = std::min(settings_.base_mtu, max_mtu);
  if (confirmed_ && *confirmed_ > max_mtu) confirmed_ = max_mtu;
  lost_ = std::min(lost_, max_mtu + 1);
  std::erase_if(pending_, [&](const Pending& p) { return p.size > max_mtu; });
  if (state_ == State::kConfirming && pending_.empty()) state_ = State::kComplete;
  if (state_ == State::kSearching) after_change(now);
}

std::optional<TimePoint> PmtuSearch::next_deadline() const {
  if (state_ == State::kComplete || state_ == State::kError) return idle_until_;
  std::optional<TimePoint> next;
  for (const Pending& p : pending_) {
    const TimePoint due = p.sent ? p.last_sent + settings_.probe_timeout : TimePoint::min();
    next = next ? std::min(*next, due) : due;
  }
  return next;
}

const char* pmtu_state_name(PmtuSearch::State state) {
  switch (state) {
    case PmtuSearch::State::kBase:
      return "base";
    case PmtuSearch::State::kSearching:
      return "searching";
    case PmtuSearch::State::kComplete:
      return "complete";
    case PmtuSearch::State::kConfirming:
      return "confirming";
    case PmtuSearch::State::kError:
      return "error";
  }
  return "unknown";
}

}  // namespace tandem::hybrid
