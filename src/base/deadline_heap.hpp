// The deadlines of many timers, each known by a key, with the earliest at hand and the due ones
// taken out in time order: what lets a gateway with thousands of probed paths run only those
// whose time has come, instead of walking all of them on every tick. A key's deadline may move
// any number of times; the entries it leaves behind are dropped when they reach the top, and the
// heap is built afresh once they outnumber the live ones. Single-threaded.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <vector>

#include "base/time.hpp"

namespace tandem {

template <typename Key>
class DeadlineHeap {
 public:
  // `key` is due at `at` from now on; nullopt: not at all.
  void set(const Key& key, std::optional<TimePoint> at) {
    const auto it = scheduled_.find(key);
    if (!at) {
      if (it != scheduled_.end()) scheduled_.erase(it);
      return;
    }
    if (it != scheduled_.end() && it->second == *at) return;
    scheduled_.insert_or_assign(key, *at);
    heap_.push({*at, key});
    if (heap_.size() > 2 * scheduled_.size() + 64) rebuild();
  }
  void erase(const Key& key) { set(key, std::nullopt); }

  std::optional<TimePoint> deadline(const Key& key) const {
    const auto it = scheduled_.find(key);
    return it == scheduled_.end() ? std::nullopt : std::optional<TimePoint>(it->second);
  }
  // The earliest deadline of any key.
  std::optional<TimePoint> next() const {
    drop_stale();
    return heap_.empty() ? std::nullopt : std::optional<TimePoint>(heap_.top().at);
  }
  // Appends the keys due at `now`, earliest first, and forgets their deadlines: the caller runs
  // each and sets its next one.
  void take_due(TimePoint now, std::vector<Key>& due) {
    for (drop_stale(); !heap_.empty() && heap_.top().at <= now; drop_stale()) {
      due.push_back(heap_.top().key);
      scheduled_.erase(heap_.top().key);
      heap_.pop();
    }
  }
  std::size_t size() const { return scheduled_.size(); }

 private:
  struct Entry {
    TimePoint at;
    Key key;
    bool operator>(const Entry& other) const { return at > other.at; }
  };
  void drop_stale() const {
    while (!heap_.empty()) {
      const auto it = scheduled_.find(heap_.top().key);
      if (it != scheduled_.end() && it->second == heap_.top().at) return;
      heap_.pop();
    }
  }
  void rebuild() {
    heap_ = {};
    for (const auto& [key, at] : scheduled_) heap_.push({at, key});
  }

  std::map<Key, TimePoint> scheduled_;
  mutable std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
};

}  // namespace tandem
