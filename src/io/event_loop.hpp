// The epoll loop a daemon thread runs: readable fds, timers at absolute monotonic deadlines
// (timerfd), a cross-thread wake (eventfd) and SIGTERM/SIGINT/SIGHUP delivered as callbacks
// (signalfd). Callbacks run on the thread inside run(); only wake() and stop() may be called from
// other threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.hpp"
#include "base/time.hpp"
#include "io/unique_fd.hpp"

namespace tandem::io {

class EventLoop {
 public:
  using Callback = std::function<void()>;
  using SignalCallback = std::function<void(int signal_number)>;
  using TimerId = std::uint64_t;

  // Heap-allocated because the kernel holds pointers to its entries; the loop never moves.
  static Result<std::unique_ptr<EventLoop>, std::string> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Level-triggered: `on_readable` runs on every turn while the fd has data, so a handler may
  // drain one batch per turn and let other fds have theirs. One callback per fd.
  Result<Ok, std::string> watch_readable(int fd, Callback on_readable);
  // The same with errors apart: `on_error` runs when epoll reports EPOLLERR, before `on_readable`
  // if data waits too, and `on_readable` no longer runs for EPOLLERR alone. For a socket whose
  // errors are queued (UdpSocket::enable_path_mtu_discovery), EPOLLERR stays raised until the
  // queue is read, and its readable handler's receive would find nothing to clear it with: so
  // `on_error` must read what is pending (UdpSocket::read_errors), or it runs again every turn.
  Result<Ok, std::string> watch_readable(int fd, Callback on_readable, Callback on_error);
  // Safe to call from inside any callback, including the fd's own.
  void unwatch(int fd);
  // For an fd already watched for reading: also run `on_writable` while it can take more bytes
  // (a connection with a reply still queued). unwatch_writable() goes back to reading only.
  Result<Ok, std::string> watch_writable(int fd, Callback on_writable);
  void unwatch_writable(int fd);

  // A timer starts disarmed. arm_timer() sets (or moves) its single absolute deadline; a
  // deadline already past fires on the next turn. Firing disarms it until re-armed.
  Result<TimerId, std::string> add_timer(Callback on_expired);
  void arm_timer(TimerId timer, TimePoint deadline);
  void disarm_timer(TimerId timer);
  void remove_timer(TimerId timer);

  // wake() from any thread makes the loop run `on_wake` once soon (several wakes may coalesce).
  void set_wake_handler(Callback on_wake);
  void wake();

  // Blocks `signals` in the calling thread and receives them through a signalfd instead. Call
  // before starting other threads so they inherit the blocked mask. One handler per loop.
  Result<Ok, std::string> handle_signals(const std::vector<int>& signals, SignalCallback on_signal);
  // Replaces the handler given to handle_signals() (which must have been called), for a part of
  // the daemon that needs to act before the loop stops.
  void set_signal_handler(SignalCallback on_signal) { on_signal_ = std::move(on_signal); }
  // SIGTERM, SIGINT and SIGHUP: what a daemon reacts to (stop, stop, reload).
  static std::vector<int> daemon_signals();
  // Blocks `signals` in the calling thread (and the threads it starts later) before any loop
  // handles them, so that one arriving meanwhile waits for handle_signals() instead of taking
  // its default action: a reload asked for while a daemon starts must not end it.
  static Result<Ok, std::string> defer_signals(const std::vector<int>& signals);

  // Dispatches until stop(). Returns an error only if epoll itself fails.
  Result<Ok, std::string> run();
  // Runs at most one round of ready callbacks, waiting up to `timeout_ms` (-1: forever).
  Result<Ok, std::string> run_once(int timeout_ms);
  void stop();

 private:
  struct Entry;
  EventLoop() = default;
  Result<Ok, std::string> add_entry(int fd, std::unique_ptr<Entry> entry);
  void retire(int fd);

  UniqueFd epoll_;
  UniqueFd wake_fd_;
  UniqueFd signal_fd_;
  std::atomic<bool> stop_requested_{false};
  Callback on_wake_;
  SignalCallback on_signal_;
  std::unordered_map<int, std::unique_ptr<Entry>> entries_;
  std::unordered_map<TimerId, int> timers_;  // id -> timerfd
  TimerId next_timer_id_ = 1;
  // Entries removed during a dispatch round stay alive until it ends: epoll may already have
  // returned an event pointing at them.
  std::vector<std::unique_ptr<Entry>> retired_;
  std::vector<Callback> retired_callbacks_;
};

}  // namespace tandem::io
