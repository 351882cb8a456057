// Resolves peer endpoint names that did not resolve at start-up (DNS not up yet at boot), on a
// helper thread so neither the event loop nor the data threads ever block in getaddrinfo.
// Retries back off from 1 s, doubling, to 60 s. Each success is queued and `notify` is called
// (the owner wakes its control loop, which collects the results with take_resolved()).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/ip_address.hpp"
#include "base/result.hpp"
#include "wireguard/noise.hpp"

namespace tandem::daemon {

class BackgroundResolver {
 public:
  using Clock = std::chrono::steady_clock;
  using ResolveFn =
      std::function<Result<Endpoint, std::string>(const std::string& host, std::uint16_t port)>;
  static constexpr std::chrono::milliseconds kFirstRetry{1000};
  static constexpr std::chrono::milliseconds kMaxRetry{60'000};

  struct Request {
    wireguard::PublicKey peer{};
    std::string peer_name;  // for the log lines
    std::string host;
    std::uint16_t port = 0;
  };
  struct Resolved {
    Request request;
    Endpoint endpoint;
  };

  // `notify` runs on the helper thread, never after the destructor has returned.
  BackgroundResolver(ResolveFn resolve, std::function<void()> notify,
                     std::chrono::milliseconds first_retry = kFirstRetry,
                     std::chrono::milliseconds max_retry = kMaxRetry);
  // Does not wait for a getaddrinfo in progress: the helper thread finishes it on its own.
  ~BackgroundResolver();
  BackgroundResolver(const BackgroundResolver&) = delete;
  BackgroundResolver& operator=(const BackgroundResolver&) = delete;

  // The caller has already failed once: the first retry is after `first_retry`.
  void add(Request request);
  std::vector<Resolved> take_resolved();

  // The delay after a failed attempt that waited `delay`: doubled, at most `max`.
  static std::chrono::milliseconds next_delay(std::chrono::milliseconds delay,
                                              std::chrono::milliseconds max);

 private:
  struct State;
  static void helper_main(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace tandem::daemon
