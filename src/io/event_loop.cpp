#include "io/event_loop.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace tandem::io {

struct EventLoop::Entry {
  enum class Kind { kFd, kTimer, kWake, kSignal };
  Kind kind = Kind::kFd;
  int fd = -1;
  Callback callback;
  Callback on_writable;  // set while the owner waits for room to write
  Callback on_error;     // EPOLLERR goes here when set, else to `callback`
  UniqueFd owned;        // timers own their timerfd
  bool dead = false;
};

namespace {

constexpr int kMaxEventsPerTurn = 64;

void drain_counter(int fd) {
  std::uint64_t value;
  while (::read(fd, &value, sizeof value) > 0) {
  }
}

}  // namespace

Result<std::unique_ptr<EventLoop>, std::string> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
  if (!loop->epoll_.valid()) return Err{errno_text("epoll_create1", errno)};
  loop->wake_fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!loop->wake_fd_.valid()) return Err{errno_text("eventfd", errno)};
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kWake;
  entry->fd = loop->wake_fd_.get();
  if (auto r = loop->add_entry(loop->wake_fd_.get(), std::move(entry)); !r) return Err{r.error()};
  return loop;
}

EventLoop::~EventLoop() = default;

Result<Ok, std::string> EventLoop::add_entry(int fd, std::unique_ptr<Entry> entry) {
  if (entries_.count(fd) != 0) return Err{"fd " + std::to_string(fd) + " is already watched"};
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = entry.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0)
    return Err{errno_text("epoll_ctl add fd " + std::to_string(fd), errno)};
  entries_.emplace(fd, std::move(entry));
  return Ok{};
}

void EventLoop::retire(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end()) return;
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, fd, nullptr);
  it->second->dead = true;
  retired_.push_back(std::move(it->second));
  entries_.erase(it);
}

Result<Ok, std::string> EventLoop::watch_readable(int fd, Callback on_readable) {
  return watch_readable(fd, std::move(on_readable), nullptr);
}

Result<Ok, std::string> EventLoop::watch_readable(int fd, Callback on_readable, Callback on_error) {
  auto entry = std::make_unique<Entry>();
  entry->fd = fd;
  entry->callback = std::move(on_readable);
  entry->on_error = std::move(on_error);
  return add_entry(fd, std::move(entry));
}

void EventLoop::unwatch(int fd) {
  retire(fd);
}

Result<Ok, std::string> EventLoop::watch_writable(int fd, Callback on_writable) {
  auto it = entries_.find(fd);
  if (it == entries_.end() || it->second->kind != Entry::Kind::kFd)
    return Err{"fd " + std::to_string(fd) + " is not watched for reading"};
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT;
  ev.data.ptr = it->second.get();
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev) != 0)
    return Err{errno_text("epoll_ctl mod fd " + std::to_string(fd), errno)};
  // The callback being replaced may be the one running right now.
  if (it->second->on_writable) retired_callbacks_.push_back(std::move(it->second->on_writable));
  it->second->on_writable = std::move(on_writable);
  return Ok{};
}

void EventLoop::unwatch_writable(int fd) {
  auto it = entries_.find(fd);
  if (it == entries_.end() || !it->second->on_writable) return;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = it->second.get();
  ::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fd, &ev);
  // Not destroyed here: this may be running inside that very callback.
  retired_callbacks_.push_back(std::move(it->second->on_writable));
  it->second->on_writable = nullptr;
}

