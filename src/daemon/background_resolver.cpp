#include "daemon/background_resolver.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

namespace tandem::daemon {

// Shared with the helper thread, which may outlive the resolver by one getaddrinfo call.
struct BackgroundResolver::State {
  struct Pending {
    Request request;
    std::chrono::milliseconds delay;
    Clock::time_point due;
  };
  ResolveFn resolve;
  std::function<void()> notify;
  std::chrono::milliseconds first_retry;
  std::chrono::milliseconds max_retry;

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Pending> pending;
  std::vector<Resolved> resolved;
  bool stopping = false;
  bool started = false;
};

BackgroundResolver::BackgroundResolver(ResolveFn resolve, std::function<void()> notify,
                                       std::chrono::milliseconds first_retry,
                                       std::chrono::milliseconds max_retry)
    : state_(std::make_shared<State>()) {
  state_->resolve = std::move(resolve);
  state_->notify = std::move(notify);
  state_->first_retry = first_retry;
  state_->max_retry = max_retry;
}

BackgroundResolver::~BackgroundResolver() {
  std::lock_guard lock(state_->mutex);
  state_->stopping = true;
  state_->changed.notify_all();
}

std::chrono::milliseconds BackgroundResolver::next_delay(std::chrono::milliseconds delay,
                                                         std::chrono::milliseconds max) {
  return std::min(delay * 2, max);
}

void BackgroundResolver::add(Request request) {
  std::lock_guard lock(state_->mutex);
  const auto delay = state_->first_retry;
  state_->pending.push_back({std::move(request), delay, Clock::now() + delay});
  if (!state_->started) {
    state_->started = true;
    std::thread(helper_main, state_).detach();
  }
  state_->changed.notify_all();
}

std::vector<BackgroundResolver::Resolved> BackgroundResolver::take_resolved() {
  std::lock_guard lock(state_->mutex);
  return std::exchange(state_->resolved, {});
}

void BackgroundResolver::helper_main(std::shared_ptr<State> state) {
  std::unique_lock lock(state->mutex);
  while (!state->stopping) {
    if (state->pending.empty()) {
      state->changed.wait(lock);
      continue;
    }
    auto next = std::min_element(state->pending.begin(), state->pending.end(),
                                 [](const auto& x, const auto& y) { return x.due < y.due; });
    if (Clock::now() < next->due) {
      state->changed.wait_until(lock, next->due);
      continue;
    }
    State::Pending attempt = *next;
    state->pending.erase(next);
    lock.unlock();
    auto endpoint = state->resolve(attempt.request.host, attempt.request.port);
    lock.lock();
    if (state->stopping) break;
    if (endpoint) {
      state->resolved.push_back({std::move(attempt.request), *endpoint});
      // Under the lock, so the destructor cannot return while the owner is being notified.
      state->notify();
      continue;
    }
    attempt.delay = next_delay(attempt.delay, state->max_retry);
    attempt.due = Clock::now() + attempt.delay;
    spdlog::warn("peer {}: still {}; next attempt in {} s", attempt.request.peer_name,
                 endpoint.error(),
                 std::chrono::duration_cast<std::chrono::seconds>(attempt.delay).count());
    state->pending.push_back(std::move(attempt));
  }
}

}  // namespace tandem::daemon