Result<EventLoop::TimerId, std::string> EventLoop::add_timer(Callback on_expired) {
  UniqueFd tfd(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  if (!tfd.valid()) return Err{errno_text("timerfd_create", errno)};
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kTimer;
  entry->fd = tfd.get();
  entry->callback = std::move(on_expired);
  entry->owned = std::move(tfd);
  const int fd = entry->fd;
  if (auto r = add_entry(fd, std::move(entry)); !r) return Err{r.error()};
  const TimerId id = next_timer_id_++;
  timers_.emplace(id, fd);
  return id;
}

void EventLoop::arm_timer(TimerId timer, TimePoint deadline) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  auto ns = deadline.time_since_epoch().count();
  // A zero it_value would disarm; the earliest representable instant fires at once instead.
  if (ns <= 0) ns = 1;
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(ns / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(ns % 1'000'000'000);
  ::timerfd_settime(it->second, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void EventLoop::disarm_timer(TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  itimerspec spec{};
  ::timerfd_settime(it->second, 0, &spec, nullptr);
  drain_counter(it->second);  // an expiry already pending must not fire after disarming
}

void EventLoop::remove_timer(TimerId timer) {
  auto it = timers_.find(timer);
  if (it == timers_.end()) return;
  retire(it->second);
  timers_.erase(it);
}

void EventLoop::set_wake_handler(Callback on_wake) {
  on_wake_ = std::move(on_wake);
}

void EventLoop::wake() {
  const std::uint64_t one = 1;
  // EAGAIN means the counter is saturated, i.e. a wake is already pending: nothing to do.
  [[maybe_unused]] const auto n = ::write(wake_fd_.get(), &one, sizeof one);
}

std::vector<int> EventLoop::daemon_signals() {
  return {SIGTERM, SIGINT, SIGHUP};
}

namespace {

sigset_t signal_set(const std::vector<int>& signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return set;
}

}  // namespace

Result<Ok, std::string> EventLoop::defer_signals(const std::vector<int>& signals) {
  const sigset_t set = signal_set(signals);
  if (const int err = ::pthread_sigmask(SIG_BLOCK, &set, nullptr); err != 0)
    return Err{errno_text("pthread_sigmask", err)};
  return Ok{};
}

Result<Ok, std::string> EventLoop::handle_signals(const std::vector<int>& signals,
                                                  SignalCallback on_signal) {
  if (signal_fd_.valid()) return Err{std::string("signals are already handled by this loop")};
  if (auto ok = defer_signals(signals); !ok) return ok;
  const sigset_t set = signal_set(signals);
  signal_fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_.valid()) return Err{errno_text("signalfd", errno)};
  auto entry = std::make_unique<Entry>();
  entry->kind = Entry::Kind::kSignal;
  entry->fd = signal_fd_.get();
  on_signal_ = std::move(on_signal);
  return add_entry(signal_fd_.get(), std::move(entry));
}

Result<Ok, std::string> EventLoop::run_once(int timeout_ms) {
  std::array<epoll_event, kMaxEventsPerTurn> events;
  const int n = ::epoll_wait(epoll_.get(), events.data(), kMaxEventsPerTurn, timeout_ms);
  if (n < 0) {
    if (errno == EINTR) return Ok{};
    return Err{errno_text("epoll_wait", errno)};
  }
  for (int i = 0; i < n; ++i) {
    const epoll_event& ev = events[static_cast<std::size_t>(i)];
    auto* entry = static_cast<Entry*>(ev.data.ptr);
    if (entry->dead) continue;
    switch (entry->kind) {
      case Entry::Kind::kFd: {
        // Hang-ups, and errors unless the owner handles them apart, go to the readable
        // callback, whose read() will report them.
        std::uint32_t for_reader = EPOLLIN | EPOLLHUP;
        if (!entry->on_error) for_reader |= EPOLLERR;
        if ((ev.events & EPOLLOUT) != 0 && entry->on_writable) entry->on_writable();
        if ((ev.events & EPOLLERR) != 0 && entry->on_error && !entry->dead) entry->on_error();
        if ((ev.events & for_reader) != 0 && !entry->dead) entry->callback();
        break;
      }
      case Entry::Kind::kTimer: {
        // A timer re-armed for later after epoll reported it has a zero count: not due yet.
        std::uint64_t expirations = 0;
        if (::read(entry->fd, &expirations, sizeof expirations) > 0) entry->callback();
        break;
      }
      case Entry::Kind::kWake:
        drain_counter(entry->fd);
        if (on_wake_) on_wake_();
        break;
      case Entry::Kind::kSignal: {
        signalfd_siginfo info;
        while (::read(entry->fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
          if (on_signal_) on_signal_(static_cast<int>(info.ssi_signo));
        }
        break;
      }
    }
  }
  retired_.clear();
  retired_callbacks_.clear();
  return Ok{};
}

Result<Ok, std::string> EventLoop::run() {
  while (!stop_requested_.load(std::memory_order_acquire)) {
    if (auto r = run_once(-1); !r) return r;
  }
  stop_requested_.store(false, std::memory_order_release);
  return Ok{};
}

void EventLoop::stop() {
  stop_requested_.store(true, std::memory_order_release);
  wake();
}

}  // namespace tandem::io
